use route_runtime::route;

#[route("/hello")]
mod hello {
    pub fn GET() -> Vec<u32> {
        vec![1, 2, 3]
    }
}

fn main() {
    let _ = hello::router::<()>();
}
