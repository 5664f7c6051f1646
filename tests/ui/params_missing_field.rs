use route_runtime::route;

#[route("/shop/[tag]/[item]")]
mod item {
    use route_runtime::RouteContext;

    pub struct Params {
        pub tag: String,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.tag
    }
}

fn main() {}
