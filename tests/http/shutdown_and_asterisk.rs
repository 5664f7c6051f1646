//! The server's own answer to the asterisk-form request target (`OPTIONS * HTTP/1.1`). (SIGTERM
//! is tested in `tests/shutdown.rs`, a binary of its own.)

use std::time::Duration;

use axum::routing::get;
use route_runtime::StatusCode;

use crate::common::TestServer;

// ---------------------------------------------------------------------------------------------
// OPTIONS *
// ---------------------------------------------------------------------------------------------

/// A router that echoes the path it routed, to tell the server's answers from the router's.
async fn echo_server() -> TestServer {
    let app = axum::Router::new()
        .route("/a*b", get(|| async { "route /a*b" }))
        .fallback(|uri: axum::http::Uri| async move { format!("fallback {uri}") });
    TestServer::start(app).await
}

/// The status line, the lower-cased head and the body of the one response in `raw`.
fn parse(raw: &str) -> (String, String, String) {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response in {raw:?}"));
    let status = head.lines().next().unwrap_or_default().to_owned();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

async fn raw_request(server: &TestServer, method: &str, target: &str) -> String {
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    server.raw(request.as_bytes(), Duration::from_secs(3)).await
}

#[tokio::test]
async fn options_asterisk_is_answered_by_the_server_with_204_and_the_seven_methods() {
    let server = echo_server().await;
    let raw = raw_request(&server, "OPTIONS", "*").await;
    let (status, head, body) = parse(&raw);
    assert_eq!(status, "HTTP/1.1 204 No Content", "{raw:?}");
    assert!(
        head.contains("\r\nallow: delete, get, head, options, patch, post, put\r\n"),
        "{raw:?}"
    );
    assert!(!head.contains("location:"), "{raw:?}");
    assert!(body.is_empty(), "{raw:?}");
    assert_eq!(raw.matches("HTTP/1.1").count(), 1, "one response: {raw:?}");
}

/// hyper passes `*` on for every method (it is the server's job to refuse it): each is a `400`
/// with a message, never routed and never redirected to `/*`.
#[tokio::test]
async fn asterisk_with_another_method_is_a_400() {
    let server = echo_server().await;
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE"] {
        let raw = raw_request(&server, method, "*").await;
        let (status, head, body) = parse(&raw);
        assert_eq!(status, "HTTP/1.1 400 Bad Request", "{method}: {raw:?}");
        assert!(!head.contains("location:"), "{method}: {raw:?}");
        if method != "HEAD" {
            assert_eq!(
                body, "the request target `*` is only for OPTIONS",
                "{method}: {raw:?}"
            );
        }
    }
}

/// Only the bare `*` is the server's: `/*`, `/a*b` and the like are origin-form paths, routed (or
/// redirected) as before.
#[tokio::test]
async fn paths_holding_an_asterisk_are_routed_as_before() {
    let server = echo_server().await;
    for method in ["GET", "OPTIONS"] {
        let (status, _, body) = parse(&raw_request(&server, method, "/*").await);
        assert_eq!(status, "HTTP/1.1 200 OK", "{method} /*");
        assert_eq!(body, "fallback /*", "{method} /*");
    }
    let (status, _, body) = parse(&raw_request(&server, "GET", "/a*b").await);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, "route /a*b");
    let (status, head, _) = parse(&raw_request(&server, "GET", "/a*b/").await);
    assert_eq!(status, "HTTP/1.1 308 Permanent Redirect");
    assert!(head.contains("\r\nlocation: /a*b\r\n"), "{head}");
    let (status, _, body) = parse(&raw_request(&server, "GET", "/*?x=1").await);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, "fallback /*?x=1");
}

/// `NormalizePathLayer` (for servers other than `serve`) answers it too.
#[tokio::test]
async fn normalize_path_layer_answers_options_asterisk() {
    use tower::{Layer, ServiceExt};

    let app = axum::Router::new().fallback(|| async { "routed" });
    let service = route_runtime::NormalizePathLayer.layer(app);
    let request = axum::http::Request::builder()
        .method("OPTIONS")
        .uri("*")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        response.headers()["allow"],
        "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    );
}

/// HTTP/2 carries it as `:path: *` (hyper then gives the URI a scheme and an authority): the same
/// answers. reqwest cannot send it, so the HEADERS frame is written by hand.
#[tokio::test]
async fn asterisk_over_http2_is_answered_the_same() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = echo_server().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // The preface, an empty SETTINGS, and the ACK of the server's SETTINGS.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0\0\0\0\x04\x01\0\0\0\0")
        .await
        .unwrap();
    // `:status` of the response on stream `id`: the first byte of its HEADERS block, which h2
    // sends indexed (static table: 9 is 204, 12 is 400, 8 is 200).
    async fn status(stream: &mut tokio::net::TcpStream, method: &str, path: &str, id: u32) -> u8 {
        // Literals without indexing, by name index: `:authority` (1), `:method` (2), `:path` (4);
        // `:scheme: http` is static index 6.
        let mut block = vec![0x01, 9];
        block.extend_from_slice(b"localhost");
        block.extend_from_slice(&[0x02, method.len() as u8]);
        block.extend_from_slice(method.as_bytes());
        block.extend_from_slice(&[0x86, 0x04, path.len() as u8]);
        block.extend_from_slice(path.as_bytes());
        let mut frame = (block.len() as u32).to_be_bytes()[1..].to_vec();
        frame.extend_from_slice(&[0x1, 0x5]); // HEADERS, END_STREAM | END_HEADERS
        frame.extend_from_slice(&id.to_be_bytes());
        frame.extend_from_slice(&block);
        stream.write_all(&frame).await.unwrap();
        let read = async {
            loop {
                let mut head = [0u8; 9];
                stream.read_exact(&mut head).await.expect("a frame");
                let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
                let mut payload = vec![0u8; length];
                stream.read_exact(&mut payload).await.expect("a payload");
                let stream_id = u32::from_be_bytes([head[5], head[6], head[7], head[8]]);
                if head[3] == 0x1 && stream_id == id {
                    return payload[0];
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(3), read)
            .await
            .expect("a response in time")
    }
    assert_eq!(status(&mut stream, "OPTIONS", "*", 1).await, 0x89, "204");
    assert_eq!(status(&mut stream, "GET", "*", 3).await, 0x8c, "400");
    assert_eq!(status(&mut stream, "GET", "/a*b", 5).await, 0x88, "200");
}
