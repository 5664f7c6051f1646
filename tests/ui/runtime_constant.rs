use route_runtime::route;

#[route("/edge")]
mod edge {
    pub const RUNTIME: &str = "edge";

    pub async fn GET() -> &'static str {
        "edge"
    }
}

fn main() {}
