//! What the runtime logs with `tracing`: every request runs inside a `route` span carrying the
//! route's pattern and method, so a handler's own log lines say which route produced them; a
//! panic or an internal error is logged (inside that span) and never sent to the client.
//!
//! A separate test binary: it installs a global subscriber that captures everything logged.

#![allow(non_snake_case)]

use std::sync::OnceLock;
use std::time::Duration;

use route_runtime::{route, routes};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

// The harness of tests/http: a real server on 127.0.0.1:0, a curl-like client, captured logs.
#[allow(dead_code)]
#[path = "http/common.rs"]
mod common;

use common::{client, Logs, TestServer};

#[route("/trace/items/[id]")]
mod items {
    use route_runtime::{RouteContext, RouteError};

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        tracing::info!(item = %ctx.params.id, "span-check: loading item");
        helper().await;
        format!("item {}", ctx.params.id)
    }

    pub async fn POST(ctx: RouteContext<Params>) -> Result<String, RouteError> {
        tracing::warn!(item = %ctx.params.id, "span-check: updating item");
        Ok("updated".to_owned())
    }

    /// Called from the handler: its lines carry the same span.
    async fn helper() {
        tokio::task::yield_now().await;
        tracing::debug!("span-check: helper ran");
    }
}

#[route("/trace/panic")]
mod panics {
    pub async fn GET() -> &'static str {
        tracing::info!("span-check: about to panic");
        panic!("tracing-secret-7f3a: the vault code is 1234");
    }
}

#[route("/trace/io")]
mod io_error {
    use route_runtime::RouteError;

    pub async fn GET() -> Result<&'static str, RouteError> {
        Err::<(), _>(std::io::Error::other(
            "tracing-secret-io-9b2c: disk on fire",
        ))?;
        Ok("unreachable")
    }
}

/// Installs the capturing subscriber once for the whole binary (the server's tasks run on other
/// threads, so a thread-local default would miss them).
fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        tracing_subscriber::registry()
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(logs.clone())
                    .with_ansi(false)
                    .with_target(true),
            )
            .with(tracing_subscriber::EnvFilter::new("debug"))
            .init();
        logs
    })
}

/// Serves the test routes on 127.0.0.1:0 until the server is dropped.
async fn start() -> TestServer {
    TestServer::start(routes![items, panics, io_error].into_router()).await
}

/// Waits until a line containing `needle` has been logged.
async fn wait_for(logs: &Logs, needle: &str) -> Vec<String> {
    for _ in 0..100 {
        let lines = logs.lines_with(needle);
        if !lines.is_empty() {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("nothing logged with {needle:?}; all logs:\n{}", logs.text());
}

/// Asserts that `line` was logged inside the `route` span of `pattern` and `method`.
fn assert_in_route_span(line: &str, pattern: &str, method: &str) {
    let span = format!("route{{route=\"{pattern}\" method=\"{method}\"}}");
    assert!(
        line.contains(&span),
        "expected the span `{span}` in the log line:\n{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_log_lines_carry_the_route_span() {
    let logs = logs();
    let server = start().await;
    let http = client();

    let response = http
        .get(server.url("/trace/items/42"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "item 42");

    // Tests run concurrently under one log capture: another test loads item 1.
    let lines: Vec<String> = wait_for(logs, "span-check: loading item")
        .await
        .into_iter()
        .filter(|line| line.contains("item=42"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(line.contains("INFO"), "{line}");
    assert_in_route_span(line, "/trace/items/[id]", "GET");

    // A helper the handler awaits logs in the same span.
    let lines = wait_for(logs, "span-check: helper ran").await;
    assert_in_route_span(&lines[0], "/trace/items/[id]", "GET");

    // The method field follows the request.
    let response = http
        .post(server.url("/trace/items/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let lines = wait_for(logs, "span-check: updating item").await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("WARN"), "{}", lines[0]);
    assert_in_route_span(&lines[0], "/trace/items/[id]", "POST");

    // Outside a request, the same kind of line has no route span.
    tracing::info!("span-check: outside any request");
    let lines = wait_for(logs, "span-check: outside any request").await;
    assert!(!lines[0].contains("route{"), "{}", lines[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_is_logged_in_its_span_and_never_sent() {
    let logs = logs();
    let server = start().await;
    let http = client();

    let response = http.get(server.url("/trace/panic")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    let body = response.text().await.unwrap();
    assert_eq!(body, "", "the panic's message reached the client");

    let lines = wait_for(logs, "route handler panicked").await;
    let line = &lines[0];
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("tracing-secret-7f3a: the vault code is 1234"),
        "the panic's message is not in the log line:\n{line}"
    );
    assert_in_route_span(line, "/trace/panic", "GET");

    // The server keeps serving.
    let response = http.get(server.url("/trace/items/1")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_error_is_logged_in_its_span_and_never_sent() {
    let logs = logs();
    let server = start().await;

    let response = client().get(server.url("/trace/io")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.text().await.unwrap(), "");

    let lines = wait_for(logs, "tracing-secret-io-9b2c").await;
    let line = &lines[0];
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("route handler failed"), "{line}");
    assert_in_route_span(line, "/trace/io", "GET");
}
