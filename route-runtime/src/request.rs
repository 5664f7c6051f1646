//! [`Request`]: the request a handler takes as an argument (Next.js's `NextRequest`).
//!
//! The head (method, URL, headers) is read by reference as often as needed; the body is read at
//! most once, by a method that consumes the request ([`Request::json`], [`Request::text`],
//! [`Request::bytes`], [`Request::form_data`], [`Request::body_stream`], [`Request::into_body`]).
//! Every body reader enforces the route's body limit (`413 Payload Too Large`), including the
//! streaming ones, and turns a broken body into a `400` rather than a hang or a panic.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, HttpBody};
use axum::extract::FromRequest;
use axum::http::{header, Extensions, HeaderMap, Method, StatusCode, Uri, Version};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http_body_util::{LengthLimitError, Limited};
use serde::de::DeserializeOwned;

use crate::error::RouteError;
use crate::scope::{record, RequestData};

/// The body limit when a route sets no `BODY_LIMIT`: 2 MiB, as axum's.
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The body limit of the route being served, put in the request's extensions by the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// The incoming request, as a handler argument (Next.js's `NextRequest`).
///
/// ```no_run
/// use route_runtime::route;
///
/// #[route("/api/items")]
/// mod items {
///     use route_runtime::request::Request;
///     use route_runtime::{Json, RouteError};
///
///     #[derive(serde::Deserialize, serde::Serialize)]
///     pub struct Item {
///         name: String,
///     }
///
///     pub async fn POST(request: Request) -> Result<Json<Item>, RouteError> {
///         let page = request.next_url().search_params().get("page");
///         let item: Item = request.json().await?; // `request` is consumed here
///         let _ = page;
///         Ok(Json(item))
///     }
/// }
/// ```
///
/// # The body is read once
///
/// In JavaScript, a second `await request.json()` throws "body used already". Here every body
/// reader takes `self`, so reading the body twice does not compile:
///
/// ```compile_fail
/// # async fn handler(request: route_runtime::request::Request) {
/// let text = request.text().await;
/// let again = request.bytes().await; // error: use of moved value `request`
/// # }
/// ```
///
/// Read what you need of the head (headers, search params) before the body.
///
/// # Limits
///
/// Every body reader enforces the route's body limit (`BODY_LIMIT`, by default
/// [`DEFAULT_BODY_LIMIT`]): a `Content-Length` over it is answered `413` without reading anything,
/// and a body without one is read until it goes over, then refused with `413`. A body that breaks
/// off (client gone, truncated) gives a `400`, and one that misses the server's body deadline a
/// `408`; none of them panics or hangs.
pub struct Request {
    method: Method,
    uri: Uri,
    version: Version,
    headers: HeaderMap,
    extensions: Extensions,
    body: Body,
    limit: usize,
}

impl fmt::Debug for Request {
    /// Method, path and version: nothing that reading would make a response uncacheable (the
    /// headers, the query as written), so that logging a request at some level never changes
    /// what is cached. It also keeps cookies and credentials out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.uri.path())
            .field("version", &self.version)
            .field("body_limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl From<axum::extract::Request> for Request {
    fn from(request: axum::extract::Request) -> Self {
        let (parts, body) = request.into_parts();
        let limit = parts
            .extensions
            .get::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT, |limit| limit.0);
        Request {
            method: parts.method,
            uri: parts.uri,
            version: parts.version,
            headers: parts.headers,
            extensions: parts.extensions,
            body,
            limit,
        }
    }
}

impl<S> FromRequest<S> for Request
where
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request(req: axum::extract::Request, _state: &S) -> Result<Self, Infallible> {
        Ok(Request::from(req))
    }
}

impl Request {
    /// The request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request target as received (path and query, still percent-encoded). With a query,
    /// reading it makes the response uncacheable, as [`url`](Self::url) does.
    pub fn uri(&self) -> &Uri {
        if self.uri.query().is_some() {
            record(RequestData::RawQuery);
        }
        &self.uri
    }

    /// The HTTP version of the request.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request headers. Reading them makes the response uncacheable.
    pub fn headers(&self) -> &HeaderMap {
        record(RequestData::Headers);
        &self.headers
    }

    /// The request's extensions (set by the runtime and by middleware, never by the client).
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The body limit in bytes that the body readers enforce.
    pub fn body_limit(&self) -> usize {
        self.limit
    }

    /// The URL of the request: its path and query, as received (`/api/items?page=2`).
    ///
    /// Never built from `Host` or `X-Forwarded-*`, which any client can set. With a query, reading
    /// it makes the response uncacheable: the query's spelling is not part of the cache key (read
    /// [`search_params`](NextUrl::search_params) instead).
    pub fn url(&self) -> String {
        if self.uri.query().is_some() {
            record(RequestData::RawQuery);
        }
        self.uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
    }

    /// The parsed URL (Next.js's `request.nextUrl`): pathname, search and search params.
    pub fn next_url(&self) -> NextUrl {
        let pathname = match self.uri.path() {
            "" => "/".to_owned(),
            path => path.to_owned(),
        };
        NextUrl {
            pathname,
            query: self.uri.query().map(str::to_owned),
        }
    }

    /// The `Content-Type`'s media type, lowercased, without parameters (`application/json`).
    fn media_type(&self) -> Option<String> {
        let value = self.headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let essence = value.split(';').next().unwrap_or("").trim();
        Some(essence.to_ascii_lowercase())
    }

    /// `413` at once when `Content-Length` (or the body's own exact size) is over the limit.
    fn check_declared_length(&self) -> Result<(), RouteError> {
        let over = |n: u64| usize::try_from(n).map_or(true, |n| n > self.limit);
        if declared_length(&self.headers).is_some_and(over) || over(self.body.size_hint().lower()) {
            return Err(too_large(self.limit));
        }
        Ok(())
    }

    /// The body as a limited stream of chunks (after the `Content-Length` check).
    fn into_chunks(self) -> Result<Chunks, RouteError> {
        record(RequestData::Body);
        self.check_declared_length()?;
        Ok(Chunks::new(self.body, self.limit))
    }

    /// The whole body as bytes.
    pub async fn bytes(self) -> Result<Bytes, RouteError> {
        let mut chunks = self.into_chunks()?;
        let mut parts: VecDeque<Bytes> = VecDeque::new();
        let mut total = 0usize;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(BodyError::into_route_error)?;
            total += chunk.len();
            parts.push_back(chunk);
        }
        Ok(match parts.len() {
            0 => Bytes::new(),
            1 => parts.pop_front().unwrap_or_default(),
            _ => {
                let mut all = BytesMut::with_capacity(total);
                for part in parts {
                    all.extend_from_slice(&part);
                }
                all.freeze()
            }
        })
    }

    /// The body as UTF-8 text (`400` when it is not valid UTF-8). An empty body is `""`.
    ///
    /// One leading UTF-8 byte order mark (`EF BB BF`) is removed, as Next.js's `request.text()`
    /// (the WHATWG UTF-8 decode) does; [`bytes`](Self::bytes) keeps it. The byte index of an
    /// invalid sequence in the `400` counts from after the mark.
    pub async fn text(self) -> Result<String, RouteError> {
        let bytes = without_bom(self.bytes().await?);
        String::from_utf8(bytes.into())
            .map_err(|e| RouteError::bad_request(format!("request body is not valid UTF-8: {e}")))
    }

    /// The body parsed as JSON into `T`.
    ///
    /// The content type must be `application/json` or a `…+json` type (parameters such as
    /// `charset` allowed), else `415`. A body that is not JSON, or not the JSON `T` expects, is a
    /// `400` whose body names the problem and its `line` and `column`.
    ///
    /// One leading UTF-8 byte order mark (`EF BB BF`) is skipped, as Next.js's `request.json()`
    /// does (it decodes with `text()` first); `line` and `column` count from after it, as in the
    /// text the client sees.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T, RouteError> {
        if !self.media_type().as_deref().is_some_and(is_json_media_type) {
            return Err(RouteError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected `content-type: application/json`",
            ));
        }
        let bytes = without_bom(self.bytes().await?);
        serde_json::from_slice(&bytes).map_err(json_error)
    }

    /// The body as form data: `application/x-www-form-urlencoded` or `multipart/form-data`.
    ///
    /// Any other content type is a `415`; a malformed multipart body a `400`. Multipart parts
    /// with a file name become [`FormEntry::File`], the others [`FormEntry::Text`].
    pub async fn form_data(self) -> Result<FormData, RouteError> {
        match self.media_type().as_deref() {
            Some("application/x-www-form-urlencoded") => {
                let bytes = self.bytes().await?;
                let entries = form_urlencoded::parse(&bytes)
                    .map(|(k, v)| (k.into_owned(), FormEntry::Text(v.into_owned())))
                    .collect();
                Ok(FormData { entries })
            }
            Some("multipart/form-data") => {
                let content_type = self
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                let boundary = multer::parse_boundary(content_type).map_err(|_| {
                    RouteError::bad_request("`multipart/form-data` without a valid boundary")
                })?;
                let chunks = self.into_chunks()?;
                read_multipart(chunks, boundary).await
            }
            _ => Err(RouteError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected `content-type: application/x-www-form-urlencoded` or \
                 `multipart/form-data`",
            )),
        }
    }

    /// The body as a stream of chunks, as they arrive, with the body limit enforced: the item
    /// that would go over it is a `413` error, and the stream ends after any error.
    ///
    /// ```no_run
    /// # async fn handler(request: route_runtime::request::Request) -> Result<(), route_runtime::RouteError> {
    /// use futures_util::StreamExt;
    ///
    /// let mut body = request.body_stream();
    /// let mut total = 0;
    /// while let Some(chunk) = body.next().await {
    ///     total += chunk?.len();
    /// }
    /// # Ok(()) }
    /// ```
    pub fn body_stream(self) -> BodyStream {
        record(RequestData::Body);
        match self.check_declared_length() {
            Ok(()) => BodyStream {
                state: StreamState::Reading(Chunks::new(self.body, self.limit)),
            },
            Err(error) => BodyStream {
                state: StreamState::Failed(Some(error)),
            },
        }
    }

    /// The raw body, still limited: going over the limit, or a `Content-Length` over it, makes
    /// the body fail with an error (it is not truncated).
    pub fn into_body(self) -> Body {
        record(RequestData::Body);
        if self.check_declared_length().is_err() {
            return Body::from_stream(futures_util::stream::once(async {
                Err::<Bytes, _>(OverLimit)
            }));
        }
        Body::new(Limited::new(self.body, self.limit))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The UTF-8 byte order mark, which `text()` and `json()` skip at the start of a body.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `body` without one leading [`UTF8_BOM`], as the WHATWG UTF-8 decode reads it (no copy).
fn without_bom(body: Bytes) -> Bytes {
    if body.starts_with(UTF8_BOM) {
        body.slice(UTF8_BOM.len()..)
    } else {
        body
    }
}

/// The error of a body found over the limit before reading it.
#[derive(Debug)]
struct OverLimit;

impl fmt::Display for OverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("length limit exceeded")
    }
}

impl std::error::Error for OverLimit {}

fn is_json_media_type(essence: &str) -> bool {
    let Some((ty, subtype)) = essence.split_once('/') else {
        return false;
    };
    !ty.is_empty() && (essence == "application/json" || subtype.ends_with("+json"))
}

/// The body length the client declared in `Content-Length`, if it is a number.
pub(crate) fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `413` naming the limit.
pub(crate) fn too_large(limit: usize) -> RouteError {
    RouteError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("request body is larger than the limit of {limit} bytes"),
    )
    .with_detail("limit", limit)
}

fn json_error(e: serde_json::Error) -> RouteError {
    use serde_json::error::Category;
    let message = match e.classify() {
        Category::Syntax | Category::Eof => format!("invalid JSON: {e}"),
        Category::Data => format!("JSON body does not match the expected shape: {e}"),
        Category::Io => format!("could not read the JSON body: {e}"),
    };
    RouteError::bad_request(message)
        .with_detail("line", e.line())
        .with_detail("column", e.column())
}

/// Why reading the body stopped. Deliberately not an `Error`: `?` must not turn it into a 500.
#[derive(Debug)]
enum BodyError {
    TooLarge(usize),
    Timeout,
    Read(String),
}

impl BodyError {
    fn classify(error: BoxError, limit: usize) -> Self {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&*error);
        while let Some(e) = current {
            if e.is::<LengthLimitError>() || e.is::<OverLimit>() {
                return BodyError::TooLarge(limit);
            }
            if e.is::<tower_http::timeout::TimeoutError>() {
                return BodyError::Timeout;
            }
            current = e.source();
        }
        BodyError::Read(error.to_string())
    }

    fn into_route_error(self) -> RouteError {
        match self {
            BodyError::TooLarge(limit) => too_large(limit),
            BodyError::Timeout => RouteError::new(
                StatusCode::REQUEST_TIMEOUT,
                "the request body was not received in time",
            ),
            BodyError::Read(message) => {
                RouteError::bad_request(format!("failed to read the request body: {message}"))
            }
        }
    }
}

/// The body's data chunks, limited; ends after the first error.
struct Chunks {
    body: Option<Limited<Body>>,
    limit: usize,
}

impl Chunks {
    fn new(body: Body, limit: usize) -> Self {
        Chunks {
            body: Some(Limited::new(body, limit)),
            limit,
        }
    }
}

impl Stream for Chunks {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let limit = self.limit;
            let Some(body) = self.body.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    self.body = None;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if !data.is_empty() => return Poll::Ready(Some(Ok(data))),
                    // Empty data frames and trailers: keep reading.
                    _ => continue,
                },
                Poll::Ready(Some(Err(error))) => {
                    self.body = None;
                    return Poll::Ready(Some(Err(BodyError::classify(error, limit))));
                }
            }
        }
    }
}

/// The request body as a stream of chunks; see [`Request::body_stream`].
pub struct BodyStream {
    state: StreamState,
}

enum StreamState {
    Reading(Chunks),
    Failed(Option<RouteError>),
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream").finish_non_exhaustive()
    }
}

impl Stream for BodyStream {
    type Item = Result<Bytes, RouteError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match &mut self.state {
            StreamState::Reading(chunks) => chunks
                .poll_next_unpin(cx)
                .map(|item| item.map(|r| r.map_err(BodyError::into_route_error))),
            StreamState::Failed(error) => Poll::Ready(error.take().map(Err)),
        }
    }
}

/// A body error handed through multer, to be recognised on the way out.
#[derive(Debug)]
struct MultipartStreamError(BodyError);

impl fmt::Display for MultipartStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for MultipartStreamError {}

async fn read_multipart(chunks: Chunks, boundary: String) -> Result<FormData, RouteError> {
    let stream = chunks.map(|r| r.map_err(MultipartStreamError));
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut entries = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e)),
        };
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(RouteError::bad_request(
                "malformed multipart body: a part has no field name",
            ));
        };
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(|m| m.to_string());
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let entry = match file_name {
            Some(file_name) => FormEntry::File(FormFile {
                name: name.clone(),
                file_name: Some(file_name),
                content_type,
                bytes,
            }),
            None => match String::from_utf8(bytes.into()) {
                Ok(text) => FormEntry::Text(text),
                Err(_) => {
                    return Err(RouteError::bad_request(format!(
                        "form field `{name}` is not valid UTF-8"
                    ))
                    .with_detail("field", name))
                }
            },
        };
        entries.push((name, entry));
    }
    Ok(FormData { entries })
}

fn multipart_error(error: multer::Error) -> RouteError {
    if let multer::Error::StreamReadFailed(inner) = error {
        return match inner.downcast::<MultipartStreamError>() {
            Ok(body_error) => body_error.0.into_route_error(),
            Err(other) => BodyError::Read(other.to_string()).into_route_error(),
        };
    }
    RouteError::bad_request(format!("malformed multipart body: {error}"))
}

/// The parsed URL of a request (Next.js's `request.nextUrl`).
#[derive(Clone, PartialEq, Eq)]
pub struct NextUrl {
    pathname: String,
    query: Option<String>,
}

impl fmt::Debug for NextUrl {
    /// The path only: the query as written is a read that makes a response uncacheable (see
    /// [`search`](Self::search)); print [`search_params`](Self::search_params) for it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NextUrl")
            .field("pathname", &self.pathname)
            .finish_non_exhaustive()
    }
}

impl NextUrl {
    /// The path, still percent-encoded, as in the request (`/blog/a%20b`).
    pub fn pathname(&self) -> &str {
        &self.pathname
    }

    /// The query with its leading `?` (`?page=2`), or `""` when there is none or it is empty.
    /// Reading it makes the response uncacheable, as [`Request::url`] does.
    pub fn search(&self) -> String {
        match self.query.as_deref() {
            None | Some("") => String::new(),
            Some(query) => {
                record(RequestData::RawQuery);
                format!("?{query}")
            }
        }
    }

    /// The decoded query parameters (form-style: `+` is a space).
    pub fn search_params(&self) -> SearchParams {
        record(RequestData::SearchParams);
        SearchParams::parse(self.query.as_deref().unwrap_or(""))
    }
}

/// Query parameters, in order, repeated keys kept (the `URLSearchParams` of Next.js).
///
/// ```
/// use route_runtime::request::SearchParams;
///
/// let params = SearchParams::parse("query=hello&tag=a&tag=b&plus=a+b");
/// assert_eq!(params.get("query").as_deref(), Some("hello"));
/// assert_eq!(params.get_all("tag"), ["a", "b"]);
/// assert_eq!(params.get("plus").as_deref(), Some("a b"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    pairs: Vec<(String, String)>,
}

impl fmt::Debug for SearchParams {
    /// The pairs sorted by name (a name's values in order): what the cache key keeps, so printing
    /// them reads nothing more (the order of different names is a read, see [`iter`](Self::iter)).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut pairs: Vec<_> = self.pairs.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        f.debug_struct("SearchParams")
            .field("pairs", &pairs)
            .finish()
    }
}

impl SearchParams {
    /// Parses a query string (without its `?`), percent- and `+`-decoding keys and values.
    pub fn parse(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        SearchParams {
            pairs: form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        }
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// Every value of `name`, in order.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Whether `name` is present (even with an empty value).
    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// The `(name, value)` pairs, in order. In a request, reading that order (the cache key keeps
    /// only each name's own values in order) makes the response uncacheable, as
    /// [`Request::url`] does; [`get`](Self::get), [`get_all`](Self::get_all) and
    /// [`has`](Self::has) do not.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        if self.pairs.len() > 1 {
            record(RequestData::RawQuery);
        }
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

/// A parsed form body (Next.js's `FormData`); see [`Request::form_data`].
///
/// ```no_run
/// # async fn handler(request: route_runtime::request::Request) -> Result<(), route_runtime::RouteError> {
/// use route_runtime::request::FormEntry;
///
/// let form = request.form_data().await?;
/// let title = form.get_text("title").unwrap_or_default();
/// if let Some(FormEntry::File(file)) = form.get("avatar") {
///     println!("{title}: {:?}, {} bytes", file.file_name(), file.bytes().len());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormData {
    entries: Vec<(String, FormEntry)>,
}

impl FormData {
    /// The first entry named `name`.
    pub fn get(&self, name: &str) -> Option<&FormEntry> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Every entry named `name`, in order.
    pub fn get_all(&self, name: &str) -> Vec<&FormEntry> {
        self.entries
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect()
    }

    /// The first text entry named `name` (files are skipped).
    pub fn get_text(&self, name: &str) -> Option<String> {
        self.entries
            .iter()
            .filter(|(k, _)| k == name)
            .find_map(|(_, v)| v.as_text())
            .map(str::to_owned)
    }

    /// Whether an entry named `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == name)
    }

    /// The `(name, entry)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FormEntry)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One value of a [`FormData`]: text, or an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormEntry {
    /// A text field.
    Text(String),
    /// A file part of a multipart body.
    File(FormFile),
}

impl FormEntry {
    /// The text, if this is a text field.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FormEntry::Text(text) => Some(text),
            FormEntry::File(_) => None,
        }
    }

    /// The file, if this is a file part.
    pub fn as_file(&self) -> Option<&FormFile> {
        match self {
            FormEntry::File(file) => Some(file),
            FormEntry::Text(_) => None,
        }
    }
}

/// An uploaded file of a multipart form body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormFile {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Bytes,
}

impl FormFile {
    /// The form field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name the client sent, as given (never use it as a path unchecked).
    pub fn file_name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The part's `Content-Type`, as the client declared it.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The file's contents.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The file's contents, owned.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The size of the file in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http;

    fn build(
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Body,
        limit: Option<usize>,
    ) -> axum::extract::Request {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let mut req = builder.body(body).unwrap();
        if let Some(limit) = limit {
            req.extensions_mut().insert(BodyLimit(limit));
        }
        req
    }

    async fn request(
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Request {
        Request::from_request(build(method, uri, headers, body.into(), None), &())
            .await
            .unwrap()
    }

    async fn limited(headers: &[(&str, &str)], body: Body, limit: usize) -> Request {
        Request::from_request(build("POST", "/", headers, body, Some(limit)), &())
            .await
            .unwrap()
    }

    /// A body of `chunks` with no size hint (like a chunked upload).
    fn chunked(chunks: Vec<&'static [u8]>) -> Body {
        Body::from_stream(futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, Infallible>(Bytes::from_static(c))),
        ))
    }

    /// A chunked body whose stream fails after `chunks` (the client went away).
    fn broken(chunks: Vec<&'static [u8]>) -> Body {
        let items = chunks
            .into_iter()
            .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c)))
            .chain(std::iter::once(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset",
            ))));
        Body::from_stream(futures_util::stream::iter(items))
    }

    async fn body_json(error: RouteError) -> (StatusCode, serde_json::Value) {
        use axum::response::IntoResponse;
        let status = error.status();
        let response = error.into_response();
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn head_accessors() {
        let req = request(
            "POST",
            "/api/items?page=2",
            &[("x-test", "1"), ("host", "evil.example")],
            Body::empty(),
        )
        .await;
        assert_eq!(req.method(), Method::POST);
        assert_eq!(req.uri().path(), "/api/items");
        assert_eq!(req.headers()["x-test"], "1");
        assert_eq!(req.url(), "/api/items?page=2");
        assert_eq!(req.body_limit(), DEFAULT_BODY_LIMIT);
        let url = req.next_url();
        assert_eq!(url.pathname(), "/api/items");
        assert_eq!(url.search(), "?page=2");

        let req = request("GET", "/a%20b", &[], Body::empty()).await;
        assert_eq!(req.url(), "/a%20b");
        assert_eq!(req.next_url().pathname(), "/a%20b");
        assert_eq!(req.next_url().search(), "");
        assert!(req.next_url().search_params().is_empty());
    }

    /// `Debug` prints nothing the cache key leaves out: no header, no query as written, and the
    /// search params in the key's order.
    #[tokio::test]
    async fn debug_prints_only_what_the_cache_key_keeps() {
        let req = request(
            "GET",
            "/a?b=2&a=1",
            &[("cookie", "session=secret")],
            Body::empty(),
        )
        .await;
        let printed = format!("{req:?} {:?}", req.next_url());
        assert!(printed.contains("\"/a\""), "{printed}");
        assert!(
            !printed.contains("secret") && !printed.contains("b=2"),
            "{printed}"
        );
        let params = format!("{:?}", req.next_url().search_params());
        assert_eq!(
            params,
            r#"SearchParams { pairs: [("a", "1"), ("b", "2")] }"#
        );
    }

    #[tokio::test]
    async fn search_params() {
        let req = request(
            "GET",
            "/s?query=hello&tag=a&tag=b&plus=a+b&enc=%E4%B8%AD&empty=",
            &[],
            Body::empty(),
        )
        .await;
        let params = req.next_url().search_params();
        assert_eq!(params.get("query").as_deref(), Some("hello"));
        assert_eq!(params.get_all("tag"), ["a", "b"]);
        assert_eq!(params.get("plus").as_deref(), Some("a b"));
        assert_eq!(params.get("enc").as_deref(), Some("中"));
        assert!(params.has("empty"));
        assert_eq!(params.get("empty").as_deref(), Some(""));
        assert!(!params.has("missing"));
        assert_eq!(params.get("missing"), None);
        assert!(params.get_all("missing").is_empty());
        assert_eq!(params.len(), 6);
        let pairs: Vec<_> = params.iter().collect();
        assert_eq!(
            pairs,
            [
                ("query", "hello"),
                ("tag", "a"),
                ("tag", "b"),
                ("plus", "a b"),
                ("enc", "中"),
                ("empty", "")
            ]
        );
    }

    #[tokio::test]
    async fn bytes_and_text() {
        let req = request("POST", "/", &[], "hello").await;
        assert_eq!(req.bytes().await.unwrap(), "hello");
        let req = request("POST", "/", &[], chunked(vec![b"he", b"", b"llo"])).await;
        assert_eq!(req.text().await.unwrap(), "hello");
        let req = request("POST", "/", &[], Body::empty()).await;
        assert_eq!(req.text().await.unwrap(), "");
    }

    #[tokio::test]
    async fn text_invalid_utf8_is_400() {
        let req = request("POST", "/", &[], vec![0x66, 0xff, 0xfe]).await;
        let error = req.text().await.unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(error.message().unwrap().contains("UTF-8"), "{error:?}");
    }

    #[tokio::test]
    async fn content_length_over_limit_is_413_without_reading() {
        // The body would panic if polled: the 413 must come from the header alone.
        let body = Body::from_stream(futures_util::stream::poll_fn(
            |_| -> Poll<Option<Result<Bytes, Infallible>>> { panic!("body was read") },
        ));
        let req = limited(&[("content-length", "11")], body, 10).await;
        let error = req.bytes().await.unwrap_err();
        let (status, json) = body_json(error).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(json["limit"], 10);
        assert!(json["error"].as_str().unwrap().contains("10 bytes"));

        // Same through the stream reader and the raw body.
        let req = limited(&[("content-length", "11")], Body::from("01234567890"), 10).await;
        let mut stream = req.body_stream();
        let first = stream.next().await.unwrap().unwrap_err();
        assert_eq!(first.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(stream.next().await.is_none());

        let req = limited(&[("content-length", "11")], Body::from("01234567890"), 10).await;
        assert!(http_body_util::BodyExt::collect(req.into_body())
            .await
            .is_err());

        // A body whose own size is known to be over the limit, without a header.
        let req = limited(&[], Body::from("01234567890"), 10).await;
        assert_eq!(
            req.text().await.unwrap_err().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[tokio::test]
    async fn streamed_body_over_limit_is_413() {
        let req = limited(&[], chunked(vec![b"01234", b"56789", b"X"]), 10).await;
        let error = req.bytes().await.unwrap_err();
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);

        // Exactly at the limit is fine.
        let req = limited(&[], chunked(vec![b"01234", b"56789"]), 10).await;
        assert_eq!(req.bytes().await.unwrap(), "0123456789");

        // The stream yields what fits, then a 413, then ends: nothing more is read.
        let req = limited(&[], chunked(vec![b"01234", b"5678901", b"never"]), 10).await;
        let mut stream = req.body_stream();
        assert_eq!(stream.next().await.unwrap().unwrap(), "01234");
        let error = stream.next().await.unwrap().unwrap_err();
        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(stream.next().await.is_none());

        // The raw body fails too instead of being truncated.
        let req = limited(&[], chunked(vec![b"01234", b"5678901"]), 10).await;
        assert!(http_body_util::BodyExt::collect(req.into_body())
            .await
            .is_err());

        // JSON and multipart go through the same limit.
        let req = limited(
            &[("content-type", "application/json")],
            chunked(vec![b"[1,2,3,", b"4,5,6,7]"]),
            10,
        )
        .await;
        assert_eq!(
            req.json::<Vec<u32>>().await.unwrap_err().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[tokio::test]
    async fn broken_body_is_400() {
        let req = request("POST", "/", &[], broken(vec![b"abc"])).await;
        let error = req.bytes().await.unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(error.message().unwrap().contains("failed to read"));

        let req = request("POST", "/", &[], broken(vec![])).await;
        let mut stream = req.body_stream();
        assert_eq!(
            stream.next().await.unwrap().unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn body_past_the_server_deadline_is_408() {
        // A body that never ends, behind the deadline `serve` puts on every request body.
        let endless =
            Body::from_stream(futures_util::stream::pending::<Result<Bytes, Infallible>>());
        let body = Body::new(tower_http::timeout::DeadlineBody::new(
            std::time::Duration::from_millis(20),
            endless,
        ));
        let req = request("POST", "/", &[], body).await;
        let error = req.bytes().await.unwrap_err();
        assert_eq!(error.status(), StatusCode::REQUEST_TIMEOUT);
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Item {
        a: Vec<u32>,
    }

    #[tokio::test]
    async fn json_ok() {
        for ct in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/vnd.api+json",
        ] {
            let req = request("POST", "/", &[("content-type", ct)], r#"{"a":[1,2]}"#).await;
            assert_eq!(req.json::<Item>().await.unwrap(), Item { a: vec![1, 2] });
        }
    }

    #[tokio::test]
    async fn json_wrong_content_type_is_415() {
        for headers in [
            &[("content-type", "text/plain")][..],
            &[("content-type", "application/jsonx")][..],
            &[][..],
        ] {
            let req = request("POST", "/", headers, r#"{"a":[1]}"#).await;
            let (status, json) = body_json(req.json::<Item>().await.unwrap_err()).await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
            assert_eq!(json["error"], "expected `content-type: application/json`");
        }
    }

    #[tokio::test]
    async fn invalid_json_is_400_with_position() {
        let ct = [("content-type", "application/json")];
        let req = request("POST", "/", &ct, "{\n  \"a\": [1,,2]\n}").await;
        let (status, json) = body_json(req.json::<Item>().await.unwrap_err()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json["line"], 2);
        assert_eq!(json["column"], 11);
        assert!(json["error"].as_str().unwrap().starts_with("invalid JSON:"));

        // Well-formed JSON of the wrong shape: 400 too, with a different message.
        let req = request("POST", "/", &ct, r#"{"a":"x"}"#).await;
        let (status, json) = body_json(req.json::<Item>().await.unwrap_err()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json["line"], 1);
        assert!(json["error"]
            .as_str()
            .unwrap()
            .starts_with("JSON body does not match"));

        // An empty body.
        let req = request("POST", "/", &ct, "").await;
        let (status, json) = body_json(req.json::<Item>().await.unwrap_err()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(json["error"].as_str().unwrap().contains("EOF"));
    }

    #[tokio::test]
    async fn one_leading_bom_is_skipped_by_text_and_json() {
        let ct = [("content-type", "application/json")];
        let req = request("POST", "/", &ct, "\u{feff}{\"a\":[1,2]}").await;
        assert_eq!(req.json::<Item>().await.unwrap(), Item { a: vec![1, 2] });
        let req = request("POST", "/", &[], "\u{feff}h\u{e9}").await;
        assert_eq!(req.text().await.unwrap(), "h\u{e9}");
        // `bytes()` is the body as sent.
        let req = request("POST", "/", &[], "\u{feff}x").await;
        assert_eq!(req.bytes().await.unwrap(), "\u{feff}x");
        // A BOM split across chunks is still one BOM.
        let req = request(
            "POST",
            "/",
            &ct,
            chunked(vec![b"\xEF", b"\xBB\xBF[", b"1]"]),
        )
        .await;
        assert_eq!(req.json::<Vec<u32>>().await.unwrap(), [1]);

        // Positions count from after the BOM: the same as without it.
        for body in ["{\"a\": [1,,2]}", "{\n  \"a\": [1,,2]\n}"] {
            let plain = request("POST", "/", &ct, body).await;
            let (_, plain) = body_json(plain.json::<Item>().await.unwrap_err()).await;
            let bom = request("POST", "/", &ct, format!("\u{feff}{body}")).await;
            let (status, bom) = body_json(bom.json::<Item>().await.unwrap_err()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(bom, plain, "{body:?}");
        }

        // Only one: a second BOM is content (not JSON; kept in the text), as in WHATWG decode.
        let req = request("POST", "/", &ct, "\u{feff}\u{feff}[1]").await;
        let (status, json) = body_json(req.json::<Vec<u32>>().await.unwrap_err()).await;
        assert_eq!(
            (status, json["line"].clone(), json["column"].clone()),
            (StatusCode::BAD_REQUEST, 1.into(), 1.into())
        );
        let req = request("POST", "/", &[], "\u{feff}\u{feff}x").await;
        assert_eq!(req.text().await.unwrap(), "\u{feff}x");
        // A lone BOM is an empty text.
        let req = request("POST", "/", &[], "\u{feff}").await;
        assert_eq!(req.text().await.unwrap(), "");
    }

    #[tokio::test]
    async fn urlencoded_form() {
        let req = request(
            "POST",
            "/",
            &[(
                "content-type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            )],
            "name=a+b&tag=x&tag=y&e=%E4%B8%AD",
        )
        .await;
        let form = req.form_data().await.unwrap();
        assert_eq!(form.len(), 4);
        assert_eq!(form.get_text("name").as_deref(), Some("a b"));
        assert_eq!(form.get("e"), Some(&FormEntry::Text("中".into())));
        let tags: Vec<_> = form
            .get_all("tag")
            .into_iter()
            .filter_map(FormEntry::as_text)
            .collect();
        assert_eq!(tags, ["x", "y"]);
        assert!(form.has("tag") && !form.has("nope"));
        assert_eq!(form.iter().next().unwrap().0, "name");
    }

    const MULTIPART: &str = "--XyZ\r\n\
        Content-Disposition: form-data; name=\"title\"\r\n\r\n\
        Hello \u{4e2d}\r\n\
        --XyZ\r\n\
        Content-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\
        Content-Type: image/png\r\n\r\n\
        \x01\x02PNG\r\n\
        --XyZ--\r\n";

    #[tokio::test]
    async fn multipart_form() {
        let ct = [("content-type", "multipart/form-data; boundary=XyZ")];
        let req = request("POST", "/", &ct, MULTIPART).await;
        let form = req.form_data().await.unwrap();
        assert_eq!(form.len(), 2);
        assert_eq!(form.get_text("title").as_deref(), Some("Hello 中"));
        let file = form.get("avatar").and_then(FormEntry::as_file).unwrap();
        assert_eq!(file.name(), "avatar");
        assert_eq!(file.file_name(), Some("a.png"));
        assert_eq!(file.content_type(), Some("image/png"));
        assert_eq!(file.bytes().as_ref(), b"\x01\x02PNG");
        assert_eq!(form.get_text("avatar"), None);

        // Chunked, split in the middle of a boundary.
        let (a, b) = MULTIPART.as_bytes().split_at(70);
        let body = Body::from_stream(futures_util::stream::iter([
            Ok::<_, Infallible>(Bytes::copy_from_slice(a)),
            Ok(Bytes::copy_from_slice(b)),
        ]));
        let req = request("POST", "/", &ct, body).await;
        assert_eq!(req.form_data().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn multipart_limit_and_errors() {
        let ct = [("content-type", "multipart/form-data; boundary=XyZ")];
        let body = Body::from_stream(futures_util::stream::iter(
            MULTIPART
                .as_bytes()
                .chunks(16)
                .map(|c| Ok::<_, Infallible>(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        ));
        let req = limited(&ct, body, 40).await;
        assert_eq!(
            req.form_data().await.unwrap_err().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );

        // Truncated body.
        let req = request("POST", "/", &ct, &MULTIPART[..60]).await;
        assert_eq!(
            req.form_data().await.unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );

        // The client went away mid-upload.
        let req = request("POST", "/", &ct, broken(vec![b"--XyZ\r\n"])).await;
        assert_eq!(
            req.form_data().await.unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );

        // No boundary.
        let req = request(
            "POST",
            "/",
            &[("content-type", "multipart/form-data")],
            MULTIPART,
        )
        .await;
        assert_eq!(
            req.form_data().await.unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }

    #[tokio::test]
    async fn form_data_other_content_type_is_415() {
        for headers in [&[("content-type", "application/json")][..], &[][..]] {
            let req = request("POST", "/", headers, "a=1").await;
            assert_eq!(
                req.form_data().await.unwrap_err().status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            );
        }
    }

    #[tokio::test]
    async fn body_limit_comes_from_the_extension() {
        let req = limited(&[], Body::empty(), 123).await;
        assert_eq!(req.body_limit(), 123);
    }
}
