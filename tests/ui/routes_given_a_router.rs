use route_runtime::{route, routes};

#[route("/hello")]
mod hello {
    pub async fn GET() -> &'static str {
        "Hello"
    }
}

fn main() {
    let _ = routes![hello::router()];
}
