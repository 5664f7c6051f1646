use route_runtime::route;

#[route("/docs/[[slug]]")]
mod docs {
    pub async fn GET() -> &'static str {
        "docs"
    }
}

fn main() {}
