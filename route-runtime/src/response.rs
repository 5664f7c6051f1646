//! Response helpers: JSON, text, HTML, XML and streams (Next.js's `Response.json(…)`,
//! `new Response(text)`, `new Response(readableStream)`).
//!
//! Each helper returns a small builder with `.status(…)`, `.header(…)` and `.content_type(…)`,
//! which implements [`IntoResponse`] and so can be returned from a handler as is.
//!
//! ```
//! use route_runtime::response::json;
//! use route_runtime::{IntoResponse, StatusCode};
//!
//! let response = json(&serde_json::json!({ "id": 1 }))
//!     .status(StatusCode::CREATED)
//!     .header("cache-control", "no-store")
//!     .into_response();
//! assert_eq!(response.status(), StatusCode::CREATED);
//! assert_eq!(response.headers()["content-type"], "application/json");
//! ```
//!
//! A header whose name or value is invalid (for example a value with a line break) is never
//! sent: the response becomes an empty `500` and the problem is logged with `tracing`, as for any
//! other bug in a handler. Nothing here panics.

use std::error::Error as StdError;
use std::fmt;

use axum::body::Body;
use axum::http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;

/// `Content-Type` of [`json`], as Next.js's `Response.json` (no charset).
const JSON: &str = "application/json";
/// `Content-Type` of [`text`], exactly as Next.js sends it for a string body.
const TEXT: &str = "text/plain;charset=UTF-8";
/// `Content-Type` of [`html`].
const HTML: &str = "text/html; charset=utf-8";
/// `Content-Type` of [`xml`].
const XML: &str = "text/xml; charset=utf-8";
/// `Content-Type` of [`stream`] unless one is set: bytes, never sniffed as HTML.
const OCTET_STREAM: &str = "application/octet-stream";

/// What every builder shares: status, extra headers, and the first invalid header, if any.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    content_type: Option<HeaderValue>,
    invalid: Option<String>,
}

impl fmt::Debug for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Head")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

impl Head {
    fn new() -> Self {
        Head {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            content_type: None,
            invalid: None,
        }
    }

    fn invalid(&mut self, problem: String) {
        self.invalid.get_or_insert(problem);
    }

    fn header<K, V>(&mut self, name: K, value: V)
    where
        K: TryInto<HeaderName>,
        K::Error: fmt::Display,
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        let name = match name.try_into() {
            Ok(name) => name,
            Err(e) => return self.invalid(format!("invalid header name: {e}")),
        };
        match value.try_into() {
            Ok(value) if name == CONTENT_TYPE => self.content_type = Some(value),
            Ok(value) => {
                self.headers.append(name, value);
            }
            Err(e) => self.invalid(format!("invalid value for header `{name}`: {e}")),
        }
    }

    fn content_type<V>(&mut self, value: V)
    where
        V: TryInto<HeaderValue>,
        V::Error: fmt::Display,
    {
        match value.try_into() {
            Ok(value) => self.content_type = Some(value),
            Err(e) => self.invalid(format!("invalid content type: {e}")),
        }
    }

    fn into_response(self, default_content_type: &'static str, body: Body) -> Response {
        if let Some(problem) = self.invalid {
            tracing::error!(problem = %problem, "route handler built an invalid response header");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        let content_type = self
            .content_type
            .unwrap_or_else(|| HeaderValue::from_static(default_content_type));
        response.headers_mut().insert(CONTENT_TYPE, content_type);
        response
    }
}

/// The builder methods every response type shares.
macro_rules! builder_methods {
    () => {
        /// Sets the status (`200` by default).
        pub fn status(mut self, status: StatusCode) -> Self {
            self.head.status = status;
            self
        }

        /// Adds a header (repeatable: two `set-cookie` lines stay two lines). A `content-type`
        /// replaces the default one.
        ///
        /// An invalid name or value turns the response into a logged, empty `500`.
        pub fn header<K, V>(mut self, name: K, value: V) -> Self
        where
            K: TryInto<HeaderName>,
            K::Error: fmt::Display,
            V: TryInto<HeaderValue>,
            V::Error: fmt::Display,
        {
            self.head.header(name, value);
            self
        }

        /// Replaces the default `Content-Type`.
        ///
        /// An invalid value turns the response into a logged, empty `500`.
        pub fn content_type<V>(mut self, value: V) -> Self
        where
            V: TryInto<HeaderValue>,
            V::Error: fmt::Display,
        {
            self.head.content_type(value);
            self
        }
    };
}

/// A JSON response; see [`json`].
#[derive(Debug)]
#[must_use = "a response does nothing until returned from a handler"]
pub struct JsonResponse {
    head: Head,
    body: Result<Bytes, serde_json::Error>,
}

/// A JSON response (Next.js's `Response.json(value)`): `content-type: application/json`.
///
/// `value` is serialized at once; if that fails (a map with non-string keys, a failing
/// `Serialize` impl), the response is an empty `500` and the error is logged.
///
/// ```
/// use route_runtime::response::json;
/// use route_runtime::{IntoResponse, StatusCode};
///
/// #[derive(serde::Serialize)]
/// struct Created {
///     id: u64,
/// }
///
/// async fn post() -> impl IntoResponse {
///     json(&Created { id: 7 }).status(StatusCode::CREATED)
/// }
/// ```
pub fn json<T: Serialize>(value: T) -> JsonResponse {
    JsonResponse {
        head: Head::new(),
        body: serde_json::to_vec(&value).map(Bytes::from),
    }
}

impl JsonResponse {
    builder_methods!();
}

impl IntoResponse for JsonResponse {
    fn into_response(self) -> Response {
        match self.body {
            Ok(body) => self.head.into_response(JSON, Body::from(body)),
            Err(error) => {
                tracing::error!(error = %error, "could not serialize the JSON response");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

macro_rules! text_response {
    ($(#[$doc:meta])* $name:ident, $fn_name:ident, $content_type:expr, $what:literal) => {
        #[doc = concat!("A ", $what, " response; see [`", stringify!($fn_name), "`].")]
        #[derive(Debug)]
        #[must_use = "a response does nothing until returned from a handler"]
        pub struct $name {
            head: Head,
            body: String,
        }

        $(#[$doc])*
        pub fn $fn_name(body: impl Into<String>) -> $name {
            $name {
                head: Head::new(),
                body: body.into(),
            }
        }

        impl $name {
            builder_methods!();
        }

        impl IntoResponse for $name {
            fn into_response(self) -> Response {
                self.head.into_response($content_type, Body::from(self.body))
            }
        }
    };
}

text_response!(
    /// A plain-text response: `content-type: text/plain;charset=UTF-8` (exactly what Next.js
    /// sends for `new Response("…")`).
    ///
    /// ```
    /// use route_runtime::response::text;
    /// use route_runtime::{IntoResponse, StatusCode};
    ///
    /// async fn get() -> impl IntoResponse {
    ///     text("not ready yet").status(StatusCode::ACCEPTED)
    /// }
    /// ```
    TextResponse,
    text,
    TEXT,
    "plain-text"
);

text_response!(
    /// An HTML response: `content-type: text/html; charset=utf-8`.
    ///
    /// The string is sent as is: escape anything that came from a user.
    ///
    /// ```
    /// use route_runtime::response::html;
    /// use route_runtime::IntoResponse;
    ///
    /// async fn get() -> impl IntoResponse {
    ///     html("<!doctype html><p>Hello</p>")
    /// }
    /// ```
    HtmlResponse,
    html,
    HTML,
    "HTML"
);

text_response!(
    /// An XML response (an RSS feed, a sitemap): `content-type: text/xml; charset=utf-8` (Rust
    /// strings are UTF-8, so the charset is stated). Use `.content_type(…)` for another type,
    /// such as `application/rss+xml`.
    ///
    /// ```
    /// use route_runtime::response::xml;
    /// use route_runtime::IntoResponse;
    ///
    /// async fn get() -> impl IntoResponse {
    ///     xml(r#"<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"></rss>"#)
    ///         .header("cache-control", "public, max-age=3600")
    /// }
    /// ```
    XmlResponse,
    xml,
    XML,
    "XML"
);

/// A streamed response; see [`stream`].
#[must_use = "a response does nothing until returned from a handler"]
pub struct StreamResponse {
    head: Head,
    body: Body,
}

impl fmt::Debug for StreamResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamResponse")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

/// A response whose body is sent as it is produced (Next.js's `new Response(readableStream)`).
///
/// Each item of `s` goes to the client as soon as it is ready: nothing is buffered. The headers
/// are sent before the first item. An `Err` item ends the response abruptly (the client sees a
/// truncated body, never a complete-looking one) and the error is logged by the server.
///
/// The default content type is `application/octet-stream`; set another with `.content_type(…)`.
///
/// ```
/// use std::convert::Infallible;
/// use std::time::Duration;
///
/// use route_runtime::response::stream;
/// use route_runtime::IntoResponse;
///
/// async fn get() -> impl IntoResponse {
///     let events = futures_util::stream::unfold(0, |n| async move {
///         if n == 3 {
///             return None;
///         }
///         tokio::time::sleep(Duration::from_millis(200)).await;
///         Some((Ok::<_, Infallible>(format!("data: {n}\n\n")), n + 1))
///     });
///     stream(events)
///         .content_type("text/event-stream")
///         .header("cache-control", "no-cache")
/// }
/// ```
pub fn stream<S, B, E>(s: S) -> StreamResponse
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: Into<Bytes> + 'static,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    StreamResponse {
        head: Head::new(),
        body: Body::from_stream(s),
    }
}

impl StreamResponse {
    builder_methods!();
}

impl IntoResponse for StreamResponse {
    fn into_response(self) -> Response {
        self.head.into_response(OCTET_STREAM, self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use std::collections::BTreeMap;
    use std::convert::Infallible;

    async fn body_of(response: Response) -> Bytes {
        response.into_body().collect().await.unwrap().to_bytes()
    }

    #[tokio::test]
    async fn json_content_type_status_and_headers() {
        let response = json(serde_json::json!({ "a": [1, 2] }))
            .status(StatusCode::CREATED)
            .header("x-one", "1")
            .header("set-cookie", "a=1")
            .header(HeaderName::from_static("set-cookie"), "b=2")
            .into_response();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["x-one"], "1");
        let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
        assert_eq!(body_of(response).await, r#"{"a":[1,2]}"#);
    }

    #[tokio::test]
    async fn json_serialization_failure_is_empty_500() {
        // Maps with non-string keys cannot be JSON.
        let mut map = BTreeMap::new();
        map.insert((1, 2), "x");
        let response = json(&map).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body_of(response).await.is_empty());
    }

    #[tokio::test]
    async fn text_html_xml_content_types() {
        let response = text("hi").into_response();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain;charset=UTF-8"
        );
        assert_eq!(body_of(response).await, "hi");

        let response = html(String::from("<p>x</p>"))
            .status(StatusCode::NOT_FOUND)
            .into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        assert_eq!(body_of(response).await, "<p>x</p>");

        let response = xml("<a/>").into_response();
        assert_eq!(
            response.headers()["content-type"],
            "text/xml; charset=utf-8"
        );
        assert_eq!(body_of(response).await, "<a/>");
    }

    #[tokio::test]
    async fn content_type_can_be_replaced() {
        let response = xml("<rss/>")
            .content_type("application/rss+xml")
            .into_response();
        assert_eq!(response.headers()["content-type"], "application/rss+xml");
        let response = json(1)
            .header("Content-Type", "application/problem+json")
            .into_response();
        let types: Vec<_> = response.headers().get_all("content-type").iter().collect();
        assert_eq!(types, ["application/problem+json"]);
    }

    #[tokio::test]
    async fn invalid_header_is_logged_500_never_sent() {
        let response = text("x")
            .header("x-evil", "a\r\nset-cookie: evil=1")
            .into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(response.headers().get("x-evil").is_none());
        assert!(response.headers().get("set-cookie").is_none());
        assert!(body_of(response).await.is_empty());

        let response = json(1).header("bad name", "v").into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

        let response = stream(futures_util::stream::empty::<Result<Bytes, Infallible>>())
            .content_type("text/\nhtml")
            .into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[tokio::test]
    async fn stream_chunks_preserved_in_order() {
        let chunks = futures_util::stream::iter(vec![
            Ok::<_, Infallible>("first "),
            Ok("second "),
            Ok("third"),
        ]);
        let response = stream(chunks)
            .content_type("text/plain; charset=utf-8")
            .status(StatusCode::ACCEPTED)
            .header("x-stream", "yes")
            .into_response();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert_eq!(response.headers()["x-stream"], "yes");
        // Read frame by frame: each chunk is its own frame, in order (nothing was buffered).
        let mut body = response.into_body();
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(frames, ["first ", "second ", "third"]);
    }

    #[tokio::test]
    async fn stream_default_content_type_and_lazy_chunks() {
        // A chunk is available before the stream has produced the next one.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let rx = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let response = stream(rx).into_response();
        assert_eq!(
            response.headers()["content-type"],
            "application/octet-stream"
        );
        let mut body = response.into_body();
        tx.send(Ok(b"one".to_vec())).await.unwrap();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "one");
        tx.send(Err(std::io::Error::other("upstream failed")))
            .await
            .unwrap();
        assert!(body.frame().await.unwrap().is_err());
    }
}
