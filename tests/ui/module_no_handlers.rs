use route_runtime::route;

#[route("/empty")]
mod empty {
    pub fn helper() -> &'static str {
        "not a handler"
    }
}

fn main() {}
