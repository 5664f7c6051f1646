use route_runtime::{route, routes, Routes};

#[route("/a")]
mod a {
    pub async fn GET() -> &'static str {
        "a"
    }
}

mod plain {}

fn main() {
    let _: Routes = routes![a, plain];
}
