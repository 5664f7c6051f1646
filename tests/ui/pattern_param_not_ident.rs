use route_runtime::route;

#[route("/teams/[team-id]")]
mod team {
    pub async fn GET() -> &'static str {
        "team"
    }
}

fn main() {}
