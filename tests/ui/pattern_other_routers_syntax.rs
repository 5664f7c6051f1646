use route_runtime::route;

#[route("/users/{id}")]
mod axum_param {
    pub async fn GET() -> &'static str {
        "user"
    }
}

#[route("/files/{*path}")]
mod axum_catch_all {
    pub async fn GET() -> &'static str {
        "file"
    }
}

#[route("/posts/:slug")]
mod express_param {
    pub async fn GET() -> &'static str {
        "post"
    }
}

#[route("/a/b{c")]
mod brace {
    pub async fn GET() -> &'static str {
        "brace"
    }
}

#[route("/files/*")]
mod bare_wildcard {
    pub async fn GET() -> &'static str {
        "files"
    }
}

#[route("/files/*.txt/:id-x")]
mod wildcard_suffix_and_colon {
    pub async fn GET() -> &'static str {
        "text"
    }
}

fn main() {}
