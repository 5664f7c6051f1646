use route_runtime::route;

// Every problem of the pattern is reported in one compile.
#[route("/[a-b]//[...c]/d")]
mod many {
    pub async fn GET() -> &'static str {
        "many"
    }
}

fn main() {}
