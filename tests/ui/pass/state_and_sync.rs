//! `state = T` with `State<T>`, a state inferred from `State<T>`, and sync handlers.
use route_runtime::{route, routes};

#[derive(Clone)]
pub struct AppState {
    pub greeting: &'static str,
}

#[route("/hello", state = AppState)]
mod hello {
    use axum::extract::State;

    use super::AppState;

    pub async fn GET(State(state): State<AppState>) -> &'static str {
        state.greeting
    }

    // A sync handler, with no argument.
    pub fn DELETE() -> route_runtime::StatusCode {
        route_runtime::StatusCode::NO_CONTENT
    }
}

// No `state = …`: inferred from the `State<AppState>` argument.
#[route("/inferred")]
mod inferred {
    use axum::extract::State;

    use super::AppState;

    pub fn GET(State(state): State<AppState>) -> String {
        state.greeting.to_uppercase()
    }
}

// No state at all: `router()` is generic over it.
#[route("/generic")]
mod generic {
    pub fn GET() -> &'static str {
        "any state"
    }
}

fn main() {
    let _: axum::Router<AppState> = hello::router();
    let _: axum::Router<AppState> = inferred::router();
    let _: axum::Router<()> = generic::router::<()>();
    let _: axum::Router = routes![hello, inferred, generic]
        .into_router()
        .with_state(AppState { greeting: "hi" });
}
