//! `cfg_attr` that adds attributes other than `cfg` leaves the item in place: allowed on
//! handlers, their arguments, config constants and `Params` with its fields.
use route_runtime::route;

#[route("/cfg-attr")]
mod cfg_attr_route {
    #[cfg_attr(debug_assertions, allow(clippy::unused_async))]
    pub async fn GET() -> &'static str {
        "ok"
    }

    #[cfg_attr(debug_assertions, doc = "Cached for a minute.")]
    pub const REVALIDATE: u64 = 60;
}

#[route("/cfg-attr/[id]")]
mod cfg_attr_params {
    use route_runtime::{HeaderMap, RouteContext};

    #[cfg_attr(debug_assertions, derive(PartialEq))]
    pub struct Params {
        #[cfg_attr(debug_assertions, doc = "The item's number.")]
        pub id: u64,
    }

    pub async fn GET(
        #[cfg_attr(debug_assertions, allow(unused_variables))] headers: HeaderMap,
        ctx: RouteContext<Params>,
    ) -> String {
        ctx.params.id.to_string()
    }
}

fn main() {
    assert_eq!(cfg_attr_route::PATTERN, "/cfg-attr");
    let _ = cfg_attr_route::router::<()>();
    let _ = cfg_attr_params::router::<()>();
}
