use route_runtime::route;

#[route("/hello")]
mod hello {
    pub const fn GET() -> &'static str {
        "Hello"
    }

    pub unsafe fn POST() -> &'static str {
        "posted"
    }
}

fn main() {}
