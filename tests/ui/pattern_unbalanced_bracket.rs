use route_runtime::route;

#[route("/dashboard/[team")]
mod team {
    pub async fn GET() -> &'static str {
        "team"
    }
}

fn main() {}
