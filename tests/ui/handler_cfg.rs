use route_runtime::route;

#[route("/hello")]
mod hello {
    #[cfg(debug_assertions)]
    pub async fn GET() -> &'static str {
        "debug"
    }

    #[cfg(not(debug_assertions))]
    pub async fn GET() -> &'static str {
        "release"
    }

    #[cfg(test)]
    pub const REVALIDATE: u64 = 60;

    #[cfg_attr(test, cfg(test))]
    pub async fn POST() -> &'static str {
        "created"
    }

    // A helper may be cfg'd: it is not read by the macro.
    #[cfg(test)]
    pub fn helper() {}
}

fn main() {}
