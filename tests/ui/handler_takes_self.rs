use route_runtime::route;

#[route("/hello")]
mod hello {
    pub async fn GET(&self) -> &'static str {
        "Hello"
    }
}

fn main() {}
