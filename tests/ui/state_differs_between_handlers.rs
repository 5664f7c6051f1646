use axum::extract::{FromRef, State};
use route_runtime::route;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
}

#[derive(Clone)]
pub struct Db;

impl FromRef<AppState> for Db {
    fn from_ref(app: &AppState) -> Db {
        app.db.clone()
    }
}

#[route("/items")]
mod items {
    use super::{AppState, Db, State};

    pub async fn GET(State(_db): State<Db>) -> &'static str {
        "items"
    }

    pub async fn POST(State(_app): State<AppState>) -> &'static str {
        "created"
    }
}

// Written out, the substate is taken from the router's state.
#[route("/stock", state = AppState)]
mod stock {
    use super::{AppState, Db, State};

    pub async fn GET(State(_db): State<Db>) -> &'static str {
        "stock"
    }

    pub async fn POST(State(_app): State<AppState>) -> &'static str {
        "restocked"
    }
}

fn main() {
    let _ = stock::router();
}
