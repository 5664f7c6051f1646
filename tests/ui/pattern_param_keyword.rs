use route_runtime::route;

#[route("/items/[type]")]
mod item {
    pub async fn GET() -> &'static str {
        "item"
    }
}

fn main() {}
