use route_runtime::route;

#[route(42)]
mod answer {
    pub async fn GET() -> &'static str {
        "42"
    }
}

fn main() {}
