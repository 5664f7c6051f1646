use route_runtime::route;

#[route("/blog/[...slug]/edit")]
mod edit {
    pub async fn GET() -> &'static str {
        "edit"
    }
}

fn main() {}
