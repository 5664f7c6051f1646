use route_runtime::axum::extract::State;
use route_runtime::{route, routes};

#[derive(Clone)]
pub struct AppState;

#[route("/hello")]
mod hello {
    use super::{AppState, State};

    pub async fn GET(State(_state): State<AppState>) -> &'static str {
        "Hello"
    }
}

pub async fn run(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = routes![hello].into_router();
    route_runtime::serve(listener, app).await
}

fn main() {}
