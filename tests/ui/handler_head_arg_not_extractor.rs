use route_runtime::request::Request;
use route_runtime::route;

pub struct NotAnExtractor;

// `Request` takes the body, so `NotAnExtractor` must read the request head only.
#[route("/hello")]
mod hello {
    use super::{NotAnExtractor, Request};

    pub async fn POST(_request: Request, _value: NotAnExtractor) -> &'static str {
        "posted"
    }
}

fn main() {
    let _ = hello::router::<()>();
}
