use std::rc::Rc;

use route_runtime::axum::extract::State;
use route_runtime::{route, Json};

pub struct NotClone;

#[derive(Clone)]
pub struct NotSend(pub Rc<u64>);

pub struct NewUser {
    pub name: String,
}

#[route("/a")]
mod a {
    use super::{NotClone, State};

    pub async fn GET(State(_s): State<NotClone>) -> &'static str {
        "a"
    }
}

#[route("/b", state = NotSend)]
mod b {
    pub async fn GET() -> &'static str {
        "b"
    }
}

#[route("/users")]
mod users {
    use super::{Json, NewUser};

    pub async fn POST(Json(user): Json<NewUser>) -> String {
        user.name
    }
}

fn main() {}
