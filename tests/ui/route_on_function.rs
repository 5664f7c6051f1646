use route_runtime::route;

#[route("/hello")]
pub async fn GET() -> &'static str {
    "Hello"
}

fn main() {}
