use route_runtime::route;

#[route("/a", foo = 1)]
mod a {
    pub async fn GET() -> &'static str {
        "a"
    }
}

fn main() {}
