//! Slow and silent clients over raw TCP: every connection has a deadline until it has produced its
//! first request, whatever the protocol (rule 7), and an idle HTTP/2 connection is closed too;
//! normal HTTP/1.1 keep-alive and HTTP/2 (prior knowledge) clients are served as before.
//!
//! hyper-util's `auto` builder waits for the 24-byte HTTP/2 preface with no timer, and hyper's
//! header-read timeout only covers HTTP/1 heads: before the fix, each "is closed" test below saw
//! its connection still open when it gave up. reqwest is built without HTTP/2 here, so the HTTP/2
//! tests write the frames by hand.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::routing::get;
use route_runtime::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestServer;

/// The header-read timeout of every server here.
const TIMEOUT: Duration = Duration::from_millis(400);
/// The shutdown grace, which also bounds an idle HTTP/2 connection's close after its GOAWAY.
const GRACE: Duration = Duration::from_millis(300);
/// How long a test waits for a close that must come at about `TIMEOUT` (+ `GRACE`).
const GIVE_UP: Duration = Duration::from_secs(3);

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame.
const SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];
/// A SETTINGS frame with the ACK flag.
const SETTINGS_ACK: &[u8] = &[0, 0, 0, 4, 1, 0, 0, 0, 0];

const HEADERS: u8 = 0x1;
const DATA: u8 = 0x0;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;

async fn start() -> TestServer {
    let app = axum::Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(TIMEOUT * 5 / 2).await;
                "slow"
            }),
        );
    let config = ServeConfig::default()
        .header_read_timeout(TIMEOUT)
        .shutdown_grace(GRACE);
    TestServer::start_with(app, config).await
}

/// A connection to `server` that has sent the HTTP/2 preface, an empty SETTINGS and the ACK of the
/// server's SETTINGS: ready for requests.
async fn http2_connection(server: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(PREFACE).await.unwrap();
    stream.write_all(SETTINGS).await.unwrap();
    stream.write_all(SETTINGS_ACK).await.unwrap();
    stream
}

/// The PING frame that acknowledges a server's PING carrying `payload`, as a live client sends.
fn ping_ack(payload: &[u8]) -> Vec<u8> {
    let mut ack = vec![0, 0, 8, PING, 0x1, 0, 0, 0, 0];
    ack.extend_from_slice(payload);
    ack
}

/// Reads until the server closes the connection (EOF or an error such as a reset); returns how
/// long that took from `since` and what was received, or `None` if it was still open at `GIVE_UP`.
async fn closed(stream: &mut TcpStream, since: Instant) -> Option<(Duration, Vec<u8>)> {
    let mut received = Vec::new();
    let read_all = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(GIVE_UP, read_all).await.ok()?;
    Some((since.elapsed(), received))
}

/// Asserts the connection is closed by the header-read timeout: not before it, not long after.
async fn assert_closed_at_the_timeout(mut stream: TcpStream, since: Instant, what: &str) {
    let (elapsed, _) = closed(&mut stream, since)
        .await
        .unwrap_or_else(|| panic!("{what}: still open after {GIVE_UP:?} ({TIMEOUT:?} timeout)"));
    // Not before the timeout; the upper bound is `GIVE_UP` (generous: CI machines are busy).
    assert!(
        elapsed >= TIMEOUT * 3 / 4,
        "{what}: closed after {elapsed:?} with a {TIMEOUT:?} header-read timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_is_closed_at_the_header_timeout() {
    let server = start().await;
    let since = Instant::now();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    assert_closed_at_the_timeout(stream, since, "a connection that sends nothing").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_silent_connections_are_all_closed() {
    let server = start().await;
    let since = Instant::now();
    let mut streams = Vec::new();
    for _ in 0..50 {
        streams.push(TcpStream::connect(server.addr).await.unwrap());
    }
    for (i, mut stream) in streams.into_iter().enumerate() {
        assert!(
            closed(&mut stream, since).await.is_some(),
            "silent connection {i} of 50 still open after {GIVE_UP:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_http2_preface_is_closed_at_the_header_timeout() {
    let server = start().await;
    let since = Instant::now();
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(&PREFACE[..16]).await.unwrap();
    assert_closed_at_the_timeout(stream, since, "16 bytes of the HTTP/2 preface").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_preface_trickled_byte_by_byte_is_closed_at_the_header_timeout() {
    let server = start().await;
    let since = Instant::now();
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        // 24 bytes at 100 ms each: the preface alone would take 2.4 s.
        for byte in PREFACE {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::future::pending::<()>().await;
    });
    let mut chunk = [0u8; 1024];
    let cut_off = async {
        loop {
            match read.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    let result = tokio::time::timeout(GIVE_UP, cut_off).await;
    trickle.abort();
    result.expect("the trickled preface was never cut off");
    let elapsed = since.elapsed();
    // Cut off before the 2.4 s the preface takes: by the deadline, not by its end.
    assert!(
        elapsed < Duration::from_millis(2_300),
        "closed after {elapsed:?} with a {TIMEOUT:?} header-read timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_that_sends_no_request_is_closed_at_the_header_timeout() {
    let server = start().await;
    let since = Instant::now();
    let stream = http2_connection(&server).await;
    assert_closed_at_the_timeout(
        stream,
        since,
        "an HTTP/2 preface and SETTINGS, then nothing",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Normal clients keep working
// ---------------------------------------------------------------------------------------------

/// Reads one HTTP/1.1 response with a `content-length` and returns its head and body.
async fn h1_response(stream: &mut TcpStream) -> (String, String) {
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or_else(|| panic!("no content-length in {head:?}"));
            if received.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&received[end + 4..end + 4 + length]);
                return (head, body.into_owned());
            }
        }
        let n = tokio::time::timeout(GIVE_UP, stream.read(&mut chunk))
            .await
            .expect("a response in time")
            .expect("read");
        assert!(n > 0, "closed mid-response: {received:?}");
        received.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_http1_client_is_served_past_the_timeout_then_closed_when_idle() {
    let server = start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // Six requests on one connection, a quarter of the timeout apart (room for a busy machine),
    // the last ones past the first-request deadline.
    for i in 0..6 {
        if i > 0 {
            tokio::time::sleep(TIMEOUT / 4).await;
        }
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let (head, body) = h1_response(&mut stream).await;
        assert!(head.starts_with("HTTP/1.1 200"), "request {i}: {head}");
        assert_eq!(body, "hello", "request {i}");
    }
    // Idle after its last response: hyper's header-read timer closes it, as before.
    let since = Instant::now();
    assert_closed_at_the_timeout(stream, since, "an idle keep-alive connection").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http1_request_slower_than_the_header_timeout_is_answered() {
    let server = start().await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let (head, body) = h1_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "slow");
}

/// One HTTP/2 frame: type, flags, stream id, payload.
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// The next frame, or `None` once the connection is closed.
async fn read_frame(stream: &mut TcpStream) -> Option<Frame> {
    let mut head = [0u8; 9];
    stream.read_exact(&mut head).await.ok()?;
    let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).await.ok()?;
    Some(Frame {
        kind: head[3],
        flags: head[4],
        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
        payload,
    })
}

/// A HEADERS frame for `GET path` on `stream`, ending the stream: `:method GET`, `:scheme http`
/// (static table indices 2 and 6), then `:path` as a literal without indexing (name index 4).
fn get_request(stream: u32, path: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x04, path.len() as u8];
    block.extend_from_slice(path.as_bytes());
    let mut frame = (block.len() as u32).to_be_bytes()[1..].to_vec();
    frame.extend_from_slice(&[HEADERS, END_STREAM | 0x4]); // END_STREAM | END_HEADERS
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(&block);
    frame
}

/// Sends `GET path` on `id` and reads frames until that stream ends: (`:status` was 200, body).
async fn h2_get(stream: &mut TcpStream, id: u32, path: &str) -> (bool, String) {
    stream.write_all(&get_request(id, path)).await.unwrap();
    let mut ok = false;
    let mut body = Vec::new();
    let read = async {
        loop {
            let frame = read_frame(stream)
                .await
                .expect("closed before the response");
            if frame.stream != id {
                continue;
            }
            match frame.kind {
                // `:status: 200` is static table index 8.
                HEADERS => ok = frame.payload.first() == Some(&0x88),
                DATA => body.extend_from_slice(&frame.payload),
                _ => {}
            }
            if frame.flags & END_STREAM != 0 {
                break;
            }
        }
    };
    tokio::time::timeout(GIVE_UP, read)
        .await
        .expect("a response in time");
    (ok, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_is_served_and_a_request_in_flight_outlives_the_timeout() {
    let server = start().await;
    let mut stream = http2_connection(&server).await;
    assert_eq!(
        h2_get(&mut stream, 1, "/hello").await,
        (true, "hello".into())
    );
    // Idle for a quarter of the timeout: still open.
    tokio::time::sleep(TIMEOUT / 4).await;
    assert_eq!(
        h2_get(&mut stream, 3, "/hello").await,
        (true, "hello".into())
    );
    // A handler that takes longer than the timeout: the connection is busy, not idle.
    assert_eq!(h2_get(&mut stream, 5, "/slow").await, (true, "slow".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_gets_a_goaway_and_is_closed() {
    let server = start().await;
    let mut stream = http2_connection(&server).await;
    assert_eq!(
        h2_get(&mut stream, 1, "/hello").await,
        (true, "hello".into())
    );
    // Then silence (not even answering the server's PING): GOAWAY at the timeout, closed at most
    // `GRACE` later.
    let since = Instant::now();
    let (elapsed, received) = closed(&mut stream, since)
        .await
        .expect("an idle HTTP/2 connection still open after 3 s");
    assert!(
        elapsed >= TIMEOUT * 3 / 4 && elapsed < (TIMEOUT + GRACE) * 3,
        "closed after {elapsed:?} ({TIMEOUT:?} timeout, {GRACE:?} grace)"
    );
    let mut frames = received.as_slice();
    let mut goaway = false;
    while frames.len() >= 9 {
        let length = u32::from_be_bytes([0, frames[0], frames[1], frames[2]]) as usize;
        goaway |= frames[3] == GOAWAY;
        frames = &frames[(9 + length).min(frames.len())..];
    }
    assert!(goaway, "no GOAWAY before the close: {received:?}");
}

/// Sets its flag when dropped: the server gave up on the endless response that held it.
struct DropFlag(&'static AtomicBool);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A server whose `/endless` streams `chunk`-byte chunks for ever (setting `dropped` once the
/// response is dropped) and whose `/hello` answers `hello`, with the write timeout at `TIMEOUT`.
async fn endless_server(chunk: usize, dropped: &'static AtomicBool) -> TestServer {
    let app = axum::Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/endless",
            get(move || async move {
                let chunks =
                    futures_util::stream::unfold(DropFlag(dropped), move |flag| async move {
                        let chunk = bytes::Bytes::from(vec![b'x'; chunk]);
                        Some((Ok::<_, std::convert::Infallible>(chunk), flag))
                    });
                axum::body::Body::from_stream(chunks)
            }),
        );
    start_with_write_timeout(app).await
}

/// Serves `app` with the header-read and write timeouts at `TIMEOUT`.
async fn start_with_write_timeout(app: axum::Router) -> TestServer {
    let config = ServeConfig::default()
        .header_read_timeout(TIMEOUT)
        .write_timeout(TIMEOUT)
        .shutdown_grace(GRACE);
    TestServer::start_with(app, config).await
}

/// Set when the endless response to the client that reads nothing is dropped.
static ENDLESS_DROPPED: AtomicBool = AtomicBool::new(false);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_closed_at_the_write_timeout() {
    // An endless 64 KiB-a-chunk response to a client that reads nothing: once the socket's buffers
    // are full, every write waits; the write timeout ends the connection and drops the response.
    let server = endless_server(64 * 1024, &ENDLESS_DROPPED).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /endless HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let since = Instant::now();
    while !ENDLESS_DROPPED.load(Ordering::SeqCst) {
        assert!(
            since.elapsed() < GIVE_UP,
            "the response to a client that reads nothing was still being written after {GIVE_UP:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server keeps serving others.
    let response = crate::common::client()
        .get(server.url("/endless"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(stream);
}

/// Set when the endless response to the HTTP/2 client that never opens its window is dropped.
static H2_ENDLESS_DROPPED: AtomicBool = AtomicBool::new(false);

/// An HTTP/2 client that reads the socket (and answers pings) but never opens its flow-control
/// window: the socket keeps moving, so only the watchdog sees the response waiting on the
/// client. Past the write timeout the connection is closed and the response dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_client_that_never_opens_its_window_is_closed_at_the_write_timeout() {
    let server = endless_server(16 * 1024, &H2_ENDLESS_DROPPED).await;
    let mut stream = http2_connection(&server).await;
    stream.write_all(&get_request(1, "/endless")).await.unwrap();
    let since = Instant::now();
    let mut received = 0;
    let closed = loop {
        let Ok(frame) = tokio::time::timeout(GIVE_UP, read_frame(&mut stream)).await else {
            break false;
        };
        let Some(frame) = frame else { break true };
        match frame.kind {
            DATA => received += frame.payload.len(),
            // PING without ACK: acknowledge it, as a live client does.
            PING if frame.flags & 0x1 == 0 => {
                stream.write_all(&ping_ack(&frame.payload)).await.unwrap();
            }
            _ => {}
        }
        if since.elapsed() > GIVE_UP {
            break false;
        }
    };
    assert!(
        closed && H2_ENDLESS_DROPPED.load(Ordering::SeqCst),
        "after {:?} (write timeout {TIMEOUT:?}) the stalled HTTP/2 response was still held \
         ({received} bytes sent, then nothing)",
        since.elapsed()
    );
    assert!(
        received <= 65_535,
        "{received} bytes past the initial window"
    );
    // The server keeps serving others, on HTTP/2 too.
    let mut other = http2_connection(&server).await;
    assert_eq!(
        h2_get(&mut other, 1, "/hello").await,
        (true, "hello".into())
    );
}

/// Serves two 256 KiB chunks (then, with `pause`, a 1.5 s wait and one more byte) to a raw HTTP/2
/// client that gives back 16 KiB of window every 50 ms; returns (ended, bytes received).
async fn steady_http2_reader(pause: bool) -> (bool, usize, usize) {
    let app = axum::Router::new().route(
        "/big",
        get(move || async move {
            let chunks = futures_util::stream::unfold(0u8, move |i| async move {
                let chunk = match i {
                    0 | 1 => bytes::Bytes::from(vec![b'x'; 256 * 1024]),
                    2 if pause => {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        bytes::Bytes::from_static(b"!")
                    }
                    _ => return None,
                };
                Some((Ok::<_, std::convert::Infallible>(chunk), i + 1))
            });
            axum::body::Body::from_stream(chunks)
        }),
    );
    let server = start_with_write_timeout(app).await;
    let mut stream = http2_connection(&server).await;
    stream.write_all(&get_request(1, "/big")).await.unwrap();
    let mut received = 0;
    while let Ok(Some(frame)) =
        tokio::time::timeout(Duration::from_secs(10), read_frame(&mut stream)).await
    {
        match frame.kind {
            DATA => {
                received += frame.payload.len();
                if frame.flags & END_STREAM != 0 {
                    return (true, received, 512 * 1024 + usize::from(pause));
                }
                if !frame.payload.is_empty() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    // WINDOW_UPDATE for the connection and the stream.
                    for id in [0u32, 1] {
                        let mut update = vec![0, 0, 4, 0x8, 0];
                        update.extend_from_slice(&id.to_be_bytes());
                        update.extend_from_slice(&(frame.payload.len() as u32).to_be_bytes());
                        let _ = stream.write_all(&update).await;
                    }
                }
            }
            PING if frame.flags & 0x1 == 0 => {
                let _ = stream.write_all(&ping_ack(&frame.payload)).await;
            }
            _ => {}
        }
    }
    (false, received, 512 * 1024 + usize::from(pause))
}

/// A stall deadline, not a minimum rate: an HTTP/2 client that keeps opening its window gets the
/// whole body, however long one chunk takes to drain, and whether or not hyper has already let go
/// of the body (the connection is not idle while its buffer drains).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_http2_reader_gets_the_whole_body_however_long_it_takes() {
    for pause in [true, false] {
        let since = Instant::now();
        let (ended, received, expected) = steady_http2_reader(pause).await;
        assert!(
            ended && received == expected,
            "pause {pause}: closed after {:?}: {received} of {expected} bytes (write timeout \
             {TIMEOUT:?})",
            since.elapsed()
        );
    }
}
