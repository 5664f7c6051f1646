use route_runtime::route;

#[route("/docs/[[...slug]]")]
mod docs {
    use route_runtime::RouteContext;

    pub struct Params {
        pub slug: String,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.slug
    }
}

fn main() {
    let _ = docs::router::<()>();
}
