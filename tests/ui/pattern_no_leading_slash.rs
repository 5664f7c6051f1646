use route_runtime::route;

#[route("api/hello")]
mod hello {
    pub async fn GET() -> &'static str {
        "Hello"
    }
}

fn main() {}
