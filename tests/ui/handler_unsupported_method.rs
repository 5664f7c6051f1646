use route_runtime::route;

#[route("/hello")]
mod hello {
    pub async fn GET() -> &'static str {
        "Hello"
    }

    pub async fn TRACE() -> &'static str {
        "trace"
    }
}

fn main() {}
