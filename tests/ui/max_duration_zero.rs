use route_runtime::route;

#[route("/slow")]
mod slow {
    pub const MAX_DURATION: u64 = 0;

    pub async fn GET() -> &'static str {
        "slow"
    }
}

fn main() {}
