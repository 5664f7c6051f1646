use route_runtime::route;

#[route("/slow")]
mod slow {
    pub const MAX_DURATION: u32 = 30;

    pub async fn GET() -> &'static str {
        "slow"
    }
}

fn main() {}
