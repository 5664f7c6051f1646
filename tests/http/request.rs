//! `Request` over real HTTP: the head (method, URL, headers, search params), every body reader
//! (JSON, text, bytes, form data, raw stream) with its limits and errors, and how handler
//! failures (panics, `?` on user errors, `RouteError::new`) reach the client.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use route_runtime::{route, routes};
use serde_json::{json, Value};

use crate::common::{client, header, TestServer};

/// Everything a handler can read from the request head, as JSON.
fn describe(request: &route_runtime::Request) -> Value {
    let url = request.next_url();
    let params = url.search_params();
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    json!({
        "method": request.method().as_str(),
        "url": request.url(),
        "x_test": header("x-test"),
        "x_multi": request
            .headers()
            .get_all("x-multi")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>(),
        "host": header("host"),
        "pathname": url.pathname(),
        "search": url.search(),
        "query": params.get("query"),
        "tags": params.get_all("tag"),
        "plus": params.get("plus"),
        "has_empty": params.has("empty"),
        "empty": params.get("empty"),
        "has_missing": params.has("missing"),
        "missing": params.get("missing"),
        "missing_all": params.get_all("missing"),
        "len": params.len(),
        "pairs": params.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
    })
}

#[route("/req/info")]
mod info {
    use route_runtime::{Json, Request};
    use serde_json::Value;

    pub async fn GET(request: Request) -> Json<Value> {
        Json(super::describe(&request))
    }

    pub async fn POST(request: Request) -> Json<Value> {
        Json(super::describe(&request))
    }

    pub async fn DELETE(request: Request) -> Json<Value> {
        Json(super::describe(&request))
    }
}

#[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
pub struct Item {
    name: String,
    tags: Vec<u32>,
}

#[route("/req/json")]
mod json_body {
    use route_runtime::{Json, Request, RouteError};

    pub async fn POST(request: Request) -> Result<Json<super::Item>, RouteError> {
        let item: super::Item = request.json().await?;
        Ok(Json(item))
    }
}

#[route("/req/small")]
mod small {
    use route_runtime::{Request, RouteError};

    pub const BODY_LIMIT: usize = 1024;

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        let bytes = request.bytes().await?;
        Ok(format!("{} bytes", bytes.len()))
    }
}

#[route("/req/default-limit")]
mod default_limit {
    use route_runtime::{Request, RouteError};

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        let limit = request.body_limit();
        let bytes = request.bytes().await?;
        Ok(format!("{} bytes, limit {limit}", bytes.len()))
    }
}

#[route("/req/text")]
mod text_body {
    use route_runtime::{Request, RouteError};

    /// GET reads the body too: it must always be empty.
    pub async fn GET(request: Request) -> Result<String, RouteError> {
        let text = request.text().await?;
        Ok(format!("[{text}]"))
    }

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        let text = request.text().await?;
        Ok(format!("[{text}]"))
    }
}

#[route("/req/bytes")]
mod bytes_body {
    use route_runtime::{Json, Request, RouteError};

    pub async fn PUT(request: Request) -> Result<Json<Vec<u8>>, RouteError> {
        let bytes = request.bytes().await?;
        Ok(Json(bytes.to_vec()))
    }
}

#[route("/req/form")]
mod form {
    use route_runtime::request::FormEntry;
    use route_runtime::{Json, Request, RouteError};
    use serde_json::{json, Value};

    pub async fn POST(request: Request) -> Result<Json<Value>, RouteError> {
        let form = request.form_data().await?;
        let entries: Vec<Value> = form
            .iter()
            .map(|(name, entry)| match entry {
                FormEntry::Text(text) => json!({ "name": name, "text": text }),
                FormEntry::File(file) => json!({
                    "name": name,
                    "file_name": file.name(),
                    "filename": file.file_name(),
                    "content_type": file.content_type(),
                    "bytes": file.bytes().to_vec(),
                }),
            })
            .collect();
        Ok(Json(json!({
            "len": form.len(),
            "entries": entries,
            "first_tag": form.get_text("tag"),
            "has_nope": form.has("nope"),
        })))
    }
}

#[route("/req/stream")]
mod body_stream {
    use futures_util::StreamExt;
    use route_runtime::{Json, Request, RouteError};
    use serde_json::{json, Value};

    pub const BODY_LIMIT: usize = 1024;

    pub async fn POST(request: Request) -> Result<Json<Value>, RouteError> {
        let mut body = request.body_stream();
        let mut chunks = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            chunks.push(String::from_utf8_lossy(&chunk).into_owned());
        }
        Ok(Json(json!({ "count": chunks.len(), "chunks": chunks })))
    }
}

#[route("/req/panic")]
mod panics {
    pub async fn GET() -> &'static str {
        panic!("request.rs: secret panic detail");
    }
}

/// A user error type that is not a `std::error::Error`: it converts into `RouteError` with its
/// own `From`, so `?` picks the status.
#[derive(Debug)]
pub enum AppError {
    Taken(String),
}

impl From<AppError> for route_runtime::RouteError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Taken(name) => route_runtime::RouteError::new(
                route_runtime::StatusCode::CONFLICT,
                format!("`{name}` is taken"),
            ),
        }
    }
}

fn reserve(name: &str) -> Result<(), AppError> {
    if name == "admin" {
        return Err(AppError::Taken(name.to_owned()));
    }
    Ok(())
}

fn read_config() -> Result<String, std::io::Error> {
    Err(std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        "request.rs: secret io detail /etc/shadow",
    ))
}

#[route("/req/errors/[kind]")]
mod errors {
    use route_runtime::{RouteContext, RouteError, StatusCode};

    pub async fn GET(ctx: RouteContext<Params>) -> Result<String, RouteError> {
        match ctx.params.kind.as_str() {
            "io" => {
                let config = super::read_config()?;
                Ok(config)
            }
            "user" => {
                super::reserve("admin")?;
                Ok("reserved".to_owned())
            }
            "user-ok" => {
                super::reserve("alice")?;
                Ok("reserved".to_owned())
            }
            "conflict" => Err(RouteError::new(StatusCode::CONFLICT, "msg")),
            _ => Ok("no error".to_owned()),
        }
    }
}

async fn server() -> TestServer {
    TestServer::start(
        routes![
            info,
            json_body,
            small,
            default_limit,
            text_body,
            bytes_body,
            form,
            body_stream,
            panics,
            errors
        ]
        .into_router(),
    )
    .await
}

/// A streamed (chunked) request body with no `Content-Length`.
fn streamed(chunks: Vec<Vec<u8>>, gap: Duration) -> reqwest::Body {
    let stream = futures_util::stream::unfold(chunks.into_iter(), move |mut chunks| async move {
        let chunk = chunks.next()?;
        tokio::time::sleep(gap).await;
        Some((Ok::<_, Infallible>(Bytes::from(chunk)), chunks))
    });
    reqwest::Body::wrap_stream(stream)
}

async fn error_json(response: reqwest::Response) -> Value {
    assert_eq!(header(&response, "content-type"), "application/json");
    response.json().await.expect("a JSON error body")
}

// ---------------------------------------------------------------------------------------------
// The head
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn method_url_and_headers() {
    let server = server().await;
    let http = client();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    ] {
        let response = http
            .request(method.clone(), server.url("/req/info?page=2"))
            .header("x-test", "hello")
            .header("x-multi", "one")
            .header("x-multi", "two")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        let info: Value = response.json().await.unwrap();
        assert_eq!(info["method"], method.as_str());
        assert_eq!(info["url"], "/req/info?page=2");
        assert_eq!(info["x_test"], "hello");
        assert_eq!(info["x_multi"], json!(["one", "two"]));
        assert_eq!(info["pathname"], "/req/info");
        assert_eq!(info["search"], "?page=2");
    }
}

#[tokio::test]
async fn next_url_and_search_params() {
    let server = server().await;
    let response = client()
        .get(server.url("/req/info?query=hello&tag=a&tag=b&plus=a+b&enc=%E4%B8%AD%20x&empty="))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["pathname"], "/req/info");
    assert_eq!(
        info["search"],
        "?query=hello&tag=a&tag=b&plus=a+b&enc=%E4%B8%AD%20x&empty="
    );
    assert_eq!(info["query"], "hello");
    assert_eq!(info["tags"], json!(["a", "b"]), "get_all keeps every value");
    assert_eq!(info["plus"], "a b", "`+` is a space in the query");
    assert_eq!(info["has_empty"], true);
    assert_eq!(info["empty"], "");
    assert_eq!(info["has_missing"], false);
    assert_eq!(info["missing"], Value::Null);
    assert_eq!(info["missing_all"], json!([]));
    assert_eq!(info["len"], 6);
    assert_eq!(
        info["pairs"],
        json!([
            ["query", "hello"],
            ["tag", "a"],
            ["tag", "b"],
            ["plus", "a b"],
            ["enc", "中 x"],
            ["empty", ""]
        ]),
        "iteration gives every pair, decoded, in order"
    );

    // No query at all.
    let info: Value = client()
        .get(server.url("/req/info"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["search"], "");
    assert_eq!(info["len"], 0);
    assert_eq!(info["url"], "/req/info");
}

#[tokio::test]
async fn url_never_uses_the_host_header() {
    let server = server().await;
    let response = client()
        .get(server.url("/req/info?x=1"))
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil2.example")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["host"], "evil.example", "the Host header did arrive");
    assert_eq!(info["url"], "/req/info?x=1");
    assert_eq!(info["pathname"], "/req/info");

    // The same over raw connections: origin-form with another Host, and absolute-form naming
    // another host in the request target.
    for request in [
        &b"GET /req/info?y=2 HTTP/1.1\r\nHost: evil.example:666\r\nConnection: close\r\n\r\n"[..],
        &b"GET http://evil.example:666/req/info?y=2 HTTP/1.1\r\nHost: evil.example:666\r\n\
           Connection: close\r\n\r\n"[..],
    ] {
        let raw = server.raw(request, Duration::from_secs(3)).await;
        assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
        let body = raw
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        let info: Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(info["host"], "evil.example:666", "{raw}");
        assert_eq!(info["url"], "/req/info?y=2", "{raw}");
        assert_eq!(info["pathname"], "/req/info", "{raw}");
    }
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn json_body_is_parsed() {
    let server = server().await;
    let item = Item {
        name: "widget".into(),
        tags: vec![1, 2],
    };
    let response = client()
        .post(server.url("/req/json"))
        .json(&item)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Item>().await.unwrap(), item);

    // A charset parameter and a `+json` type are JSON too.
    for content_type in [
        "application/json; charset=utf-8",
        "application/vnd.api+json",
    ] {
        let response = client()
            .post(server.url("/req/json"))
            .header("content-type", content_type)
            .body(r#"{"name":"x","tags":[]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{content_type}");
    }
}

#[tokio::test]
async fn invalid_json_is_400_naming_the_problem_with_line_and_column() {
    let server = server().await;
    let response = client()
        .post(server.url("/req/json"))
        .header("content-type", "application/json")
        .body("{\n  \"name\": ,\n  \"tags\": []\n}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = error_json(response).await;
    let message = error["error"].as_str().expect("an `error` message");
    assert!(message.starts_with("invalid JSON:"), "{error}");
    assert!(message.contains("expected value"), "{error}");
    assert_eq!(error["line"], 2, "{error}");
    assert_eq!(error["column"], 11, "{error}");

    // Valid JSON of the wrong shape: 400 too, with its own message.
    let response = client()
        .post(server.url("/req/json"))
        .header("content-type", "application/json")
        .body(r#"{"name":"x","tags":"nope"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = error_json(response).await;
    let message = error["error"].as_str().unwrap();
    assert!(message.starts_with("JSON body does not match"), "{error}");
    assert!(message.contains("invalid type"), "{error}");
    assert_eq!(error["line"], 1, "{error}");
    assert!(error["column"].as_u64().unwrap() > 0, "{error}");

    // An empty body is not JSON either.
    let response = client()
        .post(server.url("/req/json"))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = error_json(response).await;
    assert!(error["error"].as_str().unwrap().contains("EOF"), "{error}");
}

#[tokio::test]
async fn json_with_a_wrong_or_missing_content_type_is_415() {
    let server = server().await;
    let response = client()
        .post(server.url("/req/json"))
        .header("content-type", "text/plain")
        .body(r#"{"name":"x","tags":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let error = error_json(response).await;
    assert_eq!(error["error"], "expected `content-type: application/json`");

    // No content type at all.
    let response = client()
        .post(server.url("/req/json"))
        .body(r#"{"name":"x","tags":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let error = error_json(response).await;
    assert_eq!(error["error"], "expected `content-type: application/json`");
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn body_over_the_route_limit_is_413_with_content_length() {
    let server = server().await;
    let ok = client()
        .post(server.url("/req/small"))
        .body(vec![b'x'; 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1024 bytes");

    let over = client()
        .post(server.url("/req/small"))
        .body(vec![b'x'; 1025])
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error = error_json(over).await;
    assert_eq!(error["limit"], 1024);
    assert_eq!(
        error["error"],
        "request body is larger than the limit of 1024 bytes"
    );
}

#[tokio::test]
async fn body_over_the_route_limit_is_413_when_streamed() {
    let server = server().await;
    // Within the limit, chunked: served.
    let ok = client()
        .post(server.url("/req/small"))
        .body(streamed(
            vec![vec![b'a'; 512], vec![b'b'; 512]],
            Duration::ZERO,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1024 bytes");

    // Over it, chunked (no Content-Length to refuse up front).
    let over = client()
        .post(server.url("/req/small"))
        .body(streamed(
            vec![vec![b'a'; 512], vec![b'b'; 512], vec![b'c'; 1]],
            Duration::ZERO,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error = error_json(over).await;
    assert_eq!(error["limit"], 1024);
}

#[tokio::test]
async fn default_body_limit_is_two_mib() {
    let server = server().await;
    let two_mib = 2 * 1024 * 1024;
    assert_eq!(route_runtime::DEFAULT_BODY_LIMIT, two_mib);
    let ok = client()
        .post(server.url("/req/default-limit"))
        .body(vec![b'x'; two_mib])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.text().await.unwrap(),
        format!("{two_mib} bytes, limit {two_mib}")
    );

    // One byte more, declared: refused from the head alone (nothing of the body is sent).
    let head = format!(
        "POST /req/default-limit HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        two_mib + 1
    );
    let raw = server.raw(head.as_bytes(), Duration::from_secs(3)).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");
    assert!(raw.contains(&format!("\"limit\":{two_mib}")), "{raw}");

    // One byte more, streamed: read until it goes over, then refused.
    let over = client()
        .post(server.url("/req/default-limit"))
        .body(streamed(
            vec![
                vec![b'x'; two_mib / 2],
                vec![b'x'; two_mib / 2],
                vec![b'x'; 1],
            ],
            Duration::ZERO,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_json(over).await["limit"], two_mib);
}

// ---------------------------------------------------------------------------------------------
// Text, bytes, form data, streams
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn text_and_bytes() {
    let server = server().await;
    let response = client()
        .post(server.url("/req/text"))
        .body("héllo wörld")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "[héllo wörld]");

    // An empty body is "".
    let response = client().post(server.url("/req/text")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "[]");

    // Not UTF-8: 400.
    let response = client()
        .post(server.url("/req/text"))
        .body(vec![0x66, 0xff, 0xfe])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_json(response).await["error"]
        .as_str()
        .unwrap()
        .contains("UTF-8"));

    // Bytes come through unchanged, whatever they are.
    let payload: Vec<u8> = (0..=255).collect();
    let response = client()
        .put(server.url("/req/bytes"))
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Vec<u8>>().await.unwrap(), payload);
}

#[tokio::test]
async fn form_data_urlencoded() {
    let server = server().await;
    let response = client()
        .post(server.url("/req/form"))
        .form(&[("name", "a b&c"), ("tag", "x"), ("tag", "y"), ("e", "中")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let form: Value = response.json().await.unwrap();
    assert_eq!(form["len"], 4);
    assert_eq!(
        form["entries"],
        json!([
            { "name": "name", "text": "a b&c" },
            { "name": "tag", "text": "x" },
            { "name": "tag", "text": "y" },
            { "name": "e", "text": "中" },
        ])
    );
    assert_eq!(form["first_tag"], "x");
    assert_eq!(form["has_nope"], false);
}

#[tokio::test]
async fn form_data_multipart_with_a_file() {
    let server = server().await;
    let file_bytes = vec![0x89, b'P', b'N', b'G', 0, 0xff, b'\r', b'\n'];
    let form = reqwest::multipart::Form::new()
        .text("title", "Hello 中")
        .part(
            "avatar",
            reqwest::multipart::Part::bytes(file_bytes.clone())
                .file_name("a.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let response = client()
        .post(server.url("/req/form"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let form: Value = response.json().await.unwrap();
    assert_eq!(form["len"], 2);
    assert_eq!(
        form["entries"][0],
        json!({ "name": "title", "text": "Hello 中" })
    );
    let file = &form["entries"][1];
    assert_eq!(file["name"], "avatar");
    assert_eq!(
        file["file_name"], "avatar",
        "FormFile::name is the field's name"
    );
    assert_eq!(file["filename"], "a.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["bytes"], json!(file_bytes));
}

#[tokio::test]
async fn bad_form_data_is_400_and_a_wrong_content_type_is_415() {
    let server = server().await;
    // Truncated multipart body.
    let response = client()
        .post(server.url("/req/form"))
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body("--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nHel")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_json(response).await["error"]
        .as_str()
        .unwrap()
        .contains("multipart"));

    // Multipart without a boundary.
    let response = client()
        .post(server.url("/req/form"))
        .header("content-type", "multipart/form-data")
        .body("--XyZ--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(error_json(response).await["error"]
        .as_str()
        .unwrap()
        .contains("boundary"));

    // A form read from a JSON body, or from a body with no content type.
    let response = client()
        .post(server.url("/req/form"))
        .header("content-type", "application/json")
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_json(response).await["error"]
        .as_str()
        .unwrap()
        .contains("application/x-www-form-urlencoded"));
    let response = client()
        .post(server.url("/req/form"))
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn body_stream_yields_chunks_as_they_arrive() {
    let server = server().await;
    let response = client()
        .post(server.url("/req/stream"))
        .body(streamed(
            vec![b"first".to_vec(), b"second".to_vec(), b"third".to_vec()],
            Duration::from_millis(60),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["count"], 3, "{body}");
    assert_eq!(body["chunks"], json!(["first", "second", "third"]));

    // Over the route's limit, the stream ends with a 413.
    let response = client()
        .post(server.url("/req/stream"))
        .body(streamed(
            vec![vec![b'a'; 600], vec![b'b'; 600]],
            Duration::from_millis(30),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_get_body_is_never_handed_to_the_handler() {
    let server = server().await;
    let response = client()
        .get(server.url("/req/text"))
        .body("smuggled")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "[]");

    // Chunked too.
    let response = client()
        .get(server.url("/req/text"))
        .body(streamed(vec![b"smuggled".to_vec()], Duration::ZERO))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "[]");

    // The same handler does see a POST body.
    let response = client()
        .post(server.url("/req/text"))
        .body("posted")
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "[posted]");
}

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_panicking_handler_is_an_empty_500_and_the_server_keeps_serving() {
    let server = server().await;
    let http = client();
    for _ in 0..2 {
        let response = http.get(server.url("/req/panic")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.text().await.unwrap();
        assert_eq!(body, "", "the panic message is never sent");

        // The next request on the same server (and client) succeeds.
        let response = http
            .post(server.url("/req/text"))
            .body("still here")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "[still here]");
    }
}

#[tokio::test]
async fn user_errors_convert_into_route_error_with_question_mark() {
    let server = server().await;
    // A `std::io::Error`: a 500 with an empty body, its message never sent.
    let response = client()
        .get(server.url("/req/errors/io"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.text().await.unwrap(), "");

    // A user error type with its own `From`: the status it chose, and its message.
    let response = client()
        .get(server.url("/req/errors/user"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        error_json(response).await,
        json!({ "error": "`admin` is taken" })
    );
    let response = client()
        .get(server.url("/req/errors/user-ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "reserved");
}

#[tokio::test]
async fn route_error_new_answers_its_status_with_a_json_message() {
    let server = server().await;
    let response = client()
        .get(server.url("/req/errors/conflict"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(response.text().await.unwrap(), r#"{"error":"msg"}"#);
}

#[route("/limits/large-string")]
mod large_limit_string {
    pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

    pub async fn POST(body: String) -> String {
        body.len().to_string()
    }
}

#[route("/limits/large-request")]
mod large_limit_request {
    use route_runtime::{Request, RouteError};

    pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

    pub async fn POST(request: Request) -> Result<String, RouteError> {
        Ok(request.text().await?.len().to_string())
    }
}

/// A `BODY_LIMIT` above axum's 2 MB default binds axum's extractors as it binds `Request`'s
/// readers: they take 3 MiB, and refuse what is over the route's limit.
#[tokio::test]
async fn a_body_limit_above_axums_default_binds_axum_extractors_too() {
    let app = routes![large_limit_string, large_limit_request].into_router();
    let server = TestServer::start(app).await;
    let body = "x".repeat(3 * 1024 * 1024);
    for path in ["/limits/large-request", "/limits/large-string"] {
        let response = client()
            .post(server.url(path))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.text().await.unwrap(), body.len().to_string());
    }
    let over = "x".repeat(8 * 1024 * 1024 + 1);
    for path in ["/limits/large-request", "/limits/large-string"] {
        let response = client()
            .post(server.url(path))
            .body(over.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
}

#[route("/bodies/before-context/[id]")]
mod body_before_context {
    use route_runtime::{Json, RouteContext};
    use serde_json::Value;

    pub async fn POST(Json(body): Json<Value>, ctx: RouteContext<Params>) -> Json<Value> {
        Json(serde_json::json!({ "id": ctx.params.id, "body": body }))
    }
}

/// Without a `Request` argument, the body goes to the last argument that is not the
/// `RouteContext` (which reads only the head).
#[tokio::test]
async fn a_body_extractor_may_come_before_the_route_context() {
    let server = TestServer::start(routes![body_before_context].into_router()).await;
    let response = client()
        .post(server.url("/bodies/before-context/7"))
        .json(&json!({"a": [1, 2]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"id": "7", "body": {"a": [1, 2]}}));
}
