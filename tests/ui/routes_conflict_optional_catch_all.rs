use route_runtime::{route, routes, Routes};

#[route("/docs")]
mod docs_index {
    pub async fn GET() -> &'static str {
        "index"
    }
}

#[route("/docs/[[...slug]]")]
mod docs {
    pub async fn GET() -> &'static str {
        "docs"
    }
}

fn main() {
    let _: Routes = routes![docs_index, docs];
}
