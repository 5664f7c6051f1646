use route_runtime::{route, routes, Routes};

#[route("/blog/[id]")]
mod by_id {
    pub async fn GET() -> &'static str {
        "by id"
    }
}

#[route("/blog/[slug]")]
mod by_slug {
    pub async fn GET() -> &'static str {
        "by slug"
    }
}

fn main() {
    let _: Routes = routes![by_id, by_slug];
}
