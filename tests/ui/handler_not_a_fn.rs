use route_runtime::route;

pub mod shared {
    pub async fn list() -> &'static str {
        "items"
    }
}

#[route("/items")]
mod items {
    pub use super::shared::list as GET;

    pub static REVALIDATE: u64 = 60;

    pub async fn POST() -> &'static str {
        "created"
    }
}

fn main() {}
