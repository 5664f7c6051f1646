use axum::extract::State;
use route_runtime::route;

#[derive(Clone)]
pub struct AppState;

// `state = T` is used inside the module: `AppState` must be in scope there.
#[route("/hello", state = AppState)]
mod hello {
    use super::State;

    pub async fn GET(State(_s): State<super::AppState>) -> &'static str {
        "Hello"
    }
}

fn main() {
    let _ = hello::router();
}
