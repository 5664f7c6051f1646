use route_runtime::route;

#[route("/users/[id]/posts/[id]")]
mod post {
    pub async fn GET() -> &'static str {
        "post"
    }
}

fn main() {}
