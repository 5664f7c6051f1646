//! A deprecated handler is still routed without a warning from the generated call (the crate
//! denies warnings here to prove it).
#![deny(warnings)]

use route_runtime::route;

#[route("/old")]
mod old {
    #[deprecated = "use /new"]
    pub async fn GET() -> &'static str {
        "old"
    }
}

fn main() {
    let _ = old::router::<()>();
}
