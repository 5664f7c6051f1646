use route_runtime::route;

#[route("/users/[id]")]
mod user {
    use route_runtime::RouteContext;

    pub struct Params {
        pub id: Vec<u64>,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        format!("{:?}", ctx.params.id)
    }
}

fn main() {
    let _ = user::router::<()>();
}
