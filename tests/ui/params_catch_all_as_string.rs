use route_runtime::route;

#[route("/blog/[...slug]")]
mod blog {
    use route_runtime::RouteContext;

    pub struct Params {
        pub slug: String,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.slug
    }
}

fn main() {
    let _ = blog::router::<()>();
}
