use route_runtime::route;

#[route("/search?q")]
mod search {
    pub async fn GET() -> &'static str {
        "search"
    }
}

fn main() {}
