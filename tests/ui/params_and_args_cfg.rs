use route_runtime::route;

#[route("/items/[id]")]
mod item {
    use route_runtime::{HeaderMap, RouteContext};

    #[cfg(debug_assertions)]
    pub struct Params {
        pub id: u64,
    }

    #[cfg(not(debug_assertions))]
    pub struct Params {
        pub id: String,
    }

    pub async fn GET(
        #[cfg(debug_assertions)] _headers: HeaderMap,
        ctx: RouteContext<Params>,
    ) -> String {
        format!("{}", ctx.params.id)
    }
}

#[route("/teams/[team]")]
mod team {
    pub struct Params {
        #[cfg_attr(test, cfg(test))]
        pub team: String,
    }

    pub async fn GET() -> &'static str {
        "team"
    }
}

fn main() {}
