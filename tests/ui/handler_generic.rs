use route_runtime::route;

#[route("/hello")]
mod hello {
    pub async fn GET<T: Default>() -> &'static str {
        "Hello"
    }
}

fn main() {}
