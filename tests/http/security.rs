//! Security and reliability over real HTTP: each rule of `security.md` and each item of issue #7,
//! as a request a hostile or broken client could send, and what must (and must not) come back.
//!
//! Some tests speak raw HTTP/1.1 over TCP, because reqwest (like any well-behaved client)
//! normalises paths, refuses to send malformed heads and never smuggles a request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::IntoResponse;
use route_runtime::cache::{Cache, CacheEntry, CacheFuture, CacheHandler, CacheKey};
use route_runtime::{route, routes, ServeConfig, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::common::{client, eventually, header, Logs, TestServer};

// ---------------------------------------------------------------------------------------------
// Routes under test
// ---------------------------------------------------------------------------------------------

/// Sets an `AtomicBool` when dropped: proves that a future or a stream was dropped.
pub struct DropFlag(pub &'static AtomicBool);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[route("/sec/hello")]
mod hello {
    use route_runtime::{Request, RouteError};

    pub async fn GET() -> &'static str {
        "hello"
    }

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        let text = request.text().await?;
        Ok(format!("posted {} bytes", text.len()))
    }
}

#[route("/sec/teams/[team]")]
mod teams {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/sec/blog/[...slug]")]
mod blog {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/sec/echo")]
mod echo {
    use route_runtime::{Json, Request, RouteError};

    pub async fn POST(request: Request) -> Result<Json<serde_json::Value>, RouteError> {
        let value: serde_json::Value = request.json().await?;
        Ok(Json(value))
    }
}

#[route("/sec/form")]
mod form {
    use route_runtime::{Request, RouteError};

    pub async fn POST(request: Request) -> Result<&'static str, RouteError> {
        request.form_data().await?;
        Ok("ok")
    }
}

#[route("/sec/upload")]
mod upload {
    use route_runtime::{Request, RouteError};

    pub const BODY_LIMIT: usize = 1024;

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        let text = request.text().await?;
        Ok(format!("{} bytes", text.len()))
    }
}

/// The same limit, with the body read through a plain axum extractor.
#[route("/sec/upload-extractor")]
mod upload_extractor {
    pub const BODY_LIMIT: usize = 1024;

    pub async fn POST(body: String) -> String {
        format!("{} bytes", body.len())
    }
}

static WATCH_OK: AtomicUsize = AtomicUsize::new(0);
static WATCH_ERR: AtomicUsize = AtomicUsize::new(0);

/// Counts how body reads end, for the client that goes away mid-upload.
#[route("/sec/upload-watch")]
mod upload_watch {
    use std::sync::atomic::Ordering;

    use route_runtime::{Request, RouteError};

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        match request.text().await {
            Ok(text) => {
                super::WATCH_OK.fetch_add(1, Ordering::SeqCst);
                Ok(format!("{} bytes", text.len()))
            }
            Err(error) => {
                super::WATCH_ERR.fetch_add(1, Ordering::SeqCst);
                Err(error)
            }
        }
    }
}

static SLOW_OK: AtomicUsize = AtomicUsize::new(0);
static SLOW_ERR: AtomicUsize = AtomicUsize::new(0);

/// Counts how body reads end, for the client that trickles its body.
#[route("/sec/slow-body")]
mod slow_body {
    use std::sync::atomic::Ordering;

    use route_runtime::{Request, RouteError};

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        match request.text().await {
            Ok(text) => {
                super::SLOW_OK.fetch_add(1, Ordering::SeqCst);
                Ok(format!("{} bytes", text.len()))
            }
            Err(error) => {
                super::SLOW_ERR.fetch_add(1, Ordering::SeqCst);
                Err(error)
            }
        }
    }
}

#[route("/sec/panic")]
mod panics {
    pub async fn GET() -> &'static str {
        panic!("secret-panic-detail: the database password is hunter2");
    }
}

#[route("/sec/cookies/inject")]
mod cookie_inject {
    use route_runtime::cookies::cookies;
    use route_runtime::RouteError;

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set("sess", "a\r\nSet-Cookie: admin=1")?;
        Ok("ok")
    }
}

#[route("/sec/cookies/domain")]
mod cookie_domain {
    use route_runtime::cookies::cookies;
    use route_runtime::RouteError;

    pub async fn GET() -> Result<&'static str, RouteError> {
        cookies().set("sess", "x; Domain=evil.com; Path=/admin")?;
        Ok("ok")
    }
}

/// Cookie names that are not RFC 6265 tokens.
pub const BAD_COOKIE_NAMES: &[&str] = &["a=b", "a;b", "", "a,b", "a b", "a\tb", "a\r\nb", "a\0b"];

#[route("/sec/cookies/names")]
mod cookie_names {
    use route_runtime::cookies::cookies;
    use route_runtime::Json;

    pub async fn GET() -> Json<Vec<bool>> {
        let jar = cookies();
        let refused = super::BAD_COOKIE_NAMES
            .iter()
            .map(|name| jar.set(*name, "v").is_err())
            .collect();
        Json(refused)
    }
}

#[route("/sec/cookies/many")]
mod many_cookies {
    use route_runtime::cookies::cookies;
    use route_runtime::Json;

    pub async fn GET() -> Json<serde_json::Value> {
        let jar = cookies();
        let first = jar.get("c0").map(|v| v.to_string());
        let last = jar.get("c4999").map(|v| v.to_string());
        Json(serde_json::json!({ "first": first, "last": last }))
    }
}

#[route("/sec/redirect/inject")]
mod redirect_inject {
    use route_runtime::navigation::redirect;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        redirect("/a\r\nSet-Cookie: evil=1")
    }
}

#[route("/sec/redirect/login")]
mod login {
    use route_runtime::navigation::redirect;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        redirect("/login")
    }
}

static GUARDED_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Behind `guard` (the app's "middleware"): only runs with the right token.
#[route("/sec/guarded")]
mod guarded {
    use std::sync::atomic::Ordering;

    pub async fn GET() -> &'static str {
        super::GUARDED_CALLS.fetch_add(1, Ordering::SeqCst);
        "the secret"
    }
}

static HANG_DROPPED: AtomicBool = AtomicBool::new(false);

#[route("/sec/hang")]
mod hang {
    pub const MAX_DURATION: u64 = 1;

    pub async fn GET() -> &'static str {
        let _guard = super::DropFlag(&super::HANG_DROPPED);
        std::future::pending::<()>().await;
        "never"
    }
}

static STREAM_DROPPED: AtomicBool = AtomicBool::new(false);

/// A stream that never ends: one chunk every 100 ms.
#[route("/sec/stream")]
mod forever_stream {
    use std::convert::Infallible;
    use std::time::Duration;

    use route_runtime::response::{stream, StreamResponse};

    pub async fn GET() -> StreamResponse {
        let guard = super::DropFlag(&super::STREAM_DROPPED);
        let ticks = futures_util::stream::unfold(guard, |guard| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Some((Ok::<_, Infallible>("tick\n"), guard))
        });
        stream(ticks)
    }
}

static SMUGGLED_ADMIN_CALLS: AtomicUsize = AtomicUsize::new(0);

/// What a smuggled request would reach.
#[route("/sec/smuggle-admin")]
mod smuggle_admin {
    use std::sync::atomic::Ordering;

    pub async fn GET() -> &'static str {
        super::SMUGGLED_ADMIN_CALLS.fetch_add(1, Ordering::SeqCst);
        "ADMIN RAN"
    }
}

/// The app's "middleware": `/sec/guarded` needs `Authorization: Bearer let-me-in`.
async fn guard(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if request.uri().path().starts_with("/sec/guarded") {
        let allowed = request
            .headers()
            .get("authorization")
            .is_some_and(|v| v == "Bearer let-me-in");
        if !allowed {
            return (StatusCode::UNAUTHORIZED, "token required").into_response();
        }
    }
    next.run(request).await
}

fn app() -> axum::Router {
    routes![
        hello,
        teams,
        blog,
        echo,
        form,
        upload,
        upload_extractor,
        upload_watch,
        slow_body,
        panics,
        cookie_inject,
        cookie_domain,
        cookie_names,
        many_cookies,
        redirect_inject,
        login,
        guarded,
        hang,
        forever_stream,
        smuggle_admin,
    ]
    .into_router()
    .layer(axum::middleware::from_fn(guard))
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1
// ---------------------------------------------------------------------------------------------

/// One response, parsed from the bytes on the wire.
#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.all(name).first().copied()
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.text()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses the response at the start of `buf`: `None` while incomplete. A body without length or
/// chunking runs to the end of the connection (`eof`).
fn parse_response(buf: &[u8], eof: bool) -> Option<(RawResponse, usize)> {
    let head_end = find(buf, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut response = RawResponse {
        status,
        headers,
        body: Vec::new(),
    };
    let rest = &buf[head_end + 4..];
    if status < 200 || status == 204 || status == 304 {
        return Some((response, head_end + 4));
    }
    if let Some(len) = response.header("content-length") {
        let len: usize = len.parse().ok()?;
        if rest.len() < len {
            return None;
        }
        response.body = rest[..len].to_vec();
        return Some((response, head_end + 4 + len));
    }
    if response
        .header("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
    {
        let mut at = 0;
        loop {
            let line_end = find(&rest[at..], b"\r\n")?;
            let size_text = String::from_utf8_lossy(&rest[at..at + line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            at += line_end + 2;
            if size == 0 {
                let trailer_end = find(&rest[at..], b"\r\n")?;
                at += trailer_end + 2;
                return Some((response, head_end + 4 + at));
            }
            if rest.len() < at + size + 2 {
                return None;
            }
            response.body.extend_from_slice(&rest[at..at + size]);
            at += size + 2;
        }
    }
    if !eof {
        return None;
    }
    response.body = rest.to_vec();
    Some((response, buf.len()))
}

/// Every response in `raw` (what a connection received before it closed).
fn parse_all(raw: &[u8]) -> Vec<RawResponse> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        match parse_response(&raw[at..], true) {
            Some((response, used)) if used > 0 => {
                out.push(response);
                at += used;
            }
            _ => break,
        }
    }
    out
}

/// Sends `request` on a new connection; everything received until close or `wait`.
async fn raw_exchange(server: &TestServer, request: &[u8], wait: Duration) -> Vec<RawResponse> {
    let text = server.raw(request, wait).await;
    parse_all(text.as_bytes())
}

/// `GET target` (sent byte for byte as given) with extra header lines, on its own connection.
async fn raw_get(server: &TestServer, target: &str, extra: &str) -> RawResponse {
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n");
    let mut responses = raw_exchange(server, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(responses.len(), 1, "GET {target:?}: {responses:?}");
    responses.remove(0)
}

/// A kept-alive raw connection: one request, one response, in turn.
struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    async fn open(server: &TestServer) -> RawConn {
        RawConn {
            stream: TcpStream::connect(server.addr).await.expect("connect"),
            buf: Vec::new(),
        }
    }

    /// Sends `request` and reads one response (`None` if the server closed the connection).
    async fn exchange(&mut self, request: &[u8]) -> Option<RawResponse> {
        self.stream.write_all(request).await.ok()?;
        self.response().await
    }

    async fn response(&mut self) -> Option<RawResponse> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some((response, used)) = parse_response(&self.buf, false) {
                self.buf.drain(..used);
                return Some(response);
            }
            let mut chunk = [0u8; 16 * 1024];
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => return parse_response(&self.buf, true).map(|r| r.0),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => panic!(
                    "no response within 5 s; got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }
}

fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// The server still answers an ordinary request, on a fresh connection.
async fn assert_still_serving(server: &TestServer) {
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        client().get(server.url("/sec/hello")).send(),
    )
    .await
    .expect("the server answers within 5 s")
    .expect("the server answers");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello");
}

// ---------------------------------------------------------------------------------------------
// Bad input: a clear 4xx, and the server keeps serving (rule 8)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn malformed_json_is_a_400_with_a_message() {
    let server = TestServer::start(app()).await;
    for body in [r#"{"a":"#, "", "not json", r#"{"a":1}}"#, "\u{0}"] {
        let response = client()
            .post(server.url("/sec/echo"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "body {body:?}");
        let error: serde_json::Value = response.json().await.expect("a JSON error body");
        let message = error["error"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "body {body:?}: no message in {error}");
    }
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn wrong_content_type_is_a_415() {
    let server = TestServer::start(app()).await;
    let response = client()
        .post(server.url("/sec/echo"))
        .header("content-type", "text/plain")
        .body(r#"{"a":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415, "JSON read from a text/plain body");
    let response = client()
        .post(server.url("/sec/form"))
        .header("content-type", "application/json")
        .body(r#"{"a":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415, "form data read from a JSON body");
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn body_over_the_limit_is_a_413_without_reading_the_rest() {
    let server = TestServer::start(app()).await;

    // Within the limit: served.
    let ok = client()
        .post(server.url("/sec/upload"))
        .header("content-type", "text/plain")
        .body("x".repeat(1024))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1024 bytes");

    // A 10 MiB Content-Length, of which the client sends only a little more than the limit and
    // then nothing: the answer must come now, not after the body deadline.
    let mut conn = RawConn::open(&server).await;
    let head = "POST /sec/upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\
                Content-Length: 10485760\r\n\r\n";
    conn.stream.write_all(head.as_bytes()).await.unwrap();
    conn.stream.write_all(&[b'x'; 1536]).await.unwrap();
    let started = Instant::now();
    let response = tokio::time::timeout(Duration::from_secs(3), conn.response())
        .await
        .expect("413 before the rest of the body arrives")
        .expect("a response");
    assert_eq!(response.status, 413, "{response:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // The same with a chunked body (no Content-Length to check up front).
    let mut conn = RawConn::open(&server).await;
    let head = "POST /sec/upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    conn.stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..4 {
        conn.stream.write_all(b"200\r\n").await.unwrap();
        conn.stream.write_all(&[b'x'; 0x200]).await.unwrap();
        conn.stream.write_all(b"\r\n").await.unwrap();
    }
    let response = tokio::time::timeout(Duration::from_secs(3), conn.response())
        .await
        .expect("413 while the chunked body is still open")
        .expect("a response");
    assert_eq!(response.status, 413, "{response:?}");

    assert_still_serving(&server).await;
}

/// `BODY_LIMIT` is the route's bound whatever reads the body: an axum `String` extractor too.
#[tokio::test]
async fn body_limit_applies_to_axum_extractors() {
    let server = TestServer::start(app()).await;
    let ok = client()
        .post(server.url("/sec/upload-extractor"))
        .body("x".repeat(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let over = client()
        .post(server.url("/sec/upload-extractor"))
        .body("x".repeat(4096))
        .send()
        .await
        .unwrap();
    assert_eq!(
        over.status(),
        413,
        "a 4 KiB body reached a handler whose route sets BODY_LIMIT = 1024: {:?}",
        over.text().await
    );
}

#[tokio::test]
async fn client_gone_mid_upload_gives_the_handler_an_error() {
    let server = TestServer::start(app()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = "POST /sec/upload-watch HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\
                Content-Length: 100000\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'x'; 100]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(stream);
    let errored = eventually(Duration::from_secs(3), || {
        WATCH_ERR.load(Ordering::SeqCst) == 1
    })
    .await;
    assert!(
        errored,
        "the handler's body read did not fail within 3 s of the client leaving (ok: {}, err: {})",
        WATCH_OK.load(Ordering::SeqCst),
        WATCH_ERR.load(Ordering::SeqCst)
    );
    assert_eq!(
        WATCH_OK.load(Ordering::SeqCst),
        0,
        "a truncated body was read as whole"
    );
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn bad_percent_encoding_or_utf8_in_a_param_is_a_400() {
    let server = TestServer::start(app()).await;
    for target in [
        "/sec/teams/%zz",
        "/sec/teams/%2",
        "/sec/teams/%",
        "/sec/teams/a%G0",
        "/sec/teams/%FF",
        "/sec/teams/%C3",
        "/sec/teams/%C3%28",
        "/sec/teams/%ED%A0%80",
        "/sec/blog/ok/%zz",
    ] {
        let response = raw_get(&server, target, "").await;
        assert_eq!(response.status, 400, "{target}: {response:?}");
        let param = if target.starts_with("/sec/blog") {
            "slug"
        } else {
            "team"
        };
        assert!(
            response.text().contains(param),
            "{target}: the 400 names `{param}`: {:?}",
            response.text()
        );
    }
    // Raw bytes that are not UTF-8 never reach a handler either.
    let responses = raw_exchange(
        &server,
        b"GET /sec/teams/\xff\xfe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(responses.len(), 1);
    assert_eq!(responses[0].status, 400);
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn params_are_literal_strings_decoded_once() {
    let server = TestServer::start(app()).await;
    let cases: &[(&str, serde_json::Value)] = &[
        (
            "/sec/blog/..%2F..%2Fetc/passwd",
            serde_json::json!({ "slug": ["../../etc", "passwd"] }),
        ),
        (
            "/sec/blog/%2e%2e%2F%2e%2e%2Fetc",
            serde_json::json!({ "slug": ["../../etc"] }),
        ),
        ("/sec/teams/%252F", serde_json::json!({ "team": "%2F" })),
        ("/sec/teams/%25zz", serde_json::json!({ "team": "%zz" })),
        ("/sec/teams/a%00b", serde_json::json!({ "team": "a\u{0}b" })),
        ("/sec/teams/a+b", serde_json::json!({ "team": "a+b" })),
    ];
    for (target, expected) in cases {
        let response = raw_get(&server, target, "").await;
        assert_eq!(response.status, 200, "{target}: {response:?}");
        assert_eq!(&response.json(), expected, "{target}");
    }
}

#[tokio::test]
async fn params_come_from_the_path_only() {
    let server = TestServer::start(app()).await;
    let spoofing = "X-Matched-Path: /sec/teams/evil\r\nX-Now-Route-Matches: team=evil\r\n\
                    X-Invoke-Query: %7B%22team%22%3A%22evil%22%7D\r\nX-Invoke-Path: /sec/teams/evil\r\n\
                    X-Original-URL: /sec/teams/evil\r\nX-Rewrite-URL: /sec/teams/evil\r\n";
    let cases: &[(&str, &str, &str)] = &[
        ("/sec/teams/acme?team=evil", "", "acme"),
        ("/sec/teams/acme?team=evil&team=evil2", "", "acme"),
        ("/sec/teams/acme", spoofing, "acme"),
        ("/sec/teams/%5Bteam%5D", "", "[team]"),
        ("/sec/teams/acme%2F..%2Fevil", "", "acme/../evil"),
        ("/sec/teams/acme%3Fteam=evil", "", "acme?team=evil"),
        ("/sec/teams/acme%23evil", "", "acme#evil"),
    ];
    for (target, extra, team) in cases {
        let response = raw_get(&server, target, extra).await;
        assert_eq!(response.status, 200, "{target}: {response:?}");
        assert_eq!(
            response.json(),
            serde_json::json!({ "team": team }),
            "{target}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Header injection (rule 6)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_cookie_value_with_crlf_makes_one_encoded_set_cookie() {
    let server = TestServer::start(app()).await;
    let response = raw_get(&server, "/sec/cookies/inject", "").await;
    assert_eq!(response.status, 200, "{response:?}");
    let lines = response.all("set-cookie");
    assert_eq!(lines.len(), 1, "exactly one Set-Cookie: {response:?}");
    assert!(lines[0].starts_with("sess="), "{lines:?}");
    assert!(
        !lines[0].contains('\r')
            && !lines[0].contains('\n')
            && !lines[0].split(';').next().unwrap_or("").contains(' '),
        "value not encoded: {lines:?}"
    );
    assert!(
        !response.headers.iter().any(|(_, v)| v.contains("admin=1")),
        "the injected cookie appears as such: {response:?}"
    );
}

#[tokio::test]
async fn a_cookie_value_cannot_add_attributes() {
    let server = TestServer::start(app()).await;
    let response = raw_get(&server, "/sec/cookies/domain", "").await;
    assert_eq!(response.status, 200, "{response:?}");
    let lines = response.all("set-cookie");
    assert_eq!(lines.len(), 1, "{response:?}");
    let attributes: Vec<String> = lines[0]
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "the value set a Domain attribute: {:?}",
        lines[0]
    );
    assert!(
        !attributes.iter().any(|a| a.starts_with("path=/admin")),
        "the value set a Path attribute: {:?}",
        lines[0]
    );
}

#[tokio::test]
async fn cookie_names_with_separators_are_refused() {
    let server = TestServer::start(app()).await;
    let response = raw_get(&server, "/sec/cookies/names", "").await;
    assert_eq!(response.status, 200, "{response:?}");
    let refused: Vec<bool> = serde_json::from_slice(&response.body).expect("JSON list");
    let accepted: Vec<&&str> = BAD_COOKIE_NAMES
        .iter()
        .zip(&refused)
        .filter(|(_, refused)| !**refused)
        .map(|(name, _)| name)
        .collect();
    assert!(
        accepted.is_empty(),
        "cookie names accepted by `set`: {accepted:?}"
    );
    assert!(
        response.all("set-cookie").is_empty(),
        "a refused cookie was still emitted: {:?}",
        response.all("set-cookie")
    );
}

#[tokio::test]
async fn a_redirect_target_with_crlf_is_a_500_and_the_connection_keeps_working() {
    let (logs, _guard) = Logs::start();
    let server = TestServer::start(app()).await;
    let mut conn = RawConn::open(&server).await;
    let response = conn
        .exchange(&get_request("/sec/redirect/inject"))
        .await
        .expect("a response");
    assert_eq!(response.status, 500, "{response:?}");
    assert!(
        response.body.is_empty(),
        "a 500 has no body: {:?}",
        response.text()
    );
    assert!(response.header("location").is_none(), "{response:?}");
    assert!(
        !response
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("set-cookie") || v.contains("evil")),
        "{response:?}"
    );
    // The next request on the same connection.
    let next = conn
        .exchange(&get_request("/sec/hello"))
        .await
        .expect("the connection is still open");
    assert_eq!(next.status, 200);
    assert_eq!(next.text(), "hello");
    assert!(
        logs.text().contains("ERROR"),
        "no error logged: {:?}",
        logs.text()
    );
}

// ---------------------------------------------------------------------------------------------
// No URL from Host or X-Forwarded-* (rule 5), and no open redirect through the 308
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn redirects_are_never_built_from_host() {
    let server = TestServer::start(app()).await;
    // A second loopback listener, named in every host header: nothing may connect to it.
    let bait = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bait_addr = bait.local_addr().unwrap();
    let bait_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&bait_hits);
    let bait_task = tokio::spawn(async move {
        while bait.accept().await.is_ok() {
            hits.fetch_add(1, Ordering::SeqCst);
        }
    });

    let bait_host = bait_addr.to_string();
    for host in ["169.254.169.254", bait_host.as_str()] {
        let extra = format!(
            "X-Forwarded-Host: {bait_addr}\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 1\r\n\
             X-Forwarded-For: 169.254.169.254\r\nForwarded: host=evil.example;proto=https\r\n\
             X-Original-Host: evil.example\r\n"
        );
        let request = format!(
            "GET /sec/redirect/login HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
        );
        let responses = raw_exchange(&server, request.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(responses.len(), 1);
        assert_eq!(responses[0].status, 307, "{:?}", responses[0]);
        assert_eq!(responses[0].all("location"), vec!["/login"], "Host {host}");

        // The trailing-slash 308 too.
        let request = format!(
            "GET /sec/teams/acme/?x=1 HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
        );
        let responses = raw_exchange(&server, request.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(responses.len(), 1);
        assert_eq!(responses[0].status, 308);
        assert_eq!(
            responses[0].all("location"),
            vec!["/sec/teams/acme?x=1"],
            "Host {host}"
        );
    }
    // An absolute-form request target names a host too.
    let response = raw_get(&server, "http://evil.example/sec/teams/acme/", "").await;
    assert_eq!(response.status, 308);
    assert_eq!(response.all("location"), vec!["/sec/teams/acme"]);

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        bait_hits.load(Ordering::SeqCst),
        0,
        "the runtime connected to a host named by the client"
    );
    bait_task.abort();
}

#[tokio::test]
async fn the_trailing_slash_308_is_not_an_open_redirect() {
    let server = TestServer::start(app()).await;
    // (target, the Location it must have, or None for "a 404 is fine too")
    let cases: &[(&str, Option<&str>)] = &[
        ("//evil.com/", None),
        ("//evil.com", None),
        ("///evil.com/", None),
        ("/.//evil.com/", None),
        ("/..//evil.com/", None),
        ("/%2e%2e//evil.com/", None),
        ("/%2Fevil.com/", Some("/%2Fevil.com")),
        ("/%2F%2Fevil.com/", Some("/%2F%2Fevil.com")),
        ("/\\evil.com/", None),
        ("/\\\\evil.com/", None),
        ("/%5Cevil.com/", Some("/%5Cevil.com")),
        ("//\\evil.com/", None),
    ];
    for (target, expected) in cases {
        let response = raw_get(&server, target, "").await;
        assert!(
            response.status == 308 || response.status == 404 || response.status == 400,
            "{target}: {response:?}"
        );
        let locations = response.all("location");
        assert!(locations.len() <= 1, "{target}: {response:?}");
        if let Some(location) = locations.first() {
            assert!(
                !location.starts_with("//") && !location.starts_with("/\\"),
                "{target}: open redirect to {location:?}"
            );
            assert!(location.starts_with('/'), "{target}: {location:?}");
            assert!(!location.contains("://"), "{target}: {location:?}");
        }
        if let Some(expected) = expected {
            assert_eq!(response.status, 308, "{target}");
            assert_eq!(locations, vec![*expected], "{target}");
        }
        assert!(
            response.header("refresh").is_none(),
            "{target}: Refresh reflects the URL"
        );
    }
    // `//evil.com/` collapses to `/evil.com`, a path on this server.
    let response = raw_get(&server, "//evil.com/", "").await;
    if response.status == 308 {
        assert_eq!(response.all("location"), vec!["/evil.com"]);
    }
}

#[tokio::test]
async fn crlf_in_the_query_of_a_308_stays_encoded() {
    let server = TestServer::start(app()).await;
    let request = "GET /sec/teams/x/?a=%0d%0aSet-Cookie:%20a=1&b=%0D%0ALocation:%20//evil.com \
                   HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    let raw = server.raw(request.as_bytes(), Duration::from_secs(5)).await;
    let responses = parse_all(raw.as_bytes());
    assert_eq!(responses.len(), 1, "{raw:?}");
    let response = &responses[0];
    assert_eq!(response.status, 308, "{raw:?}");
    assert_eq!(
        response.all("location"),
        vec!["/sec/teams/x?a=%0d%0aSet-Cookie:%20a=1&b=%0D%0ALocation:%20//evil.com"],
        "the query is kept, still encoded"
    );
    assert!(response.all("set-cookie").is_empty(), "{raw:?}");
    assert!(response.header("refresh").is_none(), "{raw:?}");
    let head = &raw[..raw.find("\r\n\r\n").expect("a head")];
    assert_eq!(
        head.matches("\r\n").count(),
        response.headers.len(),
        "every line of the head is one well-formed header: {raw:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Oversized heads, many cookies, unknown methods, panics
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn oversized_heads_are_refused_not_crashed() {
    let server = TestServer::start(app()).await;
    let long_uri = format!(
        "GET /sec/hello?q={} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(70_000)
    );
    let big_header = format!(
        "GET /sec/hello HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(500_000)
    );
    let many_headers = format!(
        "GET /sec/hello HTTP/1.1\r\nHost: localhost\r\n{}\r\n",
        (0..150)
            .map(|i| format!("X-H{i}: v\r\n"))
            .collect::<String>()
    );
    let big_cookie = format!(
        "GET /sec/cookies/many HTTP/1.1\r\nHost: localhost\r\nCookie: c0={}\r\n\r\n",
        "v".repeat(500_000)
    );
    let cases: &[(&str, &str, &[u16])] = &[
        ("request line", &long_uri, &[414, 431]),
        ("header block", &big_header, &[431]),
        ("header count", &many_headers, &[431]),
        ("Cookie header", &big_cookie, &[431]),
    ];
    for (what, request, statuses) in cases {
        let responses = raw_exchange(&server, request.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(responses.len(), 1, "{what}: {responses:?}");
        assert!(
            statuses.contains(&responses[0].status),
            "{what}: {:?}",
            responses[0]
        );
        assert_still_serving(&server).await;
    }
}

#[tokio::test]
async fn thousands_of_cookies_are_handled_within_the_limits() {
    let server = TestServer::start(app()).await;
    let cookie: String = (0..5000)
        .map(|i| format!("c{i}=v{i}"))
        .collect::<Vec<_>>()
        .join("; ");
    let started = Instant::now();
    let response = client()
        .get(server.url("/sec/cookies/many"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["first"], "v0", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // Many Cookie header lines, too.
    let mut request = String::from("GET /sec/cookies/many HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..90 {
        let line: String = (0..50)
            .map(|j| format!("c{}=v{}", i * 50 + j, i * 50 + j))
            .collect::<Vec<_>>()
            .join("; ");
        request.push_str(&format!("Cookie: {line}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    let responses = raw_exchange(&server, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(responses.len(), 1);
    assert!(
        responses[0].status == 200 || responses[0].status == 431,
        "{:?}",
        responses[0]
    );
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn unknown_methods_are_a_400() {
    let server = TestServer::start(app()).await;
    for method in [
        "FOO", "PROPFIND", "PURGE", "QUERY", "TRACE", "MKCOL", "get", "M-SEARCH",
    ] {
        let response = client()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                server.url("/sec/hello"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{method}");
    }
    for request in [
        "CONNECT /sec/hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "TRACE /sec/nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    ] {
        let responses = raw_exchange(&server, request.as_bytes(), Duration::from_secs(5)).await;
        assert_eq!(responses.len(), 1, "{request:?}");
        assert_eq!(responses[0].status, 400, "{request:?}");
    }
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_panic_is_an_empty_500_and_the_next_request_is_fine() {
    let (logs, _guard) = Logs::start();
    let server = TestServer::start(app()).await;
    let http = client();
    for _ in 0..3 {
        let response = http.get(server.url("/sec/panic")).send().await.unwrap();
        assert_eq!(response.status(), 500);
        let body = response.text().await.unwrap();
        assert_eq!(body, "", "a panic's 500 has an empty body");
        let next = http.get(server.url("/sec/hello")).send().await.unwrap();
        assert_eq!(next.status(), 200);
    }
    // On one kept-alive connection.
    let mut conn = RawConn::open(&server).await;
    let response = conn
        .exchange(&get_request("/sec/panic"))
        .await
        .expect("a response");
    assert_eq!(response.status, 500);
    assert!(response.body.is_empty());
    let next = conn
        .exchange(&get_request("/sec/hello"))
        .await
        .expect("connection still open");
    assert_eq!(next.status, 200);
    assert!(
        logs.text().contains("secret-panic-detail"),
        "the panic message goes to the log: {:?}",
        logs.text()
    );
}

// ---------------------------------------------------------------------------------------------
// Slow clients (rule 7)
// ---------------------------------------------------------------------------------------------

/// Five ordinary requests, each answered within 1 s.
async fn others_are_served(server: &TestServer) {
    let http = client();
    for _ in 0..5 {
        let started = Instant::now();
        let response = tokio::time::timeout(
            Duration::from_secs(1),
            http.get(server.url("/sec/hello")).send(),
        )
        .await
        .expect("another client is served meanwhile")
        .unwrap();
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1));
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_trickled_byte_by_byte_are_cut_off_at_the_header_timeout() {
    let config = ServeConfig::default().header_read_timeout(Duration::from_secs(1));
    let server = TestServer::start_with(app(), config).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        let head = b"GET /sec/hello HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
        let bytes = head.iter().copied().chain(std::iter::repeat(b'a'));
        for byte in bytes.take(200) {
            if write.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let cut_off = async {
        let mut received = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        (started.elapsed(), received)
    };
    let ((elapsed, received), ()) = tokio::join!(
        async {
            tokio::time::timeout(Duration::from_secs(8), cut_off)
                .await
                .expect("the trickling connection was never closed")
        },
        others_are_served(&server)
    );
    trickle.abort();
    assert!(
        elapsed < Duration::from_secs(3),
        "closed after {elapsed:?} with a 1 s header timeout"
    );
    let received = String::from_utf8_lossy(&received);
    assert!(
        !received.contains(" 200 "),
        "the trickled request was served: {received:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickled_slowly_is_cut_off_at_the_body_deadline() {
    let config = ServeConfig::default().body_deadline(Duration::from_secs(1));
    let server = TestServer::start_with(app(), config).await;
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let head = "POST /sec/slow-body HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\
                Content-Length: 1000\r\n\r\n";
    write.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if write.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let answered = async {
        let mut received = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            if parse_response(&received, false).is_some() {
                break;
            }
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        (started.elapsed(), received)
    };
    let ((elapsed, received), ()) = tokio::join!(
        async {
            tokio::time::timeout(Duration::from_secs(8), answered)
                .await
                .expect("the trickled body was never cut off")
        },
        others_are_served(&server)
    );
    trickle.abort();
    assert!(
        elapsed < Duration::from_secs(3),
        "cut off after {elapsed:?} with a 1 s deadline"
    );
    if let Some((response, _)) = parse_response(&received, true) {
        assert!(
            (400..500).contains(&response.status),
            "a body past its deadline is a client error: {response:?}"
        );
    }
    assert!(
        eventually(Duration::from_secs(1), || SLOW_ERR.load(Ordering::SeqCst)
            == 1)
        .await,
        "the handler's body read did not fail"
    );
    assert_eq!(SLOW_OK.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------------------------
// Internal headers change nothing (rule 1)
// ---------------------------------------------------------------------------------------------

const INTERNAL_HEADERS: &[(&str, &str)] = &[
    (
        "x-middleware-subrequest",
        "middleware:middleware:middleware:middleware:middleware",
    ),
    (
        "x-middleware-subrequest",
        "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware",
    ),
    ("x-middleware-rewrite", "/sec/guarded"),
    ("x-middleware-next", "1"),
    ("x-middleware-prefetch", "1"),
    ("x-middleware-invoke", "1"),
    ("x-nextjs-data", "1"),
    ("x-invoke-path", "/sec/guarded"),
    ("x-invoke-output", "/sec/guarded"),
    ("x-matched-path", "/sec/guarded"),
    ("x-now-route-matches", "1"),
    ("rsc", "1"),
    ("next-router-state-tree", "%5B%22%22%5D"),
    ("next-router-prefetch", "1"),
    ("next-resume", "1"),
    ("next-action", "abc"),
    ("x-prerender-revalidate", "1"),
    ("x-http-method-override", "DELETE"),
    ("x-original-url", "/sec/guarded"),
    ("x-rewrite-url", "/sec/guarded"),
];

static INTERNAL_CACHED_RENDERS: AtomicUsize = AtomicUsize::new(0);

#[route("/sec/cache/internal")]
mod cache_internal {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        let n = super::INTERNAL_CACHED_RENDERS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("render {n}")
    }
}

#[tokio::test]
async fn internal_headers_change_nothing() {
    let server = TestServer::start(app()).await;
    let cached = TestServer::start(
        routes![cache_internal]
            .with_cache(Cache::new(RecordingStore::default()))
            .into_router(),
    )
    .await;
    let http = client();
    let snapshot = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.as_bytes().to_vec());
        let cache = response
            .headers()
            .get("x-nextjs-cache")
            .map(|v| v.as_bytes().to_vec());
        (status, location, cache, response.text().await.unwrap())
    };

    let refused = snapshot(http.get(server.url("/sec/guarded")).send().await.unwrap()).await;
    assert_eq!(refused.0, 401);
    let public = snapshot(
        http.get(server.url("/sec/teams/acme"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let redirect = snapshot(
        http.get(server.url("/sec/teams/acme/"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let first = snapshot(
        http.get(cached.url("/sec/cache/internal"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(first.3, "render 1");
    let hit = snapshot(
        http.get(cached.url("/sec/cache/internal"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        hit.2.as_deref(),
        Some(&b"HIT"[..]),
        "control: the route is cached"
    );

    for (name, value) in INTERNAL_HEADERS {
        let with = |path: &str| http.get(server.url(path)).header(*name, *value).send();
        let got = snapshot(with("/sec/guarded").await.unwrap()).await;
        assert_eq!(got, refused, "{name}: {value} changed the guard's answer");
        assert_eq!(
            snapshot(with("/sec/teams/acme").await.unwrap()).await,
            public,
            "{name}"
        );
        assert_eq!(
            snapshot(with("/sec/teams/acme/").await.unwrap()).await,
            redirect,
            "{name}"
        );
        let got = snapshot(
            http.get(cached.url("/sec/cache/internal"))
                .header(*name, *value)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got, hit, "{name}: {value} changed the cached answer");
    }
    // All of them at once.
    let mut request = http.get(server.url("/sec/guarded"));
    for (name, value) in INTERNAL_HEADERS {
        request = request.header(*name, *value);
    }
    assert_eq!(snapshot(request.send().await.unwrap()).await, refused);

    assert_eq!(
        GUARDED_CALLS.load(Ordering::SeqCst),
        0,
        "the guarded handler ran without a token"
    );
    assert_eq!(
        INTERNAL_CACHED_RENDERS.load(Ordering::SeqCst),
        1,
        "a header forced a render"
    );

    // Control: with the token the handler runs, and counts.
    let allowed = http
        .get(server.url("/sec/guarded"))
        .header("authorization", "Bearer let-me-in")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(GUARDED_CALLS.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// Request smuggling (raw TCP; actix-http's `hrs_*` cases)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn request_smuggling_gets_400_or_one_response_and_never_reaches_admin() {
    let server = TestServer::start(app()).await;
    let smuggled = "GET /sec/smuggle-admin HTTP/1.1\r\nHost: localhost\r\n\r\n";
    let n = smuggled.len();
    let cases: Vec<(&str, String)> = vec![
        (
            "two different Content-Lengths",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nContent-Length: {n}\r\n\r\n{smuggled}"),
        ),
        (
            "two different Content-Lengths, long first",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: {n}\r\nContent-Length: 0\r\n\r\n{smuggled}"),
        ),
        (
            "Content-Length list",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0, {n}\r\n\r\n{smuggled}"),
        ),
        (
            "Content-Length: +N",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: +{n}\r\n\r\n{smuggled}"),
        ),
        (
            "Content-Length: -0",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: -0\r\n\r\n{smuggled}"),
        ),
        (
            "Content-Length in hex",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0x{n:x}\r\n\r\n{smuggled}"),
        ),
        (
            "Transfer-Encoding on HTTP/1.0",
            format!("POST /sec/hello HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "Transfer-Encoding + Content-Length on HTTP/1.0",
            format!("POST /sec/hello HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}", n + 5),
        ),
        (
            "Transfer-Encoding + Content-Length",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}", n + 5),
        ),
        (
            "Content-Length + Transfer-Encoding",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "unknown Transfer-Encoding",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "unknown coding before chunked",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "repeated Transfer-Encoding: chunked",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "Transfer-Encoding: chunked, chunked",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "repeated Transfer-Encoding: identity then chunked",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "repeated Transfer-Encoding: chunked then identity",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "space before the colon",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "obs-fold Transfer-Encoding",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n{smuggled}"),
        ),
        (
            "bare LF in the chunk size line",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\n\r\n{smuggled}"),
        ),
        (
            "chunk size with a huge value",
            format!("POST /sec/hello HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n\r\n{smuggled}"),
        ),
    ];
    // The early answers before routing (a `308` to the canonical path, the `400` for a method
    // outside the seven) must check the framing too: hyper reads a body's framing by the last
    // coding, so an answer that skips the check serves what follows as a second request.
    let mut cases = cases;
    let early: Vec<(String, String)> = cases
        .iter()
        .filter(|(_, request)| request.contains("Transfer-Encoding"))
        .flat_map(|(name, request)| {
            [
                ("trailing slash", "POST /sec/hello/ "),
                ("repeated slash", "POST //sec/hello "),
                ("unknown method", "FOO /sec/hello "),
            ]
            .map(|(how, line)| {
                (
                    format!("{name}, {how}"),
                    request.replacen("POST /sec/hello ", line, 1),
                )
            })
        })
        .collect();
    let early: Vec<(&str, String)> = early
        .iter()
        .map(|(name, request)| (name.as_str(), request.clone()))
        .collect();
    cases.extend(early);
    let mut failures = Vec::new();
    for (name, request) in &cases {
        let responses = raw_exchange(&server, request.as_bytes(), Duration::from_millis(700)).await;
        let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
        if responses.len() > 1 || responses.iter().any(|r| r.text().contains("ADMIN RAN")) {
            failures.push(format!(
                "{name}: {} responses {statuses:?}",
                responses.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "smuggled requests were answered ({} /sec/smuggle-admin runs):\n  {}",
        SMUGGLED_ADMIN_CALLS.load(Ordering::SeqCst),
        failures.join("\n  ")
    );
    assert_eq!(
        SMUGGLED_ADMIN_CALLS.load(Ordering::SeqCst),
        0,
        "/sec/smuggle-admin ran"
    );

    // Control: an honest pipelined pair is two responses, and the counter counts.
    let honest = format!("GET /sec/hello HTTP/1.1\r\nHost: localhost\r\n\r\n{smuggled}");
    let responses = raw_exchange(&server, honest.as_bytes(), Duration::from_millis(700)).await;
    assert_eq!(responses.len(), 2);
    assert_eq!(SMUGGLED_ADMIN_CALLS.load(Ordering::SeqCst), 1);
}

// ---------------------------------------------------------------------------------------------
// Faults: deadlines, disconnects, a failing cache store
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_handler_past_max_duration_is_a_504_and_is_dropped() {
    let server = TestServer::start(app()).await;
    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        client().get(server.url("/sec/hang")).send(),
    )
    .await
    .expect("answered within 5 s")
    .unwrap();
    assert_eq!(response.status(), 504);
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "MAX_DURATION = 1 s, answered after {elapsed:?}"
    );
    assert!(
        eventually(Duration::from_secs(1), || HANG_DROPPED
            .load(Ordering::SeqCst))
        .await,
        "the handler's future was not dropped"
    );
    assert_still_serving(&server).await;
}

#[tokio::test]
async fn a_client_gone_mid_stream_drops_the_stream() {
    let server = TestServer::start(app()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /sec/stream HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 1024];
    while find(&received, b"tick").is_none() {
        let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut chunk))
            .await
            .expect("the first chunk comes at once")
            .unwrap();
        assert!(n > 0, "closed before the first chunk");
        received.extend_from_slice(&chunk[..n]);
    }
    assert!(
        !STREAM_DROPPED.load(Ordering::SeqCst),
        "dropped while the client was there"
    );
    drop(stream);
    assert!(
        eventually(Duration::from_secs(3), || STREAM_DROPPED
            .load(Ordering::SeqCst))
        .await,
        "the response stream outlived its client by 3 s"
    );
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------------------------
// Caching never leaks and cannot be poisoned (rules 3, 4, 10)
// ---------------------------------------------------------------------------------------------

/// An in-memory store that remembers every write, so tests can see what was stored. It
/// invalidates by comparing `CacheKey::path` with the path it is given (as a store written before
/// `CacheKey::invalidation_path` does).
#[derive(Clone, Default)]
pub(crate) struct RecordingStore {
    entries: Arc<Mutex<HashMap<CacheKey, CacheEntry>>>,
    writes: Arc<Mutex<Vec<CacheKey>>>,
}

impl RecordingStore {
    fn writes_to(&self, path: &str) -> Vec<CacheKey> {
        self.writes
            .lock()
            .unwrap()
            .iter()
            .filter(|k| k.path == path)
            .cloned()
            .collect()
    }

    fn entries(&self) -> Vec<(CacheKey, CacheEntry)> {
        self.entries
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl CacheHandler for RecordingStore {
    fn get<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, Option<CacheEntry>> {
        let entry = self.entries.lock().unwrap().get(key).cloned();
        Box::pin(async move { Ok(entry) })
    }
    fn set<'a>(&'a self, key: &'a CacheKey, entry: CacheEntry) -> CacheFuture<'a, ()> {
        self.writes.lock().unwrap().push(key.clone());
        self.entries.lock().unwrap().insert(key.clone(), entry);
        Box::pin(async { Ok(()) })
    }
    fn invalidate_path<'a>(&'a self, path: &'a str) -> CacheFuture<'a, ()> {
        self.entries.lock().unwrap().retain(|k, _| k.path != path);
        Box::pin(async { Ok(()) })
    }
    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> CacheFuture<'a, ()> {
        self.entries
            .lock()
            .unwrap()
            .retain(|_, e| !e.tags.iter().any(|t| t == tag));
        Box::pin(async { Ok(()) })
    }
}

/// A cached route (`REVALIDATE = 60`) whose handler does `$body` and counts its renders.
macro_rules! cached_route {
    ($name:ident, $path:literal, |$n:ident| $body:expr) => {
        #[route($path)]
        mod $name {
            #[allow(unused_imports)]
            use route_runtime::cookies::cookies;
            #[allow(unused_imports)]
            use route_runtime::{headers, IntoResponse, Response, RouteError, StatusCode};
            use std::sync::atomic::{AtomicUsize, Ordering};

            pub const REVALIDATE: u64 = 60;
            pub static RENDERS: AtomicUsize = AtomicUsize::new(0);

            pub async fn GET() -> Result<Response, RouteError> {
                let $n = RENDERS.fetch_add(1, Ordering::SeqCst) + 1;
                Ok($body)
            }
        }
    };
}

cached_route!(cache_pure, "/sec/cache/pure", |n| format!("render {n}")
    .into_response());
cached_route!(cache_sets_cookie, "/sec/cache/sets-cookie", |n| {
    cookies().set("sess", format!("session-{n}"))?;
    format!("render {n}").into_response()
});
cached_route!(cache_own_set_cookie, "/sec/cache/own-set-cookie", |n| {
    (
        [("set-cookie", format!("sess=session-{n}"))],
        format!("render {n}"),
    )
        .into_response()
});
cached_route!(cache_reads_cookie, "/sec/cache/reads-cookie", |n| {
    let user = cookies()
        .get("user")
        .map(|v| v.to_string())
        .unwrap_or_default();
    format!("render {n} for {user}").into_response()
});
cached_route!(cache_reads_header, "/sec/cache/reads-header", |n| {
    let user = headers().get("x-user").unwrap_or_default();
    format!("render {n} for {user}").into_response()
});
cached_route!(cache_private, "/sec/cache/private", |n| {
    (
        [("cache-control", "private, max-age=60")],
        format!("render {n}"),
    )
        .into_response()
});
cached_route!(cache_no_store, "/sec/cache/no-store", |n| {
    ([("cache-control", "no-store")], format!("render {n}")).into_response()
});
cached_route!(cache_vary, "/sec/cache/vary", |n| {
    ([("vary", "Cookie")], format!("render {n}")).into_response()
});
cached_route!(cache_created, "/sec/cache/created", |n| {
    (StatusCode::CREATED, format!("render {n}")).into_response()
});
cached_route!(cache_not_found, "/sec/cache/not-found", |n| {
    (StatusCode::NOT_FOUND, format!("render {n}")).into_response()
});
cached_route!(cache_authorized, "/sec/cache/authorized", |n| format!(
    "render {n}"
)
.into_response());
cached_route!(cache_odd, "/sec/cache/odd", |n| format!("render {n}")
    .into_response());

#[tokio::test]
async fn a_cacheable_route_is_cached_control() {
    let store = RecordingStore::default();
    let server = TestServer::start(
        routes![cache_pure]
            .with_cache(Cache::new(store.clone()))
            .into_router(),
    )
    .await;
    let http = client();
    let first = http
        .get(server.url("/sec/cache/pure"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.text().await.unwrap(), "render 1");
    let second = http
        .get(server.url("/sec/cache/pure"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&second, "x-nextjs-cache"), "HIT");
    assert_eq!(second.text().await.unwrap(), "render 1");
    assert_eq!(store.writes_to("/sec/cache/pure").len(), 1);
}

/// Responses that depend on their request, or say they are private, are never shared.
#[tokio::test]
async fn responses_that_depend_on_the_request_are_never_shared() {
    let store = RecordingStore::default();
    let app = routes![
        cache_sets_cookie,
        cache_own_set_cookie,
        cache_reads_cookie,
        cache_reads_header,
        cache_private,
        cache_no_store,
        cache_vary,
        cache_created,
        cache_not_found,
        cache_authorized,
    ]
    .with_cache(Cache::new(store.clone()))
    .into_router();
    let server = TestServer::start(app).await;
    let http = client();

    // Two different clients each; the second must get its own render.
    type Renders = &'static AtomicUsize;
    type Headers = &'static [(&'static str, &'static str)];
    let cases: &[(&str, Renders, Headers, Headers)] = &[
        (
            "/sec/cache/sets-cookie",
            &cache_sets_cookie::RENDERS,
            &[],
            &[],
        ),
        (
            "/sec/cache/own-set-cookie",
            &cache_own_set_cookie::RENDERS,
            &[],
            &[],
        ),
        (
            "/sec/cache/reads-cookie",
            &cache_reads_cookie::RENDERS,
            &[("cookie", "user=alice")],
            &[("cookie", "user=bob")],
        ),
        (
            "/sec/cache/reads-header",
            &cache_reads_header::RENDERS,
            &[("x-user", "alice")],
            &[("x-user", "bob")],
        ),
        ("/sec/cache/private", &cache_private::RENDERS, &[], &[]),
        ("/sec/cache/no-store", &cache_no_store::RENDERS, &[], &[]),
        ("/sec/cache/vary", &cache_vary::RENDERS, &[], &[]),
        ("/sec/cache/created", &cache_created::RENDERS, &[], &[]),
        ("/sec/cache/not-found", &cache_not_found::RENDERS, &[], &[]),
        (
            "/sec/cache/authorized",
            &cache_authorized::RENDERS,
            &[("authorization", "Bearer alice")],
            &[("authorization", "Bearer bob")],
        ),
    ];
    for (path, renders, alice, bob) in cases {
        let send = |extra: &[(&str, &str)]| {
            let mut request = http.get(server.url(path));
            for (name, value) in extra {
                request = request.header(*name, *value);
            }
            request.send()
        };
        let first = send(alice).await.unwrap();
        let first_cookies: Vec<_> = first
            .headers()
            .get_all("set-cookie")
            .iter()
            .cloned()
            .collect();
        let first_body = first.text().await.unwrap();
        let second = send(bob).await.unwrap();
        assert_ne!(
            second.headers().get("x-nextjs-cache").map(|v| v.as_bytes()),
            Some(&b"HIT"[..]),
            "{path}: the second client was served from the cache"
        );
        let second_cookies: Vec<_> = second
            .headers()
            .get_all("set-cookie")
            .iter()
            .cloned()
            .collect();
        let second_body = second.text().await.unwrap();
        assert_eq!(
            renders.load(Ordering::SeqCst),
            2,
            "{path}: the handler ran once for two clients"
        );
        assert_ne!(first_body, second_body, "{path}");
        assert!(
            !second_body.contains("alice"),
            "{path}: alice's response reached bob: {second_body}"
        );
        for cookie in &first_cookies {
            assert!(
                !second_cookies.contains(cookie),
                "{path}: {cookie:?} sent to a second client"
            );
        }
        assert!(
            store.writes_to(path).is_empty(),
            "{path}: stored {:?}",
            store.writes_to(path)
        );
    }
}

#[tokio::test]
async fn odd_headers_cannot_plant_an_entry_others_get() {
    let store = RecordingStore::default();
    let server = TestServer::start(
        routes![cache_odd]
            .with_cache(Cache::new(store.clone()))
            .into_router(),
    )
    .await;
    // The attacker fills the empty cache, with every header a cache or framework might key on.
    let attack =
        "Host: evil.example\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: http\r\n\
                  X-Forwarded-Prefix: /evil\r\nX-Original-URL: /evil\r\nX-Rewrite-URL: /evil\r\n\
                  X-HTTP-Method-Override: POST\r\nX-Middleware-Rewrite: /evil\r\nRSC: 1\r\n\
                  Next-Router-Prefetch: 1\r\nNext-Resume: 1\r\nX-Nextjs-Data: 1\r\n\
                  Accept: text/evil\r\nAccept-Encoding: evil\r\nAccept-Language: evil\r\n\
                  Range: bytes=0-1\r\nIf-None-Match: \"evil\"\r\nCookie: sess=evil\r\n\
                  User-Agent: evil\r\nOrigin: http://evil.example\r\nX-Evil: evil\r\n";
    let request = format!("GET /sec/cache/odd HTTP/1.1\r\n{attack}Connection: close\r\n\r\n");
    let responses = raw_exchange(&server, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!(responses.len(), 1);
    // Whatever the attacker got, an ordinary client gets the clean response.
    let victim = raw_get(&server, "/sec/cache/odd", "").await;
    assert_eq!(victim.status, 200, "{victim:?}");
    assert_eq!(victim.text(), "render 1");
    for (name, value) in &victim.headers {
        assert!(
            !value.contains("evil") && !name.contains("evil"),
            "attacker-controlled header in the shared response: {name}: {value}"
        );
    }
    for (key, entry) in store.entries() {
        assert_eq!(key.method, "GET");
        assert_eq!(key.path, "/sec/cache/odd");
        assert_eq!(key.query, "");
        assert_eq!(entry.status, 200);
        assert_eq!(entry.body, b"render 1");
        for (name, value) in &entry.headers {
            assert!(
                !String::from_utf8_lossy(value).contains("evil"),
                "stored attacker-controlled header {name}"
            );
        }
    }
    // Other spellings of the path are not other entries of it, nor stored under it.
    for target in [
        "/sec/cache/odd/",
        "//sec/cache/odd",
        "/sec/./cache/odd",
        "/sec/cache/%6Fdd",
        "/sec/cache/odd%2F",
        "/sec/cache/odd;x",
        "/sec/cache/odd?x=%0d%0aevil",
        "/sec/cache/odd?%00=evil",
    ] {
        raw_exchange(
            &server,
            format!("GET {target} HTTP/1.1\r\n{attack}Connection: close\r\n\r\n").as_bytes(),
            Duration::from_secs(5),
        )
        .await;
        let victim = raw_get(&server, "/sec/cache/odd", "").await;
        assert_eq!(victim.text(), "render 1", "after {target}");
        assert_eq!(
            victim.header("x-nextjs-cache"),
            Some("HIT"),
            "after {target}"
        );
    }
    // A different query is a different key (rule 3); the bare path was written once.
    assert_eq!(
        store
            .writes_to("/sec/cache/odd")
            .iter()
            .filter(|key| key.query.is_empty())
            .count(),
        1,
        "{:?}",
        store.entries()
    );
}

static METHODS_GET_RENDERS: AtomicUsize = AtomicUsize::new(0);
static METHODS_POST_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/sec/cache/methods")]
mod cache_methods {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        let n = super::METHODS_GET_RENDERS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("get {n}")
    }

    pub async fn POST() -> String {
        let n = super::METHODS_POST_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("post {n}")
    }
}

static GET_ONLY_RENDERS: AtomicUsize = AtomicUsize::new(0);

#[route("/sec/cache/get-only")]
mod cache_get_only {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        let n = super::GET_ONLY_RENDERS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("get {n}")
    }
}

#[route("/sec/cache/own-head")]
mod cache_own_head {
    use route_runtime::IntoResponse;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> &'static str {
        "the full GET body"
    }

    pub async fn HEAD() -> impl IntoResponse {
        [("x-from", "head")]
    }
}

#[tokio::test]
async fn a_post_never_returns_or_replaces_the_cached_get() {
    let store = RecordingStore::default();
    let server = TestServer::start(
        routes![cache_methods, cache_get_only, cache_own_head]
            .with_cache(Cache::new(store.clone()))
            .into_router(),
    )
    .await;
    let http = client();
    let url = server.url("/sec/cache/methods");

    // A POST first, on the cold cache: neither answered from nor stored as the GET.
    let post = http.post(&url).send().await.unwrap();
    assert!(
        post.headers().get("x-nextjs-cache").is_none(),
        "{:?}",
        post.headers()
    );
    assert_eq!(post.text().await.unwrap(), "post 1");
    let get = http.get(&url).send().await.unwrap();
    assert_eq!(get.text().await.unwrap(), "get 1");
    let hit = http.get(&url).send().await.unwrap();
    assert_eq!(header(&hit, "x-nextjs-cache"), "HIT");
    assert_eq!(hit.text().await.unwrap(), "get 1");

    // With the GET cached: every POST runs its handler and answers its own body.
    for i in 2..=4 {
        let post = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("a=1")
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 200);
        assert!(
            post.headers().get("x-nextjs-cache").is_none(),
            "{:?}",
            post.headers()
        );
        assert_eq!(post.text().await.unwrap(), format!("post {i}"));
    }
    for method in ["PUT", "DELETE", "PATCH"] {
        let response = http
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                &url,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
    }
    let get = http.get(&url).send().await.unwrap();
    assert_eq!(header(&get, "x-nextjs-cache"), "HIT");
    assert_eq!(
        get.text().await.unwrap(),
        "get 1",
        "the cached GET was replaced"
    );
    assert_eq!(METHODS_GET_RENDERS.load(Ordering::SeqCst), 1);
    for (key, _) in store.entries() {
        assert_eq!(key.method, "GET", "a non-GET entry: {key:?}");
    }

    // A route without POST: the 405 is not cached, for POST or for GET (Next.js bug (2)).
    let url = server.url("/sec/cache/get-only");
    for _ in 0..2 {
        let post = http
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("a=1")
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 405);
    }
    let get = http.get(&url).send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(get.text().await.unwrap(), "get 1");

    // A module's own HEAD, first on the cold cache, does not store its empty body for GET.
    let url = server.url("/sec/cache/own-head");
    let head = http.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    let get = http.get(&url).send().await.unwrap();
    assert_eq!(get.status(), 200);
    assert_eq!(get.text().await.unwrap(), "the full GET body");
    for (key, entry) in store.entries() {
        assert!(!entry.body.is_empty(), "an empty body stored at {key:?}");
    }
}
