//! Every kind of pattern segment, with generated and user `Params`, combined by `routes!`.
use route_runtime::{route, routes};

#[route("/")]
mod home {
    pub async fn GET() -> &'static str {
        "home"
    }
}

#[route("/about")]
mod about {
    pub async fn GET() -> &'static str {
        "about"
    }
}

#[route("/users/[id]")]
mod user {
    use route_runtime::RouteContext;

    pub struct Params {
        pub id: u64,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        format!("user {}", ctx.params.id + 1)
    }
}

#[route("/dashboard/[team]")]
mod team {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        let _: &String = &ctx.params.team;
        Json(ctx.params)
    }
}

#[route("/blog/[...slug]")]
mod blog {
    use route_runtime::RouteContext;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        let slug: Vec<String> = ctx.params.slug;
        slug.join("/")
    }
}

#[route("/docs/[[...slug]]")]
mod docs {
    use route_runtime::RouteContext;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        let slug: Option<Vec<String>> = ctx.params.slug;
        slug.unwrap_or_default().join("/")
    }
}

#[route("/archive/[year]/[...pages]")]
mod archive {
    use route_runtime::RouteContext;

    pub struct Params {
        pub year: u16,
        pub pages: Vec<u32>,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        format!("{} {:?}", ctx.params.year, ctx.params.pages)
    }
}

#[route("/(marketing)/pricing")]
mod pricing {
    pub async fn GET() -> &'static str {
        "pricing"
    }
}

#[route("/rss.xml")]
mod rss {
    pub async fn GET() -> &'static str {
        "<rss/>"
    }
}

// `*` and `:` inside a segment are literal characters; only a segment's first one is refused.
#[route("/glob/a*b/x:y")]
mod glob {
    pub async fn GET() -> &'static str {
        "literal"
    }
}

fn main() {
    assert_eq!(docs::AXUM_PATHS, ["/docs", "/docs/{*slug}"]);
    assert_eq!(pricing::PATTERN, "/(marketing)/pricing");
    let _router: axum::Router = routes![home, about, user, team, blog, docs, archive, pricing, rss, glob].into_router();
}
