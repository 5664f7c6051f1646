use route_runtime::route;

#[route("/feed")]
mod feed {
    pub const TAGS: &str = "feed";

    pub async fn GET() -> &'static str {
        "feed"
    }
}

fn main() {
    let _ = feed::router::<()>();
}
