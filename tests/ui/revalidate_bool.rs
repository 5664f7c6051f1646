use route_runtime::route;

#[route("/feed")]
mod feed {
    pub const REVALIDATE: bool = false;

    pub async fn GET() -> &'static str {
        "feed"
    }
}

fn main() {}
