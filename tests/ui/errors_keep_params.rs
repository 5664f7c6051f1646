//! A module with an error still gets its `Params` (the fields that can be read from the
//! pattern), `router()` and constants, so that the error is the only one reported.
use route_runtime::{route, routes};

#[route("/items/[id]/")]
mod items {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        let _id: &String = &ctx.params.id;
        Json(ctx.params)
    }
}

#[route("/teams/[team]/[...rest]")]
mod teams {
    use route_runtime::RouteContext;

    pub const REVALIDATE: i32 = 60;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        format!("{} {:?}", ctx.params.team, ctx.params.rest)
    }
}

#[route("/own/[id]")]
mod own {
    use route_runtime::RouteContext;

    pub struct Params {
        pub id: u64,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.id.to_string()
    }

    pub const MAX_DURATION: u64 = 0;
}

fn main() {
    let _routes: route_runtime::Routes = routes![items, teams, own];
    let _ = items::PATTERN;
}
