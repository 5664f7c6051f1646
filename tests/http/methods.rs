//! Every row of the spec's Methods table, plus its finer points, over real HTTP.

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;
use route_runtime::{route, routes};

use crate::common::{header, TestServer};

static GET_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/get-post")]
mod get_post {
    use route_runtime::{IntoResponse, Json};
    use serde_json::json;

    pub async fn GET() -> impl IntoResponse {
        super::GET_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ([("x-from", "get")], Json(json!({ "method": "GET" })))
    }

    pub async fn POST() -> &'static str {
        "POST"
    }
}

#[route("/get-only")]
mod get_only {
    pub fn GET() -> &'static str {
        "sync handlers work too"
    }
}

#[route("/own-options")]
mod own_options {
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> &'static str {
        "GET"
    }

    pub async fn OPTIONS() -> impl IntoResponse {
        (StatusCode::OK, [("allow", "custom")], "own options")
    }
}

#[route("/own-head")]
mod own_head {
    use route_runtime::IntoResponse;

    pub async fn GET() -> &'static str {
        "GET"
    }

    pub async fn HEAD() -> impl IntoResponse {
        [("x-from", "head")]
    }
}

#[route("/post-only")]
mod post_only {
    pub async fn POST() -> &'static str {
        "POST"
    }
}

#[route("/head-only")]
mod head_only {
    use route_runtime::IntoResponse;

    pub async fn HEAD() -> impl IntoResponse {
        [("x-from", "head")]
    }
}

#[route("/all-seven")]
mod all_seven {
    pub async fn GET() -> &'static str {
        "GET"
    }
    pub async fn HEAD() -> &'static str {
        "HEAD"
    }
    pub async fn POST() -> &'static str {
        "POST"
    }
    pub async fn PUT() -> &'static str {
        "PUT"
    }
    pub async fn PATCH() -> &'static str {
        "PATCH"
    }
    pub async fn DELETE() -> &'static str {
        "DELETE"
    }
    pub async fn OPTIONS() -> &'static str {
        "OPTIONS"
    }
}

async fn server() -> TestServer {
    TestServer::start(
        routes![
            get_post,
            get_only,
            own_options,
            own_head,
            post_only,
            head_only,
            all_seven
        ]
        .into_router(),
    )
    .await
}

#[tokio::test]
async fn automatic_options_lists_methods_sorted_with_head_and_options() {
    let server = server().await;
    let res = server.send("OPTIONS", "/get-post").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "allow"), "GET, HEAD, OPTIONS, POST");
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert_eq!(res.text().await.unwrap(), "");

    let res = server.send("OPTIONS", "/get-only").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "allow"), "GET, HEAD, OPTIONS");
}

#[tokio::test]
async fn allow_for_post_only_and_head_only() {
    let server = server().await;
    let res = server.send("OPTIONS", "/post-only").await;
    assert_eq!(header(&res, "allow"), "OPTIONS, POST");
    let res = server.send("OPTIONS", "/head-only").await;
    assert_eq!(header(&res, "allow"), "HEAD, OPTIONS");
}

#[tokio::test]
async fn own_options_is_returned_as_is() {
    let server = server().await;
    let res = server.send("OPTIONS", "/own-options").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "allow"), "custom");
    assert_eq!(res.text().await.unwrap(), "own options");
}

#[tokio::test]
async fn head_runs_get_and_keeps_status_and_headers_without_body() {
    let server = server().await;
    let before = GET_RUNS.load(Ordering::SeqCst);
    let res = server.send("HEAD", "/get-post").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "application/json");
    assert_eq!(header(&res, "x-from"), "get");
    assert_eq!(
        header(&res, "content-length"),
        r#"{"method":"GET"}"#.len().to_string()
    );
    assert_eq!(res.bytes().await.unwrap().len(), 0);
    assert!(GET_RUNS.load(Ordering::SeqCst) > before, "GET handler ran");
}

#[tokio::test]
async fn own_head_wins_over_get() {
    let server = server().await;
    let res = server.send("HEAD", "/own-head").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "x-from"), "head");
}

#[tokio::test]
async fn methods_not_exported_are_405_with_allow_and_empty_body() {
    let server = server().await;
    for method in ["PUT", "DELETE", "PATCH"] {
        let res = server.send(method, "/get-post").await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(header(&res, "allow"), "GET, HEAD, OPTIONS, POST");
        assert_eq!(res.text().await.unwrap(), "");
    }
    let res = server.send("GET", "/post-only").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&res, "allow"), "OPTIONS, POST");
}

#[tokio::test]
async fn methods_outside_the_seven_are_400_never_500() {
    let server = server().await;
    for method in ["FOO", "PROPFIND", "PURGE", "QUERY", "TRACE", "CONNECT"] {
        let res = server.send(method, "/get-post").await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{method}");
    }
    // The server keeps serving.
    let res = server.send("GET", "/get-only").await;
    assert_eq!(res.text().await.unwrap(), "sync handlers work too");
}

#[tokio::test]
async fn each_of_the_seven_methods_reaches_its_own_handler() {
    let server = server().await;
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
        let res = server.send(method, "/all-seven").await;
        assert_eq!(res.status(), StatusCode::OK, "{method}");
        assert_eq!(res.text().await.unwrap(), method);
    }
    let res = server.send("HEAD", "/all-seven").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, "content-length"),
        "4",
        "HEAD's own body length is kept"
    );
    assert_eq!(res.bytes().await.unwrap().len(), 0);
}

#[test]
fn generated_constants_describe_the_route() {
    use route_runtime::RouteMethod;
    assert_eq!(get_post::PATTERN, "/get-post");
    assert_eq!(get_post::METHODS, &[RouteMethod::Get, RouteMethod::Post]);
    assert_eq!(all_seven::METHODS.len(), 7);
    assert_eq!(get_post::ROUTE.allow_header(), "GET, HEAD, OPTIONS, POST");
}
