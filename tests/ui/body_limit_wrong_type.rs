use route_runtime::route;

#[route("/upload")]
mod upload {
    pub const BODY_LIMIT: u64 = 1024;

    pub async fn POST() -> &'static str {
        "uploaded"
    }
}

fn main() {}
