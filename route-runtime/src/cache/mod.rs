//! Incremental caching of `GET` responses, as Next.js's `revalidate` does it.
//!
//! A route whose config caches (`REVALIDATE > 0`, `Revalidate::Forever`, `ForceStatic`, or
//! `Dynamic::Error`) answers `GET`/`HEAD` from a [`Cache`]:
//! - no entry: the handler runs once however many requests wait for it (single flight) → `MISS`;
//! - a fresh entry → `HIT`;
//! - a stale entry → served at once (`STALE`) while exactly one background regeneration runs.
//!
//! Cached responses carry `cache-control: s-maxage=N, stale-while-revalidate=<one year − N>` and
//! `x-nextjs-cache: HIT | STALE | MISS` (Next.js's header name, so existing tooling reads it).
//!
//! A response is stored only when it is a pure function of (method, canonical path, params,
//! normalised query): status 200, no `Set-Cookie`, no `Cache-Control: private|no-store|no-cache`,
//! no `Vary` other than `Accept-Encoding`, a handler that did not read `headers()`, `cookies()` or
//! the body, a request without `Authorization`, and a body under the size cap. Everything else is
//! answered as it came and not stored.

mod memory;
mod store;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use tokio::sync::OnceCell;

use crate::config::{Dynamic, RouteInfo};
use crate::handler::{HandlerFn, Parts, ReadRequestData};
use crate::lock;
use crate::params::RawParams;

pub use memory::MemoryCache;
pub use store::{CacheEntry, CacheError, CacheFuture, CacheHandler, CacheKey};

/// The name of the cache status header.
pub const CACHE_STATUS_HEADER: &str = "x-nextjs-cache";

const ONE_YEAR_SECS: u64 = 31_536_000;

/// The cache of a set of routes: a [`CacheHandler`] store plus the single-flight bookkeeping.
/// Cheap to clone; clones share everything.
///
/// ```
/// use route_runtime::cache::{Cache, MemoryCache};
///
/// let cache = Cache::new(MemoryCache::new(10_000, 256 * 1024 * 1024))
///     .max_entry_bytes(4 * 1024 * 1024);
/// // routes![...].with_cache(cache.clone())
/// ```
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

type Fill = Option<Arc<CacheEntry>>;

struct Inner {
    store: Arc<dyn CacheHandler>,
    inflight: Mutex<HashMap<CacheKey, Arc<OnceCell<Fill>>>>,
    regenerating: Mutex<HashSet<CacheKey>>,
    max_entry_bytes: usize,
    store_timeout: Duration,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("max_entry_bytes", &self.inner.max_entry_bytes)
            .field("store_timeout", &self.inner.store_timeout)
            .finish_non_exhaustive()
    }
}

impl Default for Cache {
    /// A [`MemoryCache`] with its default bounds.
    fn default() -> Self {
        Cache::new(MemoryCache::default())
    }
}

impl Cache {
    /// A cache over `store`, with entries up to 8 MiB and store calls bounded to 1 s.
    pub fn new(store: impl CacheHandler) -> Self {
        OWN_CACHES.store(true, Ordering::Relaxed);
        Cache::over(store)
    }

    /// A cache over `store` (the global one is made this way: it does not count as one's own).
    fn over(store: impl CacheHandler) -> Self {
        Cache {
            inner: Arc::new(Inner {
                store: Arc::new(store),
                inflight: Mutex::default(),
                regenerating: Mutex::default(),
                max_entry_bytes: 8 * 1024 * 1024,
                store_timeout: Duration::from_secs(1),
            }),
        }
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            store: Arc::clone(&self.inner.store),
            inflight: Mutex::default(),
            regenerating: Mutex::default(),
            max_entry_bytes: self.inner.max_entry_bytes,
            store_timeout: self.inner.store_timeout,
        };
        f(&mut inner);
        OWN_CACHES.store(true, Ordering::Relaxed);
        Cache {
            inner: Arc::new(inner),
        }
    }

    /// Responses with bodies larger than this are served but not stored.
    pub fn max_entry_bytes(self, bytes: usize) -> Self {
        self.with(|inner| inner.max_entry_bytes = bytes)
    }

    /// How long one store call may take before it counts as a miss (or a failed write).
    pub fn store_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.store_timeout = timeout)
    }

    /// The process-wide cache used by routes that were not given one with
    /// [`Routes::with_cache`](crate::Routes::with_cache).
    pub fn global() -> &'static Cache {
        static GLOBAL: OnceLock<Cache> = OnceLock::new();
        GLOBAL.get_or_init(|| Cache::over(MemoryCache::default()))
    }

    /// Makes the next request for `path` (any query) regenerate.
    pub async fn revalidate_path(&self, path: &str) -> Result<(), CacheError> {
        self.bounded(self.inner.store.invalidate_path(path)).await
    }

    /// Makes the next request for every entry tagged `tag` regenerate.
    pub async fn revalidate_tag(&self, tag: &str) -> Result<(), CacheError> {
        self.bounded(self.inner.store.invalidate_tag(tag)).await
    }

    async fn bounded<T>(&self, call: CacheFuture<'_, T>) -> Result<T, CacheError> {
        // A store without I/O cannot hang: skip arming a timer on every request.
        if self.inner.store.in_process() {
            return call.await;
        }
        match tokio::time::timeout(self.inner.store_timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(CacheError::new("store call timed out")),
        }
    }

    async fn lookup(&self, key: &CacheKey) -> Option<CacheEntry> {
        match self.bounded(self.inner.store.get(key)).await {
            Ok(entry) => entry,
            Err(error) => {
                tracing::warn!(%error, "cache read failed; treating as a miss");
                None
            }
        }
    }

    /// Serves a cacheable `GET` through the cache.
    pub(crate) async fn serve<S: Clone + Send + Sync + 'static>(
        self,
        info: &'static RouteInfo,
        handler: HandlerFn<S>,
        parts: Parts,
        params: RawParams,
        state: S,
    ) -> Response {
        let key = cache_key(&parts.uri, info.config.dynamic == Dynamic::ForceStatic);
        if let Some(entry) = self.lookup(&key).await {
            if !entry.is_stale_at(SystemTime::now()) {
                return entry_response(entry, "HIT");
            }
            self.regenerate_in_background(info, handler, key, parts, params, state);
            return entry_response(entry, "STALE");
        }
        // Boxed: the fill is most of this future's size, and a hit's future then stays small
        // enough for the allocator's fast path (at 2.5 KiB it was not).
        Box::pin(self.fill(info, &handler, key, parts, params, state)).await
    }

    /// A miss: the handler renders (once for all requests waiting on the key), the cacheable
    /// response is stored.
    async fn fill<S: Clone + Send + Sync + 'static>(
        &self,
        info: &'static RouteInfo,
        handler: &HandlerFn<S>,
        key: CacheKey,
        parts: Parts,
        params: RawParams,
        state: S,
    ) -> Response {
        let lifetime = info.config.cache_lifetime().flatten();
        let cell = Arc::clone(lock(&self.inner.inflight).entry(key.clone()).or_default());
        let mut own = None;
        let fill = cell
            .get_or_init(|| {
                // The handler may run once more for this request (below): it keeps its own.
                let (parts, params, state) = (clone_parts(&parts), params.clone(), state.clone());
                let (own, key) = (&mut own, &key);
                async move {
                    let response = handler(parts, Body::empty(), state, params).await;
                    let (response, entry) =
                        self.store_if_cacheable(key, info, lifetime, response).await;
                    *own = Some(response);
                    entry
                }
            })
            .await
            .clone();
        if let Some(response) = own {
            let mut inflight = lock(&self.inner.inflight);
            if inflight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                inflight.remove(&key);
            }
            return response;
        }
        match fill {
            // Waited for another request's fill: answer from it.
            Some(entry) => entry_response(CacheEntry::clone(&entry), "HIT"),
            // That response was not cacheable (it may depend on its request): render our own.
            None => handler(parts, Body::empty(), state, params).await,
        }
    }

    fn regenerate_in_background<S: Clone + Send + Sync + 'static>(
        self,
        info: &'static RouteInfo,
        handler: HandlerFn<S>,
        key: CacheKey,
        parts: Parts,
        params: RawParams,
        state: S,
    ) {
        if !lock(&self.inner.regenerating).insert(key.clone()) {
            return; // one regeneration at a time per entry
        }
        let lifetime = info.config.cache_lifetime().flatten();
        tokio::spawn(async move {
            let response = handler(parts, Body::empty(), state, params).await;
            let status = response.status();
            let (_, entry) = self
                .store_if_cacheable(&key, info, lifetime, response)
                .await;
            if entry.is_none() {
                tracing::warn!(
                    route = info.pattern,
                    %status,
                    "background regeneration produced no cacheable response; keeping the stale entry"
                );
            }
            lock(&self.inner.regenerating).remove(&key);
        });
    }

    /// Stores `response` when it may be shared, and returns it (with cache headers when stored).
    async fn store_if_cacheable(
        &self,
        key: &CacheKey,
        info: &'static RouteInfo,
        lifetime: Option<Duration>,
        response: Response,
    ) -> (Response, Fill) {
        if !is_shareable(&response) {
            return (response, None);
        }
        let (parts, body) = response.into_parts();
        let body = match collect_bounded(body, self.inner.max_entry_bytes).await {
            Collected::Whole(bytes) => bytes,
            Collected::TooLarge(body) | Collected::Failed(body) => {
                return (Response::from_parts(parts, body), None);
            }
        };
        let entry = CacheEntry {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: body.to_vec(),
            created_at_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            revalidate_secs: lifetime.map(|d| d.as_secs()),
            tags: info.config.tags.iter().map(|t| t.to_string()).collect(),
        };
        if let Err(error) = self.bounded(self.inner.store.set(key, entry.clone())).await {
            tracing::warn!(%error, "cache write failed; the response is served uncached");
            return (Response::from_parts(parts, Body::from(body)), None);
        }
        let entry = Arc::new(entry);
        (
            entry_response(CacheEntry::clone(&entry), "MISS"),
            Some(entry),
        )
    }
}

/// Whether a response's head allows sharing it (security rule 3).
fn is_shareable(response: &Response) -> bool {
    let headers = response.headers();
    if response.status() != StatusCode::OK
        || response.extensions().get::<ReadRequestData>().is_some()
        || headers.contains_key(header::SET_COOKIE)
    {
        return false;
    }
    let private = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .any(|d| d == "private" || d == "no-store" || d == "no-cache" || d.starts_with("private="));
    let varies = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| !v.trim().eq_ignore_ascii_case("accept-encoding"));
    !private && !varies
}

enum Collected {
    Whole(Bytes),
    TooLarge(Body),
    Failed(Body),
}

/// Reads a body up to `max` bytes; past it, gives back a body that replays what was read and then
/// streams the rest, so nothing is lost.
async fn collect_bounded(body: Body, max: usize) -> Collected {
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                buf.extend_from_slice(&chunk);
                if buf.len() > max {
                    let head = futures_util::stream::once(async move { Ok(buf.freeze()) });
                    return Collected::TooLarge(Body::from_stream(head.chain(stream)));
                }
            }
            Err(error) => {
                tracing::warn!(%error, "response body failed while filling the cache; not stored");
                let head = futures_util::stream::iter([Ok(buf.freeze()), Err(error)]);
                return Collected::Failed(Body::from_stream(head));
            }
        }
    }
    Collected::Whole(buf.freeze())
}

/// A response rebuilt from an entry, with the cache headers. The entry is ours to take apart (the
/// store's copy): its body and header values move into the response without a copy.
fn entry_response(entry: CacheEntry, status: &'static str) -> Response {
    let mut response = Response::new(Body::from(entry.body));
    *response.status_mut() = StatusCode::from_u16(entry.status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    for (name, value) in entry.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_maybe_shared(Bytes::from(value)),
        ) {
            headers.append(name, value);
        }
    }
    add_cache_headers(headers, entry.revalidate_secs, status);
    response
}

fn add_cache_headers(headers: &mut HeaderMap, revalidate_secs: Option<u64>, status: &'static str) {
    headers.insert(
        // Checked when compiled, not on every hit.
        const { HeaderName::from_static(CACHE_STATUS_HEADER) },
        HeaderValue::from_static(status),
    );
    // A handler's own Cache-Control is kept (as in Next.js).
    if !headers.contains_key(header::CACHE_CONTROL) {
        if let Some(value) = cache_control(revalidate_secs) {
            headers.insert(header::CACHE_CONTROL, value);
        }
    }
}

/// `s-maxage=N, stale-while-revalidate=<one year − N>` (or `s-maxage=N` alone from a year on),
/// written on the stack without `format!`, which was a tenth of a cache hit's cost.
fn cache_control(revalidate_secs: Option<u64>) -> Option<HeaderValue> {
    // "s-maxage=" and ", stale-while-revalidate=" with two 20-digit numbers at most: 74 bytes.
    let mut buf = [0u8; 80];
    let mut len = 0;
    let mut push = |bytes: &[u8]| {
        buf[len..len + bytes.len()].copy_from_slice(bytes);
        len += bytes.len();
    };
    let mut digits = itoa::Buffer::new();
    push(b"s-maxage=");
    match revalidate_secs {
        Some(n) if n < ONE_YEAR_SECS => {
            push(digits.format(n).as_bytes());
            push(b", stale-while-revalidate=");
            push(digits.format(ONE_YEAR_SECS - n).as_bytes());
        }
        Some(n) => push(digits.format(n).as_bytes()),
        None => push(digits.format(ONE_YEAR_SECS).as_bytes()),
    }
    HeaderValue::from_bytes(&buf[..len]).ok()
}

/// The key of a request: `GET`, its canonical path and its normalised query (pairs decoded,
/// sorted, re-encoded), or no query for `ForceStatic` routes.
pub fn cache_key(uri: &Uri, ignore_query: bool) -> CacheKey {
    let query = match uri.query() {
        Some(query) if !ignore_query => {
            let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            pairs.sort();
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        }
        _ => String::new(),
    };
    CacheKey {
        method: "GET".to_owned(),
        path: uri.path().to_owned(),
        query,
    }
}

/// A copy of a request head (for single-flight fills and background regeneration).
fn clone_parts(parts: &Parts) -> Parts {
    let mut request = axum::http::Request::new(());
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request.into_parts().0
}

/// Makes the next request for `path` regenerate, in the cache of the current request's routes
/// (or the [global](Cache::global) one outside a request).
///
/// ```no_run
/// # async fn webhook() -> Result<(), route_runtime::RouteError> {
/// route_runtime::cache::revalidate_path("/api/posts").await?;
/// # Ok(()) }
/// ```
pub async fn revalidate_path(path: &str) -> Result<(), CacheError> {
    current_cache().revalidate_path(path).await
}

/// Makes the next request for every entry tagged `tag` (a route's `TAGS`) regenerate; see
/// [`revalidate_path`].
pub async fn revalidate_tag(tag: &str) -> Result<(), CacheError> {
    current_cache().revalidate_tag(tag).await
}

fn current_cache() -> Cache {
    crate::scope::current_cache().unwrap_or_else(|| Cache::global().clone())
}

/// Whether a `GET`/`HEAD` to this route goes through the cache.
pub(crate) fn applies(info: &RouteInfo, parts: &Parts) -> bool {
    info.config.cache_lifetime().is_some() && !parts.headers.contains_key(header::AUTHORIZATION)
}

/// Whether a cache other than the global one was ever made (`Cache::new`, or a variant with other
/// bounds). Until then a request can carry no cache but the global one, which is what it gets
/// without looking: a lookup in the request's extensions saved on every request.
static OWN_CACHES: AtomicBool = AtomicBool::new(false);

/// The routes' own cache, if the request carries one.
pub(crate) fn own(parts: &Parts) -> Option<Cache> {
    if !OWN_CACHES.load(Ordering::Relaxed) {
        return None;
    }
    parts.extensions.get::<Cache>().cloned()
}

/// The cache serving a request: the routes' own, or the global one.
pub(crate) fn for_request(parts: &Parts) -> Cache {
    own(parts).unwrap_or_else(|| Cache::global().clone())
}

/// Renders every cacheable route without params once, so that the first request is a `HIT`
/// (Next.js prerenders such routes at build time). Returns how many were stored.
pub async fn prerender(router: &axum::Router, paths: &[String]) -> usize {
    use tower::ServiceExt;
    let mut stored = 0;
    for path in paths {
        let Ok(request) = axum::http::Request::get(path.as_str()).body(Body::empty()) else {
            continue;
        };
        match router.clone().oneshot(request).await {
            Ok(response)
                if response
                    .headers()
                    .get(CACHE_STATUS_HEADER)
                    .is_some_and(|v| v == "MISS" || v == "HIT") =>
            {
                stored += 1
            }
            Ok(response) => tracing::warn!(
                path = path.as_str(),
                status = %response.status(),
                "prerender produced no cacheable response"
            ),
            Err(never) => match never {},
        }
    }
    stored
}

impl IntoResponse for CacheError {
    /// A store failure reaching a handler's `?` is a server error (logged, empty 500).
    fn into_response(self) -> Response {
        crate::RouteError::internal(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_values() {
        let value = |secs| cache_control(secs).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            value(Some(60)).as_deref(),
            Some("s-maxage=60, stale-while-revalidate=31535940")
        );
        assert_eq!(
            value(Some(0)).as_deref(),
            Some("s-maxage=0, stale-while-revalidate=31536000")
        );
        assert_eq!(
            value(Some(ONE_YEAR_SECS)).as_deref(),
            Some("s-maxage=31536000")
        );
        assert_eq!(
            value(Some(u64::MAX)).as_deref(),
            Some("s-maxage=18446744073709551615")
        );
        assert_eq!(value(None).as_deref(), Some("s-maxage=31536000"));
    }
}
