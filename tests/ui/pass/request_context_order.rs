//! Next.js's `(request, context)` argument order, the body extractor before the `RouteContext`,
//! and every segment config constant.
use route_runtime::request::Request;
use route_runtime::route;

#[route("/items/[id]")]
mod item {
    use route_runtime::{Dynamic, HeaderMap, Json, Revalidate, RouteContext};

    use super::Request;

    pub const REVALIDATE: Revalidate = Revalidate::Forever;
    pub const DYNAMIC: Dynamic = Dynamic::ForceStatic;
    pub const MAX_DURATION: u64 = 30;
    pub const TAGS: &[&str] = &["items"];
    pub const BODY_LIMIT: usize = 64 * 1024;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.id
    }

    // The body goes to `Request`, even though it comes first.
    pub async fn POST(request: Request, ctx: RouteContext<Params>) -> Json<Params> {
        drop(request);
        Json(ctx.params)
    }

    pub async fn PUT(_request: Request, _headers: HeaderMap, ctx: RouteContext<Params>) -> String {
        ctx.params.id
    }

    // Without a `Request`, the body goes to the last argument that is not the `RouteContext`.
    pub async fn PATCH(Json(body): Json<Vec<String>>, ctx: RouteContext<Params>) -> String {
        body.concat() + &ctx.params.id
    }

    pub async fn DELETE(_headers: HeaderMap, body: String, ctx: RouteContext<Params>) -> String {
        body + &ctx.params.id
    }

    // Helpers that are not named after a method are left alone.
    pub fn helper() -> u8 {
        1
    }
}

#[route("/feed")]
mod feed {
    pub const REVALIDATE: u64 = 60;
    pub const DYNAMIC: &str = "force-dynamic";

    pub async fn GET() -> String {
        super::item::helper().to_string()
    }
}

fn main() {
    let _ = item::router::<()>();
    let _ = feed::router::<()>();
}
