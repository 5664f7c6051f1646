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

fn main() {}
