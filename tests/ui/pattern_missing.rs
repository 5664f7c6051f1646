use route_runtime::route;

#[route]
mod nowhere {
    pub async fn GET() -> &'static str {
        "?"
    }
}

fn main() {}
