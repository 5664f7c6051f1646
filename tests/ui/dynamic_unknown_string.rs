use route_runtime::route;

#[route("/feed")]
mod feed {
    pub const DYNAMIC: &str = "force-cache";

    pub async fn GET() -> &'static str {
        "feed"
    }
}

fn main() {}
