use route_runtime::route;

#[route("/feed")]
mod feed {
    #[allow(non_upper_case_globals)]
    pub const revalidate: u64 = 60;

    pub async fn GET() -> &'static str {
        "feed"
    }
}

fn main() {}
