use route_runtime::route;

#[route("/users/[id]")]
mod user {
    pub struct Params(pub String);

    pub async fn GET() -> &'static str {
        "user"
    }
}

fn main() {}
