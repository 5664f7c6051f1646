use route_runtime::route;

#[route("/feed")]
mod feed {
    pub const REVALIDATE: &str = "60";

    pub async fn GET() -> &'static str {
        "feed"
    }
}

fn main() {}
