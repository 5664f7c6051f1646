use route_runtime::route;

pub struct NotAnExtractor;

#[route("/hello")]
mod hello {
    use super::NotAnExtractor;

    pub async fn GET(_value: NotAnExtractor) -> &'static str {
        "Hello"
    }
}

fn main() {
    let _ = hello::router::<()>();
}
