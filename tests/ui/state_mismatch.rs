use axum::extract::State;
use route_runtime::route;

#[derive(Clone)]
pub struct AppState;

#[derive(Clone)]
pub struct OtherState;

#[route("/hello", state = AppState)]
mod hello {
    use super::{AppState, OtherState, State};

    pub async fn GET(State(_s): State<OtherState>) -> &'static str {
        "Hello"
    }
}

fn main() {
    let _ = hello::router();
}
