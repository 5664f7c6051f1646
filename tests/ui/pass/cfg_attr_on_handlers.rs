//! `cfg_attr` that adds attributes other than `cfg` leaves the item in place: allowed on
//! handlers and config constants.
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

fn main() {
    assert_eq!(cfg_attr_route::PATTERN, "/cfg-attr");
    let _ = cfg_attr_route::router::<()>();
}
