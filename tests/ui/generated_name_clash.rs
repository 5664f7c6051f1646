use route_runtime::route;

#[route("/hello")]
mod hello {
    pub const PATTERN: &str = "/hello";

    pub fn router() {}

    pub async fn GET() -> &'static str {
        "Hello"
    }
}

fn main() {}
