//! Error ergonomics over real HTTP: `?` on a boxed error (a logged, empty 500, the server still
//! serving), `None` → 404 with `OptionExt::or_not_found` and `RouteError::not_found()` (the very
//! response `not_found()?` gives), and a body starting with a UTF-8 BOM read by `json()` and
//! `text()` as Next.js reads it.

use std::error::Error;

use reqwest::StatusCode;
use route_runtime::{route, routes};
use serde_json::{json, Value};

use crate::common::{client, Logs, TestServer};

/// A library call in the style of many crates' (and `main`s'): a boxed, thread-safe error.
fn load_from_upstream() -> Result<u32, Box<dyn Error + Send + Sync>> {
    Err("error_ergonomics.rs: secret upstream detail".into())
}

/// A `std::io::Error`, boxed by a `?` into a `Box<dyn Error + Send + Sync>` on the way up.
fn read_settings() -> Result<String, Box<dyn Error + Send + Sync>> {
    let io = || -> std::io::Result<String> {
        Err(std::io::Error::other(
            "error_ergonomics.rs: secret io detail",
        ))
    };
    Ok(io()?)
}

#[route("/ergo/boxed/[kind]")]
mod boxed {
    use route_runtime::{RouteContext, RouteError};

    pub async fn GET(ctx: RouteContext<Params>) -> Result<String, RouteError> {
        match ctx.params.kind.as_str() {
            "message" => {
                let n = super::load_from_upstream()?;
                Ok(n.to_string())
            }
            "io" => Ok(super::read_settings()?),
            "string" => Err(format!("error_ergonomics.rs: secret {} detail", "string"))?,
            _ => Ok("still serving".to_owned()),
        }
    }
}

/// One route per way of answering 404 (and 403, 401), each after setting a cookie, so that the
/// responses can be compared whole: status, headers and body.
#[route("/ergo/missing/[how]")]
mod missing {
    use route_runtime::navigation::{forbidden, not_found, unauthorized};
    use route_runtime::{cookies, OptionExt, RouteContext, RouteError};

    fn lookup(id: &str) -> Option<&'static str> {
        (id == "1").then_some("first post")
    }

    pub async fn GET(ctx: RouteContext<Params>) -> Result<&'static str, RouteError> {
        cookies().set("seen", "yes")?;
        match ctx.params.how.as_str() {
            "not-found-fn" => match not_found()? {},
            "or-not-found" => Ok(lookup("2").or_not_found()?),
            "ok-or-else" => Ok(lookup("2").ok_or_else(RouteError::not_found)?),
            "forbidden-fn" => match forbidden()? {},
            "forbidden" => Err(RouteError::forbidden()),
            "unauthorized-fn" => match unauthorized()? {},
            "unauthorized" => Err(RouteError::unauthorized()),
            _ => Ok(lookup("1").or_not_found()?),
        }
    }
}

#[route("/ergo/json")]
mod echo_json {
    use route_runtime::{Json, Request, RouteError};

    pub async fn POST(request: Request) -> Result<Json<serde_json::Value>, RouteError> {
        Ok(Json(request.json().await?))
    }
}

#[route("/ergo/text")]
mod echo_text {
    use route_runtime::{Request, RouteError};

    /// The text and its length in bytes, so that a kept BOM (3 bytes, invisible) shows.
    pub async fn POST(request: Request) -> Result<String, RouteError> {
        let text = request.text().await?;
        Ok(format!("{}:{text}", text.len()))
    }
}

async fn server() -> TestServer {
    TestServer::start(routes![boxed, missing, echo_json, echo_text].into_router()).await
}

/// Status, headers (but `date`) and body: everything a client can tell apart.
async fn whole(response: reqwest::Response) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let status = response.status();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| *name != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    let body = response.bytes().await.unwrap().to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn question_mark_on_a_boxed_error_is_a_logged_empty_500_and_the_server_keeps_serving() {
    let (logs, _guard) = Logs::start();
    let server = server().await;
    for kind in ["message", "io", "string"] {
        let response = server.get(&format!("/ergo/boxed/{kind}")).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{kind}"
        );
        assert_eq!(
            response.text().await.unwrap(),
            "",
            "{kind}: a 500 has no body"
        );
    }
    let logged = logs.text();
    for detail in [
        "secret upstream detail",
        "secret io detail",
        "secret string detail",
    ] {
        assert!(
            logged.contains("route handler failed") && logged.contains(detail),
            "`{detail}` is logged as other internal errors are: {logged}"
        );
    }
    let response = server.get("/ergo/boxed/none").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "still serving");
}

#[tokio::test]
async fn or_not_found_and_the_constructors_answer_exactly_what_the_navigation_functions_do() {
    let server = server().await;
    let reference = whole(server.get("/ergo/missing/not-found-fn").await).await;
    assert_eq!(reference.0, StatusCode::NOT_FOUND);
    assert!(
        reference
            .1
            .iter()
            .any(|(n, v)| n == "set-cookie" && v.starts_with("seen=yes")),
        "cookies set before the 404 are sent: {:?}",
        reference.1
    );
    assert!(reference.2.is_empty());
    for how in ["or-not-found", "ok-or-else"] {
        let response = whole(server.get(&format!("/ergo/missing/{how}")).await).await;
        assert_eq!(response, reference, "{how}");
    }
    for (function, constructor, status) in [
        ("forbidden-fn", "forbidden", StatusCode::FORBIDDEN),
        ("unauthorized-fn", "unauthorized", StatusCode::UNAUTHORIZED),
    ] {
        let reference = whole(server.get(&format!("/ergo/missing/{function}")).await).await;
        assert_eq!(reference.0, status);
        let response = whole(server.get(&format!("/ergo/missing/{constructor}")).await).await;
        assert_eq!(response, reference, "{constructor}");
    }
    // `Some` passes through.
    let response = server.get("/ergo/missing/found").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "first post");
}

async fn post(server: &TestServer, path: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let response = client()
        .post(server.url(path))
        .header("content-type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn json_skips_one_leading_utf8_bom_and_keeps_error_positions() {
    let server = server().await;
    let (status, body) = post(
        &server,
        "/ergo/json",
        "application/json",
        b"\xEF\xBB\xBF{\"name\": \"caf\xC3\xA9\"}",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"name": "café"})
    );

    // An error's line and column are the same with and without the BOM.
    let broken = b"{\n  \"a\": [1,,2]\n}";
    let (plain_status, plain) = post(&server, "/ergo/json", "application/json", broken).await;
    let with_bom = [&b"\xEF\xBB\xBF"[..], broken].concat();
    let (bom_status, bom) = post(&server, "/ergo/json", "application/json", &with_bom).await;
    assert_eq!((plain_status, bom_status), (400, 400));
    let bom: Value = serde_json::from_str(&bom).unwrap();
    assert_eq!(bom, serde_json::from_str::<Value>(&plain).unwrap());
    assert_eq!(
        (bom["line"].as_u64(), bom["column"].as_u64()),
        (Some(2), Some(11))
    );
}

#[tokio::test]
async fn text_skips_one_leading_utf8_bom_as_the_whatwg_decode_does() {
    let server = server().await;
    let (status, body) = post(
        &server,
        "/ergo/text",
        "text/plain; charset=utf-8",
        b"\xEF\xBB\xBFh\xC3\xA9llo",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "6:héllo"));

    // Only the first: a second BOM is text.
    let (status, body) = post(
        &server,
        "/ergo/text",
        "text/plain",
        b"\xEF\xBB\xBF\xEF\xBB\xBFx",
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "4:\u{feff}x"));

    // Without a BOM, unchanged.
    let (status, body) = post(&server, "/ergo/text", "text/plain", b"plain").await;
    assert_eq!((status, body.as_str()), (200, "5:plain"));
}
