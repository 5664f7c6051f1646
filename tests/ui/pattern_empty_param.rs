use route_runtime::route;

#[route("/items/[]")]
mod item {
    pub async fn GET() -> &'static str {
        "item"
    }
}

fn main() {}
