use route_runtime::route;

pub mod shared {
    pub struct TeamParams {
        pub team: String,
    }
}

#[route("/items", state = )]
mod no_state_type {
    pub async fn GET() -> &'static str {
        "items"
    }
}

#[route("/headers")]
mod impl_trait_argument {
    pub async fn GET(_headers: impl Send) -> &'static str {
        "headers"
    }
}

#[route("/teams/[team]")]
mod imported_params {
    pub use super::shared::TeamParams as Params;

    pub async fn GET() -> &'static str {
        "team"
    }
}

#[derive(Clone)]
pub struct AppState;

#[route("/quoted", state = "AppState")]
mod quoted_state {
    pub async fn GET() -> &'static str {
        "quoted"
    }
}

#[route("/a")]
#[route("/b")]
mod two_paths {
    pub async fn GET() -> &'static str {
        "two"
    }
}

fn list() -> &'static str {
    "list"
}

#[route("/const-handler")]
mod const_handler {
    pub const GET: fn() -> &'static str = super::list;

    pub async fn POST() -> &'static str {
        "created"
    }
}

const FORCE: &str = "force-static";

#[route("/dynamic-path")]
mod dynamic_path {
    pub const DYNAMIC: &str = super::FORCE;

    pub async fn GET() -> &'static str {
        "static"
    }
}

fn main() {
    let _ = two_paths::router::<()>();
}
