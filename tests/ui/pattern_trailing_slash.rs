use route_runtime::route;

#[route("/blog/")]
mod blog {
    pub async fn GET() -> &'static str {
        "blog"
    }
}

fn main() {}
