//! A module's own names next to what `#[route]` generates: a type named `S` (the runtime's
//! generic state parameter is `__S`) in an extractor, helpers named like the runtime's
//! (`respond`, `direct`), and a variable named `raw` or `serializer` in a handler.
use route_runtime::route;

#[derive(serde::Deserialize)]
pub struct S {
    pub q: Option<String>,
}

#[route("/search/[term]")]
mod search {
    use axum::extract::Query;
    use route_runtime::{Json, RouteContext};

    use super::S;

    fn respond(s: S) -> String {
        s.q.unwrap_or_default()
    }

    fn direct() -> &'static str {
        "direct"
    }

    pub async fn GET(Query(s): Query<S>, ctx: RouteContext<Params>) -> String {
        let raw = respond(s);
        let serializer = direct();
        format!("{raw} {serializer} {}", ctx.params.term)
    }

    pub async fn POST(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

fn main() {
    let _: axum::Router = search::router();
}
