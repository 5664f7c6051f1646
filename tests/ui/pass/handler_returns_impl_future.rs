//! A plain `fn` returning `impl Future` is a handler like an `async fn`, as in axum.
use std::future::Future;

use route_runtime::route;

#[route("/later")]
mod later {
    use super::Future;

    pub fn GET() -> impl Future<Output = &'static str> {
        async { "later" }
    }

    pub fn POST() -> impl std::future::Future<Output = String> + Send {
        std::future::ready("posted".to_string())
    }
}

fn main() {
    let _ = later::router::<()>();
}
