use route_runtime::route;

#[route("/a/../b")]
mod ab {
    pub async fn GET() -> &'static str {
        "ab"
    }
}

fn main() {}
