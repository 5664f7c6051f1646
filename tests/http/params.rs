//! Every row of the spec's Dynamic segments table and its finer points on decoding, plus typed
//! params and route groups, over real HTTP.

use reqwest::StatusCode;
use route_runtime::{route, routes};
use serde_json::{json, Value};

use crate::common::{client, TestServer};

#[route("/dashboard/[team]")]
mod dashboard {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/shop/[tag]/[item]")]
mod shop {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/blog/[...slug]")]
mod blog {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/docs/[[...slug]]")]
mod docs {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// A user `Params` with typed fields.
#[route("/users/[id]/posts/[[...page]]")]
mod typed {
    use route_runtime::{Json, RouteContext};
    use serde_json::{json, Value};

    pub struct Params {
        pub id: u64,
        pub page: Vec<u32>,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Value> {
        Json(json!({ "id": ctx.params.id, "page": ctx.params.page }))
    }
}

/// Next.js's `(request, context)` argument order.
#[route("/(marketing)/about/[section]")]
mod grouped {
    use route_runtime::{Json, RouteContext};
    use serde_json::{json, Value};

    pub async fn GET(
        uri: route_runtime::__private::axum::http::Uri,
        ctx: RouteContext<Params>,
    ) -> Json<Value> {
        Json(json!({ "path": uri.path(), "section": ctx.params.section }))
    }
}

async fn server() -> TestServer {
    TestServer::start(routes![dashboard, shop, blog, docs, typed, grouped].into_router()).await
}

async fn get(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let res = client()
        .get(server.url(path))
        .send()
        .await
        .expect("request");
    let status = res.status();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

#[tokio::test]
async fn the_spec_table() {
    let server = server().await;
    let rows: &[(&str, StatusCode, Value)] = &[
        ("/dashboard/1", StatusCode::OK, json!({ "team": "1" })),
        (
            "/shop/1/2",
            StatusCode::OK,
            json!({ "tag": "1", "item": "2" }),
        ),
        (
            "/blog/a/b%2Fc/d%20e",
            StatusCode::OK,
            json!({ "slug": ["a", "b/c", "d e"] }),
        ),
        ("/docs", StatusCode::OK, json!({})),
        ("/docs/x/y", StatusCode::OK, json!({ "slug": ["x", "y"] })),
        ("/dashboard/a%20b", StatusCode::OK, json!({ "team": "a b" })),
    ];
    for (path, status, body) in rows {
        assert_eq!(get(&server, path).await, (*status, body.clone()), "{path}");
    }
    let (status, _) = get(&server, "/blog").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a catch-all needs one segment"
    );
}

#[tokio::test]
async fn each_segment_is_decoded_once_on_its_own() {
    let server = server().await;
    let rows = [
        ("/dashboard/a%2Fb", "a/b"),
        ("/dashboard/%E4%B8%AD", "中"),
        ("/dashboard/a+b", "a+b"),
        ("/dashboard/%252F", "%2F"),
        ("/dashboard/a%3Fb", "a?b"),
        ("/dashboard/a%00b", "a\u{0}b"),
        ("/dashboard/..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"),
    ];
    for (path, team) in rows {
        assert_eq!(
            get(&server, path).await,
            (StatusCode::OK, json!({ "team": team })),
            "{path}"
        );
    }
    // A raw (unencoded) UTF-8 path goes through the same decoding.
    let raw = server
        .raw(
            "GET /dashboard/中 HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".as_bytes(),
            std::time::Duration::from_secs(2),
        )
        .await;
    assert!(raw.contains(r#"{"team":"中"}"#), "{raw}");
}

#[tokio::test]
async fn bad_encoding_is_400_naming_the_param() {
    let server = server().await;
    for path in ["/dashboard/%zz", "/dashboard/%FF%FE", "/blog/a/%C3"] {
        let (status, body) = get(&server, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            body.to_string().contains("team") || body.to_string().contains("slug"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn typed_params_parse_or_answer_400_naming_the_param() {
    let server = server().await;
    assert_eq!(
        get(&server, "/users/42/posts").await,
        (StatusCode::OK, json!({ "id": 42, "page": [] }))
    );
    assert_eq!(
        get(&server, "/users/42/posts/1/2").await,
        (StatusCode::OK, json!({ "id": 42, "page": [1, 2] }))
    );
    let (status, body) = get(&server, "/users/abc/posts").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = body["error"].as_str().expect("error message");
    assert!(message.contains("`id`"), "{message}");
    let (status, body) = get(&server, "/users/1/posts/x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("`page`"), "{body}");
}

#[tokio::test]
async fn route_groups_are_left_out_of_the_url() {
    let server = server().await;
    assert_eq!(
        get(&server, "/about/team").await,
        (
            StatusCode::OK,
            json!({ "path": "/about/team", "section": "team" })
        )
    );
    let (status, _) = get(&server, "/(marketing)/about/team").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(grouped::PATTERN, "/(marketing)/about/[section]");
    assert_eq!(grouped::AXUM_PATHS, &["/about/{section}"]);
    assert_eq!(docs::AXUM_PATHS, &["/docs", "/docs/{*slug}"]);
    // The macro computes these constants on its own (a proc-macro crate cannot call the
    // runtime): they must be the paths the runtime registers.
    for (route, constant) in [
        (&grouped::ROUTE, grouped::AXUM_PATHS),
        (&docs::ROUTE, docs::AXUM_PATHS),
        (&blog::ROUTE, blog::AXUM_PATHS),
        (&shop::ROUTE, shop::AXUM_PATHS),
    ] {
        let registered = route_runtime::pattern::axum_paths(route.segments);
        assert_eq!(registered, constant, "{}", route.pattern);
    }
}

#[test]
fn generated_params_serialize_like_nextjs() {
    let absent = docs::Params { slug: None };
    assert_eq!(serde_json::to_value(&absent).unwrap(), json!({}));
    let present = docs::Params {
        slug: Some(vec!["a".into()]),
    };
    assert_eq!(
        serde_json::to_value(present).unwrap(),
        json!({ "slug": ["a"] })
    );
}

/// A param type whose parser has a bug on short input.
pub struct Code(pub String);

impl std::str::FromStr for Code {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Code(s[..2].to_owned()))
    }
}

#[route("/panics/lone/[code]")]
mod lone_context {
    use route_runtime::RouteContext;

    pub struct Params {
        pub code: super::Code,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.code.0
    }
}

#[route("/panics/pair/[code]")]
mod paired_context {
    use route_runtime::{Request, RouteContext};

    pub struct Params {
        pub code: super::Code,
    }

    pub async fn GET(_req: Request, ctx: RouteContext<Params>) -> String {
        ctx.params.code.0
    }
}

/// A lone `RouteContext` is built before the handler's future exists: a panic there is a `500`
/// too, never a dropped connection, and the server keeps serving.
#[tokio::test]
async fn a_panicking_param_parser_is_a_500_whatever_the_handler_takes() {
    let server = TestServer::start(routes![lone_context, paired_context].into_router()).await;
    for path in ["/panics/lone/x", "/panics/pair/x"] {
        let response = client()
            .get(server.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no response: {e:?}"));
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        assert_eq!(response.text().await.unwrap(), "", "{path}");
    }
    for path in ["/panics/lone/abc", "/panics/pair/abc"] {
        let response = server.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.text().await.unwrap(), "ab", "{path}");
    }
}
