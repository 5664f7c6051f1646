use route_runtime::route;

#[route("/hello")]
mod hello {
    pub async fn GET<T: Default>() -> &'static str {
        "Hello"
    }
}

#[route("/where")]
mod where_only {
    pub async fn GET() -> &'static str
    where
        String: Clone,
    {
        "where"
    }
}

#[route("/twice")]
mod twice {
    pub async fn GET() -> &'static str {
        "first"
    }

    pub async fn GET() -> &'static str {
        "second"
    }
}

fn main() {}
