//! End-to-end tests of the example app (`examples/app/`): its router, prerendered as `main.rs`
//! does, served over real HTTP on `127.0.0.1:0`, and every route of issue 5 checked for status,
//! headers and body.
//!
//! ```sh
//! cargo test --test example
//! ```

#[allow(dead_code)]
#[path = "../examples/app/routes.rs"]
mod routes;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

// The same harness as tests/http: a real server on 127.0.0.1:0, a curl-like client.
#[allow(dead_code)]
#[path = "http/common.rs"]
mod common;

use common::{client, header, TestServer as App};

/// `/api/posts` uses the process-wide cache and the upstream counts its calls in a static, so
/// the test that counts them runs alone: every server start (which prerenders `/api/posts`)
/// takes this lock too.
static CACHE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The example app, built as `examples/app/main.rs` builds it, served on an ephemeral port.
async fn start_app() -> App {
    let _cache = CACHE_LOCK.lock().await;
    start_app_unlocked().await
}

/// Same, for a caller that already holds [`CACHE_LOCK`].
async fn start_app_unlocked() -> App {
    App::start(routes::routes().into_prerendered_router().await).await
}

/// `GET path` → status, then the body parsed as JSON (the content type checked too).
async fn get_json(app: &App, path: &str) -> (u16, Value) {
    let response = client().get(app.url(path)).send().await.expect("send");
    let status = response.status().as_u16();
    assert_eq!(
        header(&response, "content-type"),
        "application/json",
        "GET {path}"
    );
    let body = response.json().await.expect("JSON body");
    (status, body)
}

#[tokio::test]
async fn hello_answers_hello_world() {
    let app = start_app().await;
    let (status, body) = get_json(&app, "/api/hello").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "message": "Hello World" }));
    // A static route without caching config is dynamic: no cache headers.
    let response = client().get(app.url("/api/hello")).send().await.unwrap();
    assert!(response.headers().get("x-nextjs-cache").is_none());
    assert!(response.headers().get("cache-control").is_none());
}

#[tokio::test]
async fn methods_each_answer_their_own_name() {
    let app = start_app().await;
    let http = client();
    for name in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let method = reqwest::Method::from_bytes(name.as_bytes()).unwrap();
        let response = http
            .request(method, app.url("/api/methods"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        assert_eq!(
            header(&response, "content-type"),
            "text/plain; charset=utf-8",
            "{name}"
        );
        assert_eq!(response.text().await.unwrap(), name, "{name}");
    }
    // HEAD: no body on the wire, but the module's own HEAD ran (its body "HEAD" is 4 bytes;
    // GET's would be 3).
    let response = http.head(app.url("/api/methods")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-length"), "4");
    assert_eq!(response.text().await.unwrap(), "");
    // An unknown method is a 400, not a handler call.
    let response = http
        .request(
            reqwest::Method::from_bytes(b"FOO").unwrap(),
            app.url("/api/methods"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn dynamic_segments_answer_their_params() {
    let app = start_app().await;
    let cases = [
        ("/dashboard/1", json!({ "team": "1" })),
        ("/dashboard/a%20b", json!({ "team": "a b" })),
        ("/shop/1/2", json!({ "tag": "1", "item": "2" })),
        ("/blog/a", json!({ "slug": ["a"] })),
        (
            "/blog/a/b%2Fc/d%20e",
            json!({ "slug": ["a", "b/c", "d e"] }),
        ),
        ("/docs", json!({})),
        ("/docs/x", json!({ "slug": ["x"] })),
        ("/docs/x/y", json!({ "slug": ["x", "y"] })),
        ("/items/x", json!({ "slug": "x" })),
        ("/items/%252F", json!({ "slug": "%2F" })),
    ];
    for (path, expected) in cases {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, 200, "GET {path}");
        assert_eq!(body, expected, "GET {path}");
    }
    // A catch-all needs at least one segment.
    let response = client().get(app.url("/blog")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    // Trailing slash: a 308 to the canonical path.
    let response = client()
        .get(app.url("/dashboard/1/?q=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(header(&response, "location"), "/dashboard/1?q=2");
    // Malformed percent-encoding in a param: 400.
    let response = client()
        .get(app.url("/dashboard/%zz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn users_id_is_typed() {
    let app = start_app().await;
    let (status, body) = get_json(&app, "/users/42").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "id": 42 }));

    for bad in ["/users/abc", "/users/-1", "/users/1.5"] {
        let response = client().get(app.url(bad)).send().await.unwrap();
        assert_eq!(response.status(), 400, "GET {bad}");
        let text = response.text().await.unwrap();
        assert!(
            text.contains("id"),
            "GET {bad}: the message names `id`: {text:?}"
        );
    }
}

#[tokio::test]
async fn cookies_reads_token_and_sets_it_back() {
    let app = start_app().await;
    let response = client()
        .get(app.url("/api/cookies"))
        .header("cookie", "other=1; token=abc123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let set: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set, ["token=abc123; Path=/"]);
    assert!(response.headers().get("x-nextjs-cache").is_none());
    assert_eq!(response.text().await.unwrap(), "Hello");
}

#[tokio::test]
async fn headers_echoes_the_referer() {
    let app = start_app().await;
    let response = client()
        .get(app.url("/api/headers"))
        .header("referer", "https://example.com/from")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "referer"), "https://example.com/from");
    assert_eq!(response.text().await.unwrap(), "Hello");
}

#[tokio::test]
async fn echo_returns_the_json_body() {
    let app = start_app().await;
    let sent = json!({ "a": [1, 2], "b": { "c": "ü" } });
    let response = client()
        .post(app.url("/api/echo"))
        .json(&sent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "received": sent }));

    // Malformed JSON: a 400 with a message, not a 500.
    let response = client()
        .post(app.url("/api/echo"))
        .header("content-type", "application/json")
        .body(r#"{"a":"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(!response.text().await.unwrap().is_empty());
}

#[tokio::test]
async fn form_reads_urlencoded_and_multipart() {
    let app = start_app().await;
    let expected = json!({ "name": "Ada Lovelace", "email": "ada@example.com" });

    let response = client()
        .post(app.url("/api/form"))
        .form(&[("name", "Ada Lovelace"), ("email", "ada@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(response.json::<Value>().await.unwrap(), expected);

    let form = reqwest::multipart::Form::new()
        .text("name", "Ada Lovelace")
        .text("email", "ada@example.com");
    let response = client()
        .post(app.url("/api/form"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), expected);
}

#[tokio::test]
async fn search_reads_the_query() {
    let app = start_app().await;
    let (status, body) = get_json(&app, "/api/search?query=hello").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "query": "hello" }));
    let (status, body) = get_json(&app, "/api/search").await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({ "query": null }));
}

#[tokio::test]
async fn redirect_is_a_307_to_nextjs() {
    let app = start_app().await;
    let response = client()
        .get(app.url("/api/redirect"))
        // Never used to build the target (CVE-2024-34351's class).
        .header("host", "169.254.169.254")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 307);
    assert_eq!(header(&response, "location"), "https://nextjs.org/");
}

#[tokio::test]
async fn stream_sends_each_chunk_as_it_is_produced() {
    let app = start_app().await;
    let started = Instant::now();
    let mut response = client().get(app.url("/api/stream")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert!(
        response.headers().get("content-length").is_none(),
        "a stream has no length up front: {:?}",
        response.headers()
    );

    let first = response.chunk().await.unwrap().expect("a first chunk");
    let first_at = started.elapsed();
    assert_eq!(&first[..], b"<p>One</p>");
    assert!(
        first_at < Duration::from_millis(180),
        "the first chunk came after {first_at:?}: it waited for the 200 ms delay"
    );

    let mut rest = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    let second_at = started.elapsed();
    assert_eq!(rest, b"<p>Two</p>");
    assert!(
        second_at >= Duration::from_millis(200),
        "the second chunk came after {second_at:?}, before the 200 ms delay ended"
    );
}

#[tokio::test]
async fn cors_sends_the_docs_headers() {
    let app = start_app().await;
    let response = client().get(app.url("/api/cors")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "access-control-allow-origin"), "*");
    assert_eq!(
        header(&response, "access-control-allow-methods"),
        "GET, POST, PUT, DELETE, OPTIONS"
    );
    assert_eq!(
        header(&response, "access-control-allow-headers"),
        "Content-Type, Authorization"
    );
    assert_eq!(response.text().await.unwrap(), "Hello");
}

#[tokio::test]
async fn webhook_accepts_text_and_refuses_non_utf8() {
    let app = start_app().await;
    let response = client()
        .post(app.url("/api/webhook"))
        .header("content-type", "application/json")
        .body(r#"{"event":"push"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "Success!");

    let response = client()
        .post(app.url("/api/webhook"))
        .header("content-type", "text/plain")
        .body(vec![0xff_u8, 0xfe, 0x00, 0xc3])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let text = response.text().await.unwrap();
    assert!(
        text.starts_with("Webhook error: ") && text.len() > "Webhook error: ".len(),
        "{text:?}"
    );
}

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">
<channel>
  <title>Next.js Documentation</title>
  <link>https://nextjs.org/docs</link>
  <description>The React Framework for the Web</description>
</channel>
</rss>"#;

#[tokio::test]
async fn rss_is_xml() {
    let app = start_app().await;
    let response = client().get(app.url("/rss.xml")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = header(&response, "content-type");
    assert!(
        content_type.starts_with("text/xml"),
        "content-type: {content_type}"
    );
    assert_eq!(response.text().await.unwrap(), RSS);
    // A dot is an ordinary character: no extension fallback.
    let response = client().get(app.url("/rss")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

/// Upstream calls so far.
fn upstream_calls() -> usize {
    routes::upstream::CALLS.load(Ordering::SeqCst)
}

fn posts() -> Value {
    json!([
        { "id": 1, "title": "Route Handlers in Rust" },
        { "id": 2, "title": "Incremental caching" },
    ])
}

/// `GET /api/posts` → status, `x-nextjs-cache`, `cache-control`, body, and how long it took.
async fn get_posts(app: &App) -> (u16, String, String, Value, Duration) {
    let started = Instant::now();
    let response = client().get(app.url("/api/posts")).send().await.unwrap();
    let status = response.status().as_u16();
    let cache = header(&response, "x-nextjs-cache").to_owned();
    let cache_control = header(&response, "cache-control").to_owned();
    assert_eq!(header(&response, "content-type"), "application/json");
    let body = response.json().await.unwrap();
    (status, cache, cache_control, body, started.elapsed())
}

#[tokio::test]
async fn posts_are_prerendered_cached_and_revalidated_on_demand() {
    let _cache = CACHE_LOCK.lock().await;
    // Start from an empty entry, so that this server's own prerendering is what fills it.
    route_runtime::cache::Cache::global()
        .revalidate_tag("posts")
        .await
        .unwrap();
    let before = upstream_calls();
    let app = start_app_unlocked().await;
    assert_eq!(
        upstream_calls(),
        before + 1,
        "prerendering calls the upstream once"
    );

    // The first request is already a HIT, and fast; so are the repeats; no upstream call.
    let fast = routes::upstream::LATENCY / 2;
    for i in 0..5 {
        let (status, cache, cache_control, body, took) = get_posts(&app).await;
        assert_eq!(status, 200, "request {i}");
        assert_eq!(cache, "HIT", "request {i}");
        assert_eq!(
            cache_control, "s-maxage=60, stale-while-revalidate=31535940",
            "request {i}"
        );
        assert_eq!(body, posts(), "request {i}");
        assert!(took < fast, "request {i} took {took:?}");
    }
    assert_eq!(
        upstream_calls(),
        before + 1,
        "cached requests call no upstream"
    );

    // HEAD reads the cached entry too.
    let response = client().head(app.url("/api/posts")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-nextjs-cache"), "HIT");
    assert_eq!(upstream_calls(), before + 1);

    // A POST is not the cached GET: 405 with Allow.
    let response = client().post(app.url("/api/posts")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert!(header(&response, "allow").contains("GET"));

    // On-demand revalidation.
    let response = client()
        .post(app.url("/api/revalidate?tag=posts"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "revalidated": true, "tag": "posts" })
    );
    assert_eq!(
        upstream_calls(),
        before + 1,
        "revalidation itself calls no upstream"
    );

    // The next GET regenerates: a MISS that waited for the upstream, called once.
    let (status, cache, cache_control, body, took) = get_posts(&app).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "MISS");
    assert_eq!(
        cache_control,
        "s-maxage=60, stale-while-revalidate=31535940"
    );
    assert_eq!(body, posts());
    assert!(
        took >= routes::upstream::LATENCY,
        "a regeneration took {took:?}"
    );
    assert_eq!(
        upstream_calls(),
        before + 2,
        "one regeneration, one upstream call"
    );

    // And the one after it is a HIT again.
    let (status, cache, _, body, took) = get_posts(&app).await;
    assert_eq!((status, cache.as_str()), (200, "HIT"));
    assert_eq!(body, posts());
    assert!(took < fast, "took {took:?}");
    assert_eq!(upstream_calls(), before + 2);

    // Without a tag: a 400 with a message.
    let response = client()
        .post(app.url("/api/revalidate"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("tag"));
}

/// Concurrent first requests after a revalidation share one regeneration (single flight).
#[tokio::test]
async fn posts_regenerate_once_for_concurrent_requests() {
    let _cache = CACHE_LOCK.lock().await;
    let app = start_app_unlocked().await;
    let response = client()
        .post(app.url("/api/revalidate?tag=posts"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let before = upstream_calls();
    let requests = (0..8).map(|_| get_posts(&app));
    let answers = futures_util::future::join_all(requests).await;
    for (status, cache, _, body, _) in &answers {
        assert_eq!(*status, 200);
        assert!(cache == "MISS" || cache == "HIT", "{cache}");
        assert_eq!(*body, posts());
    }
    assert_eq!(
        upstream_calls(),
        before + 1,
        "one upstream call for 8 requests"
    );
}
