use route_runtime::route;

pub struct NotAResponse;

#[route("/hello")]
mod hello {
    use super::NotAResponse;

    pub async fn GET() -> NotAResponse {
        NotAResponse
    }
}

fn main() {
    let _ = hello::router::<()>();
}
