use route_runtime::route;

#[route("/hello")]
mod hello {
    pub async fn get() -> &'static str {
        "Hello"
    }

    pub(crate) fn post() -> &'static str {
        "created"
    }
}

fn main() {}
