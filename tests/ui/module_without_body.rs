use route_runtime::route;

#[route("/x")]
mod x;

fn main() {}
