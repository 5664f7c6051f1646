use route_runtime::route;

#[route("/shop/[tag]")]
mod tag {
    use route_runtime::RouteContext;

    pub struct Params {
        pub tag: String,
        pub page: u32,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        format!("{} {}", ctx.params.tag, ctx.params.page)
    }
}

fn main() {}
