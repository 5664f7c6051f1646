use route_runtime::route;

#[route("/items")]
mod items {
    use route_runtime::{Json, Request};

    pub async fn GET(req: &Request) -> &'static str {
        let _ = req;
        "items"
    }

    pub async fn POST(Json(_v): Json<serde_json::Value>, _text: String) -> &'static str {
        "created"
    }

    pub async fn PUT(_req: Request, Json(_v): Json<serde_json::Value>) -> &'static str {
        "replaced"
    }
}

fn main() {}
