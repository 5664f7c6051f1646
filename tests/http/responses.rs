//! The response helpers (`json`, `text`, `xml`, `html`, `stream`) and plain axum responses over
//! real HTTP, including a stream that must reach the client chunk by chunk.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::StatusCode;
use route_runtime::{route, routes};
use serde_json::{json, Value};

use crate::common::{client, header, TestServer};

#[route("/res/json")]
mod json_response {
    use route_runtime::response::json;
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> impl IntoResponse {
        json(serde_json::json!({ "id": 7, "tags": ["a", "b"] }))
            .status(StatusCode::CREATED)
            .header("x-custom", "yes")
            .header("cache-control", "no-store")
    }
}

#[route("/res/text")]
mod text_response {
    use route_runtime::response::text;
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> impl IntoResponse {
        text("not ready yet").status(StatusCode::ACCEPTED)
    }
}

#[route("/res/xml")]
mod xml_response {
    use route_runtime::response::xml;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        xml(r#"<?xml version="1.0" encoding="UTF-8"?><urlset/>"#)
            .header("cache-control", "public, max-age=3600")
    }
}

#[route("/res/rss")]
mod rss_response {
    use route_runtime::response::xml;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        xml(r#"<rss version="2.0"></rss>"#).content_type("application/rss+xml")
    }
}

#[route("/res/html")]
mod html_response {
    use route_runtime::response::html;
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> impl IntoResponse {
        html("<!doctype html><p>Gone</p>").status(StatusCode::GONE)
    }
}

#[route("/res/tuple")]
mod tuple_response {
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> impl IntoResponse {
        (
            StatusCode::CREATED,
            [("x-from", "tuple"), ("content-type", "text/csv")],
            "a,b\n1,2\n",
        )
    }
}

#[route("/res/axum-json")]
mod axum_json {
    use route_runtime::Json;

    pub async fn GET() -> Json<serde_json::Value> {
        Json(serde_json::json!({ "plain": "axum" }))
    }
}

#[route("/res/status-string")]
mod status_string {
    use route_runtime::StatusCode;

    pub async fn GET() -> (StatusCode, String) {
        (StatusCode::IM_A_TEAPOT, format!("short and {}", "stout"))
    }
}

/// The delay between the two chunks of `/res/stream`.
const GAP: Duration = Duration::from_millis(300);

#[route("/res/stream")]
mod streamed {
    use std::convert::Infallible;

    use route_runtime::response::stream;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        let chunks = futures_util::stream::unfold(0u8, |n| async move {
            match n {
                0 => Some((Ok::<_, Infallible>("chunk 1;"), 1)),
                1 => {
                    tokio::time::sleep(super::GAP).await;
                    Some((Ok("chunk 2;"), 2))
                }
                _ => None,
            }
        });
        stream(chunks).header("x-stream", "yes")
    }
}

#[route("/res/events")]
mod events {
    use std::convert::Infallible;

    use route_runtime::response::stream;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        let events =
            futures_util::stream::iter(["data: 1\n\n", "data: 2\n\n"].map(Ok::<_, Infallible>));
        stream(events)
            .content_type("text/event-stream")
            .header("cache-control", "no-cache")
    }
}

async fn server() -> TestServer {
    TestServer::start(
        routes![
            json_response,
            text_response,
            xml_response,
            rss_response,
            html_response,
            tuple_response,
            axum_json,
            status_string,
            streamed,
            events
        ]
        .into_router(),
    )
    .await
}

#[tokio::test]
async fn json_with_status_and_headers() {
    let server = server().await;
    let response = server.get("/res/json").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "x-custom"), "yes");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "id": 7, "tags": ["a", "b"] })
    );
}

#[tokio::test]
async fn text_is_text_plain_charset_utf8_as_nextjs_sends_it() {
    let server = server().await;
    let response = server.get("/res/text").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain;charset=UTF-8"
    );
    assert_eq!(response.text().await.unwrap(), "not ready yet");
}

#[tokio::test]
async fn xml_and_html_content_types() {
    let server = server().await;
    let response = server.get("/res/xml").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "text/xml; charset=utf-8");
    assert_eq!(header(&response, "cache-control"), "public, max-age=3600");
    assert_eq!(
        response.text().await.unwrap(),
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset/>"#
    );

    let response = server.get("/res/rss").await;
    let types: Vec<_> = response.headers().get_all("content-type").iter().collect();
    assert_eq!(
        types,
        ["application/rss+xml"],
        "the default type is replaced"
    );
    assert_eq!(
        response.text().await.unwrap(),
        r#"<rss version="2.0"></rss>"#
    );

    let response = server.get("/res/html").await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "<!doctype html><p>Gone</p>");
}

#[tokio::test]
async fn plain_axum_responses_still_work() {
    let server = server().await;
    let response = server.get("/res/tuple").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "x-from"), "tuple");
    assert_eq!(header(&response, "content-type"), "text/csv");
    assert_eq!(response.text().await.unwrap(), "a,b\n1,2\n");

    let response = server.get("/res/axum-json").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "plain": "axum" })
    );

    let response = server.get("/res/status-string").await;
    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(
        header(&response, "content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(response.text().await.unwrap(), "short and stout");
}

/// The first chunk must reach the client long before the handler's 300 ms pause ends, and the
/// second after it. A buffered body would deliver both together, at 300 ms or later.
#[tokio::test]
async fn a_stream_is_sent_chunk_by_chunk_not_buffered() {
    let server = server().await;
    // Warm the connection up so the measurement is only the request itself.
    let http = client();
    let warm = http.get(server.url("/res/text")).send().await.unwrap();
    warm.bytes().await.unwrap();

    let started = Instant::now();
    let response = http.get(server.url("/res/stream")).send().await.unwrap();
    let headers_at = started.elapsed();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "content-type"),
        "application/octet-stream"
    );
    assert_eq!(header(&response, "x-stream"), "yes");
    assert!(
        response.headers().get("content-length").is_none(),
        "a stream has no length known up front"
    );
    assert!(
        headers_at < Duration::from_millis(250),
        "headers took {headers_at:?}: the response waited for the stream"
    );

    let mut body = response.bytes_stream();
    let mut before_gap = Vec::new();
    let mut after_gap = Vec::new();
    let mut first_data_at = None;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("body chunk");
        let at = started.elapsed();
        first_data_at.get_or_insert(at);
        if at < Duration::from_millis(250) {
            before_gap.extend_from_slice(&chunk);
        } else {
            assert!(at >= GAP, "data at {at:?}, inside the gap");
            after_gap.extend_from_slice(&chunk);
        }
    }
    let first_data_at = first_data_at.expect("a body");
    assert!(
        first_data_at < Duration::from_millis(250),
        "the first chunk arrived after {first_data_at:?}: the body was buffered"
    );
    assert_eq!(
        String::from_utf8_lossy(&before_gap),
        "chunk 1;",
        "exactly the first chunk before the pause"
    );
    assert_eq!(
        String::from_utf8_lossy(&after_gap),
        "chunk 2;",
        "the second chunk after the pause"
    );
    assert!(started.elapsed() >= GAP);
}

#[tokio::test]
async fn a_stream_can_set_its_content_type() {
    let server = server().await;
    let response = server.get("/res/events").await;
    assert_eq!(response.status(), StatusCode::OK);
    let types: Vec<_> = response.headers().get_all("content-type").iter().collect();
    assert_eq!(types, ["text/event-stream"]);
    assert_eq!(header(&response, "cache-control"), "no-cache");
    assert_eq!(response.text().await.unwrap(), "data: 1\n\ndata: 2\n\n");
}

#[tokio::test]
async fn head_of_a_json_get_keeps_status_and_headers_without_a_body() {
    let server = server().await;
    let full = server.get("/res/json").await.bytes().await.unwrap();
    let response = client().head(server.url("/res/json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "x-custom"), "yes");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert_eq!(header(&response, "content-length"), full.len().to_string());
    assert!(response.bytes().await.unwrap().is_empty());

    // The raw bytes: no body after the head.
    let raw = server
        .raw(
            b"HEAD /res/json HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            Duration::from_secs(3),
        )
        .await;
    assert!(raw.starts_with("HTTP/1.1 201"), "{raw}");
    assert!(
        raw.to_ascii_lowercase()
            .contains("content-type: application/json\r\n"),
        "{raw}"
    );
    assert!(raw.ends_with("\r\n\r\n"), "HEAD sent a body: {raw:?}");
}
