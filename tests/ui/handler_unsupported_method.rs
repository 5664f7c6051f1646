use route_runtime::route;

#[route("/hello")]
mod hello {
    pub async fn GET() -> &'static str {
        "Hello"
    }

    pub async fn TRACE() -> &'static str {
        "trace"
    }

    async fn CONNECT() -> &'static str {
        "private, but a method"
    }

    pub async fn ANY() -> &'static str {
        "exported, all uppercase"
    }
}

fn main() {}
