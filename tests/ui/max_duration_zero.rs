use route_runtime::route;

#[route("/slow")]
mod slow {
    pub const MAX_DURATION: u64 = 0;

    pub async fn GET() -> &'static str {
        "slow"
    }
}

const ZERO: u64 = 0;

#[route("/slower")]
mod slower {
    pub const MAX_DURATION: u64 = super::ZERO;

    pub async fn GET() -> &'static str {
        "slower"
    }
}

fn main() {}
