use route_runtime::route;

#[route("/feed")]
mod feed {
    pub const DYNAMIC: bool = true;

    pub async fn GET() -> &'static str {
        "feed"
    }
}

fn main() {}
