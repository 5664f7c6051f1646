use route_runtime::route;

#[route("/users/[id]")]
mod users {
    use route_runtime::RouteContext;

    // `id` would be the request body, not the param.
    pub async fn GET(id: String) -> String {
        id
    }

    pub async fn POST(params: Params) -> String {
        params.id
    }

    pub async fn PUT(ctx: RouteContext) -> &'static str {
        let _ = ctx;
        "put"
    }

    pub async fn PATCH(ctx: RouteContext<super::teams::Params>) -> String {
        ctx.params.team
    }

    pub async fn DELETE(a: RouteContext<Params>, b: RouteContext<Params>) -> String {
        format!("{} {}", a.params.id, b.params.id)
    }
}

#[route("/teams/[team]")]
mod teams {
    pub async fn GET() -> Result<String, String> {
        Err("no team".into())
    }

    pub async fn POST() -> Result<&'static str, &'static str> {
        Ok("created")
    }
}

#[route("/renamed/[user_id]")]
mod renamed {
    use route_runtime::RouteContext;

    #[derive(serde::Deserialize)]
    pub struct Params {
        #[serde(rename = "user_id")]
        pub id: u64,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.id.to_string()
    }
}

#[route("/files/[..path]")]
mod two_dots {
    pub async fn GET() -> &'static str {
        "files"
    }
}

fn main() {}
