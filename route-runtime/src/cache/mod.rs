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
//! no `Vary` other than `Accept-Encoding` (either header with a value that is not plain ASCII
//! counts as private: not understood, not shared), a handler that did not read `headers()`, `cookies()` or
//! the body, a request without `Authorization`, and a body under the size cap. Everything else is
//! answered as it came and not stored.

mod memory;
mod store;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
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
    inflight: Inflight,
    regenerating: Mutex<HashSet<CacheKey>>,
    max_entry_bytes: usize,
    store_timeout: Duration,
    fill_timeout: Duration,
    /// Invalidations made through any `Cache` over this store (see `Cache::store_if_cacheable`).
    invalidations: Arc<Invalidations>,
}

/// The invalidations made through a store's caches, numbered. A render notes the number when it
/// begins, and is not stored if one made since could reach its entry (its path or one of its
/// tags): an invalidation of other entries, here or from another cache, leaves it be.
#[derive(Default)]
struct Invalidations {
    count: AtomicU64,
    /// The latest [`Invalidations::KEPT`], oldest first, each with its number.
    recent: Mutex<VecDeque<(u64, Invalidated)>>,
}

/// What one invalidation reached.
enum Invalidated {
    /// A path: normalised (every spelling) and as given (a store comparing `CacheKey::path`).
    Path {
        normalised: String,
        given: String,
    },
    Tag(String),
}

impl Invalidations {
    /// How many are kept to compare with: renders that began further back are not stored.
    const KEPT: usize = 64;

    /// Counts an invalidation, before the store carries it out.
    fn record(&self, what: Invalidated) {
        let mut recent = lock(&self.recent);
        let number = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        recent.push_back((number, what));
        if recent.len() > Self::KEPT {
            recent.pop_front();
        }
    }

    /// The invalidations counted so far: a render reads it when it begins.
    fn now(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// Whether an invalidation counted after `epoch` could reach `key`'s entry with `tags`.
    fn reach_since(&self, epoch: u64, key: &CacheKey, tags: &[String]) -> bool {
        if self.now() == epoch {
            return false;
        }
        let recent = lock(&self.recent);
        // Older than what is kept: it may have reached the entry.
        if recent.front().is_none_or(|(first, _)| *first > epoch + 1) {
            return true;
        }
        let mut normalised = None;
        recent
            .iter()
            .filter(|(number, _)| *number > epoch)
            .any(|(_, what)| match what {
                Invalidated::Path {
                    normalised: path,
                    given,
                } => {
                    *given == key.path
                        || *path == *normalised.get_or_insert_with(|| key.invalidation_path())
                }
                Invalidated::Tag(tag) => tags.contains(tag),
            })
    }
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("max_entry_bytes", &self.inner.max_entry_bytes)
            .field("store_timeout", &self.inner.store_timeout)
            .field("fill_timeout", &self.inner.fill_timeout)
            // Fills running or waited for now: none once every request has left (rule 7).
            .field("in_flight", &lock(&self.inner.inflight).len())
            .field("regenerating", &lock(&self.inner.regenerating).len())
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
        Cache::registered(Inner {
            store: Arc::new(store),
            inflight: Mutex::default(),
            regenerating: Mutex::default(),
            max_entry_bytes: 8 * 1024 * 1024,
            store_timeout: Duration::from_secs(1),
            fill_timeout: Duration::from_secs(10),
            invalidations: Arc::default(),
        })
    }

    /// A cache the free [`revalidate_path`] and [`revalidate_tag`] reach.
    fn registered(inner: Inner) -> Self {
        let inner = Arc::new(inner);
        let mut all = lock(&ALL_CACHES);
        all.retain(|cache| cache.strong_count() > 0);
        all.push(Arc::downgrade(&inner));
        Cache { inner }
    }

    /// Every cache of the process that is still in use, one per store (variants made with
    /// other bounds share their store).
    fn every() -> Vec<Cache> {
        let live: Vec<Arc<Inner>> = lock(&ALL_CACHES).iter().filter_map(Weak::upgrade).collect();
        let mut caches: Vec<Cache> = Vec::new();
        for inner in live {
            if !caches
                .iter()
                .any(|c| Arc::ptr_eq(&c.inner.store, &inner.store))
            {
                caches.push(Cache { inner });
            }
        }
        caches
    }

    fn with(self, f: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            store: Arc::clone(&self.inner.store),
            inflight: Mutex::default(),
            regenerating: Mutex::default(),
            max_entry_bytes: self.inner.max_entry_bytes,
            store_timeout: self.inner.store_timeout,
            fill_timeout: self.inner.fill_timeout,
            invalidations: Arc::clone(&self.inner.invalidations),
        };
        f(&mut inner);
        OWN_CACHES.store(true, Ordering::Relaxed);
        Cache::registered(inner)
    }

    /// Responses with bodies larger than this are served but not stored.
    pub fn max_entry_bytes(self, bytes: usize) -> Self {
        self.with(|inner| inner.max_entry_bytes = bytes)
    }

    /// How long one store call may take before it counts as a miss (or a failed write).
    pub fn store_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.store_timeout = timeout)
    }

    /// How long a fill waits for a response's whole body (at most the route's `MAX_DURATION`,
    /// 10 s by default). Past it, the response is sent as it comes (what was read, then the rest)
    /// and not stored: a stream that stalls never holds its request, or those waiting on its key.
    pub fn fill_timeout(self, timeout: Duration) -> Self {
        self.with(|inner| inner.fill_timeout = timeout)
    }

    /// The process-wide cache used by routes that were not given one with
    /// [`Routes::with_cache`](crate::Routes::with_cache).
    pub fn global() -> &'static Cache {
        static GLOBAL: OnceLock<Cache> = OnceLock::new();
        GLOBAL.get_or_init(|| Cache::over(MemoryCache::default()))
    }

    /// Makes the next request for `path` (any query, any spelling: `/team/%61dmin` is
    /// `/team/admin`) regenerate, in this cache; given a route's pattern (`/blog/[slug]`, route
    /// groups included or not), every entry of that route, as Next.js's
    /// `revalidatePath('/blog/[slug]', 'page')`. A query, fragment or trailing slash given with
    /// it is left out, as requests with them are keyed or redirected there: a `?` or `#` inside a
    /// segment is written `%3F`/`%23`, as in a URL. A render of the path that began before the
    /// call is not stored.
    pub async fn revalidate_path(&self, path: &str) -> Result<(), CacheError> {
        let path = resource_path(path);
        if is_pattern(path) {
            return self.revalidate_tag(&route_tag(path)).await;
        }
        let normalised = normalise_path(path);
        self.inner.invalidations.record(Invalidated::Path {
            normalised: normalised.clone(),
            given: path.to_owned(),
        });
        self.invalidate_path(&normalised, path).await
    }

    /// Asks the store to drop a path: in its `normalised` form (every spelling, for a store that
    /// indexes by [`CacheKey::invalidation_path`]) and, when that differs, as `given` (for a
    /// store that compares [`CacheKey::path`]).
    async fn invalidate_path(&self, normalised: &str, given: &str) -> Result<(), CacheError> {
        self.bounded(self.inner.store.invalidate_path(normalised))
            .await?;
        if normalised != given {
            self.bounded(self.inner.store.invalidate_path(given))
                .await?;
        }
        Ok(())
    }

    /// Makes the next request for every entry tagged `tag` regenerate. A render that began
    /// before the call is not stored.
    pub async fn revalidate_tag(&self, tag: &str) -> Result<(), CacheError> {
        self.inner
            .invalidations
            .record(Invalidated::Tag(tag.to_owned()));
        self.bounded(self.inner.store.invalidate_tag(tag)).await
    }

    /// The invalidations counted so far: a render reads it when it begins.
    fn epoch(&self) -> u64 {
        self.inner.invalidations.now()
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
        // The URI as the client sent it: under `nest`, the request's own has lost the mount's
        // prefix, and two mounts of one pattern would share (and invalidate) one entry.
        let key = cache_key(
            crate::handler::original_uri(&parts),
            info.config.dynamic == Dynamic::ForceStatic,
        );
        let head = parts.method == Method::HEAD;
        if let Some(entry) = self.lookup(&key).await {
            if !entry.is_stale_at(SystemTime::now()) {
                return entry_response(entry, "HIT");
            }
            let mut parts = parts;
            // The entry is a `GET`'s: so is its regeneration, whatever request found it stale.
            parts.method = Method::GET;
            self.regenerate_in_background(info, handler, key, parts, params, state);
            return entry_response(entry, "STALE");
        }
        if head {
            // A `GET` handler may answer a `HEAD` without its body (rule 4: never stored). It
            // answers this one, with the headers a `GET`'s fill would have; the next `GET` fills
            // the entry.
            let mut response = handler(parts, Body::empty(), state, params).await;
            if is_shareable(&response) {
                let lifetime = info.config.cache_lifetime().flatten();
                add_cache_headers(
                    response.headers_mut(),
                    lifetime.map(|d| d.as_secs()),
                    "MISS",
                );
            }
            return response;
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
        // Left on every exit, a dropped future's included (see `Flight`).
        let flight = Flight::join(&self.inner.inflight, key);
        let epoch = self.epoch();
        let mut own = None;
        let fill = flight
            .cell()
            .get_or_init(|| {
                // The handler may run once more for this request (below): it keeps its own.
                let (parts, params, state) = (clone_parts(&parts), params.clone(), state.clone());
                let (own, key) = (&mut own, &flight.key);
                async move {
                    let response = handler(parts, Body::empty(), state, params).await;
                    let (response, entry) = self
                        .store_if_cacheable(key, info, lifetime, epoch, response)
                        .await;
                    *own = Some(response);
                    entry
                }
            })
            .await
            .clone();
        // The fill is done: later requests find it in the store (or render their own).
        drop(flight);
        if let Some(response) = own {
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
        // Cleared on every exit: done, or the task dropped (a runtime shutting down).
        let regeneration = Regeneration { cache: self, key };
        let lifetime = info.config.cache_lifetime().flatten();
        let epoch = regeneration.cache.epoch();
        tokio::spawn(async move {
            let response = handler(parts, Body::empty(), state, params).await;
            let status = response.status();
            let (cache, key) = (&regeneration.cache, &regeneration.key);
            let (_, entry) = cache
                .store_if_cacheable(key, info, lifetime, epoch, response)
                .await;
            if entry.is_none() {
                tracing::warn!(
                    route = info.pattern,
                    %status,
                    "background regeneration produced no cacheable response; keeping the stale entry"
                );
            }
        });
    }

    /// Stores `response` when it may be shared, and returns it (with cache headers when stored).
    /// `epoch` is what [`Self::epoch`] read when the render began.
    async fn store_if_cacheable(
        &self,
        key: &CacheKey,
        info: &'static RouteInfo,
        lifetime: Option<Duration>,
        epoch: u64,
        response: Response,
    ) -> (Response, Fill) {
        if !is_shareable(&response) {
            return (response, None);
        }
        let (mut parts, body) = response.into_parts();
        let wait = info
            .config
            .max_duration()
            .map_or(self.inner.fill_timeout, |max| {
                max.min(self.inner.fill_timeout)
            });
        let body = match collect_bounded(body, self.inner.max_entry_bytes, wait).await {
            Collected::Whole(bytes) => bytes,
            Collected::TooLarge(body) | Collected::Failed(body) | Collected::TooSlow(body) => {
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
            tags: entry_tags(info, parts.extensions.remove::<RequestTags>()),
        };
        let invalidations = &self.inner.invalidations;
        if invalidations.reach_since(epoch, key, &entry.tags) {
            // Rendered from data an invalidation since has declared old.
            return (Response::from_parts(parts, Body::from(body)), None);
        }
        if let Err(error) = self.bounded(self.inner.store.set(key, entry.clone())).await {
            tracing::warn!(%error, "cache write failed; the response is served uncached");
            return (Response::from_parts(parts, Body::from(body)), None);
        }
        if invalidations.reach_since(epoch, key, &entry.tags) {
            // An invalidation came in during the write, and may have run before it: run it again
            // for this entry (an invalidation counts itself before it runs).
            let normalised = key.invalidation_path();
            if let Err(error) = self.invalidate_path(&normalised, &key.path).await {
                tracing::warn!(%error, "cache invalidation after a racing write failed");
            }
            return (Response::from_parts(parts, Body::from(body)), None);
        }
        let entry = Arc::new(entry);
        (
            entry_response(CacheEntry::clone(&entry), "MISS"),
            Some(entry),
        )
    }
}

/// A background regeneration's mark in `regenerating`, removed when it is dropped.
struct Regeneration {
    cache: Cache,
    key: CacheKey,
}

impl Drop for Regeneration {
    fn drop(&mut self) {
        lock(&self.cache.inner.regenerating).remove(&self.key);
    }
}

type Inflight = Mutex<HashMap<CacheKey, Arc<OnceCell<Fill>>>>;

/// One request's hold on the in-flight fill of a key (security rule 7: the map is bounded by the
/// fills actually running or waited for).
///
/// The rule: every holder clones the cell out of the map under the map's lock ([`Flight::join`])
/// and gives its clone back under the lock when it leaves, on every exit (done, an early return,
/// its future dropped because the client went away, a panic). Under the lock the cell's strong
/// count is therefore exact, and the leaving holder removes the entry when
/// - the cell is initialised: the fill is done, and later requests find the store; or
/// - nobody else holds it (map + this holder = 2): the fill was abandoned and nobody waits for it.
///
/// While another holder still waits, the entry stays: tokio's `OnceCell` hands an abandoned
/// initialisation to one of its waiters, so they (and newcomers) still share a single fill.
struct Flight<'a> {
    inflight: &'a Inflight,
    key: CacheKey,
    /// `Some` until dropped (given back under the lock).
    cell: Option<Arc<OnceCell<Fill>>>,
}

impl<'a> Flight<'a> {
    fn join(inflight: &'a Inflight, key: CacheKey) -> Self {
        let cell = Arc::clone(lock(inflight).entry(key.clone()).or_default());
        Flight {
            inflight,
            key,
            cell: Some(cell),
        }
    }

    fn cell(&self) -> &OnceCell<Fill> {
        self.cell
            .as_ref()
            .expect("a flight's cell lives until it is dropped")
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut inflight = lock(self.inflight);
        let Some(cell) = self.cell.take() else {
            return;
        };
        // Only our own cell: after a removal, another fill of the key may have begun.
        let ours = inflight
            .get(&self.key)
            .is_some_and(|c| Arc::ptr_eq(c, &cell));
        if ours && (cell.initialized() || Arc::strong_count(&cell) == 2) {
            inflight.remove(&self.key);
        }
        drop(cell); // under the lock, so that the next holder to leave counts right
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
    // Directives by name: `private`, `private="set-cookie"`, `no-cache="x"` all count.
    let private = any_list_element(headers, header::CACHE_CONTROL, |directive| {
        let name = directive.split(|&b| b == b'=').next().unwrap_or_default();
        let name = name.trim_ascii();
        [&b"private"[..], b"no-store", b"no-cache"]
            .iter()
            .any(|d| name.eq_ignore_ascii_case(d))
    });
    let varies = any_list_element(headers, header::VARY, |field| {
        !field.eq_ignore_ascii_case(b"accept-encoding")
    });
    !private && !varies
}

/// Whether an element of the comma-separated lists in the `name` headers satisfies `test`, read
/// as bytes. Fails closed: a value that is not visible ASCII (obs-text such as UTF-8 `café`) is
/// not understood, so it counts as satisfying `test` — the response is not shared. (Skipping such
/// values, as `to_str().ok()` did, let `private, x="café"` through.) Elements are split at every
/// comma, quoted or not: a directive is never missed, at worst a quoted comma adds a false one.
fn any_list_element(headers: &HeaderMap, name: HeaderName, test: impl Fn(&[u8]) -> bool) -> bool {
    headers.get_all(name).iter().any(|value| {
        let bytes = value.as_bytes();
        !bytes
            .iter()
            .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
            || bytes
                .split(|&b| b == b',')
                .map(<[u8]>::trim_ascii)
                .any(&test)
    })
}

enum Collected {
    Whole(Bytes),
    TooLarge(Body),
    Failed(Body),
    TooSlow(Body),
}

/// Reads a body up to `max` bytes and for at most `wait`; past either, gives back a body that
/// replays what was read and then streams the rest, so nothing is lost.
async fn collect_bounded(body: Body, max: usize, wait: Duration) -> Collected {
    let deadline = tokio::time::Instant::now() + wait;
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::new();
    loop {
        let Ok(next) = tokio::time::timeout_at(deadline, stream.next()).await else {
            tracing::warn!(
                waited_ms = wait.as_millis() as u64,
                "response body not complete in time while filling the cache; not stored"
            );
            let head = futures_util::stream::once(async move { Ok(buf.freeze()) });
            return Collected::TooSlow(Body::from_stream(head.chain(stream)));
        };
        let Some(chunk) = next else { break };
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

/// The key of a request: `GET`, its canonical path and its normalised query, or no query for
/// `ForceStatic` routes. The query is decoded to bytes (form-style, as `search_params()` reads
/// it), its pairs sorted by name (a repeated name's values keep their order) and re-encoded
/// canonically: equivalent spellings share a key (`+` and `%20`, `%41` and `A`), nothing else
/// does.
pub fn cache_key(uri: &Uri, ignore_query: bool) -> CacheKey {
    let query = match uri.query() {
        Some(query) if !ignore_query => normalise_query(query),
        _ => String::new(),
    };
    CacheKey {
        method: "GET".to_owned(),
        path: uri.path().to_owned(),
        query,
    }
}

/// Bytes written as themselves in a normalised query: RFC 3986's unreserved set.
const QUERY_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A query as the cache keys it (security rule 10: exact, an injective function of what a
/// handler's `search_params()` can tell apart).
///
/// The query is read as `application/x-www-form-urlencoded`, as [`SearchParams`] reads it: pairs
/// split at `&` (empty ones skipped), name and value at the first `=`, `+` is a space, then
/// percent-decoded — **to bytes**, never through lossy UTF-8 (`%FF` and `%FE` were both U+FFFD,
/// so two queries shared one key). The pairs are then sorted by name, stably: the order of
/// different names is not part of the key (`b=2&a=1` is `a=1&b=2`), the order of a repeated name's
/// values is (`a=1&a=2` answers `get("a")` with `1`, `a=2&a=1` with `2`). Each name and value is
/// re-encoded canonically: unreserved bytes as themselves, every other byte (`=`, `&`, `+`, `%`,
/// space, non-ASCII) as `%XX`, upper-case; joined as `name=value&…`. So equivalent spellings share
/// a key (`+` and `%20`, `%41` and `A`, `a` and `a=`) and nothing else does: the result decodes
/// back to exactly the sorted pairs.
///
/// [`SearchParams`]: crate::request::SearchParams
fn normalise_query(query: &str) -> String {
    let decode = |raw: &[u8]| -> Vec<u8> {
        let plus_as_space: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_decode(&plus_as_space).collect()
    };
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .as_bytes()
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |&b| b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (decode(name), decode(value))
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0)); // stable: a name's values keep their order
    let mut normalised = String::with_capacity(query.len());
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            normalised.push('&');
        }
        normalised.extend(percent_encode(name, QUERY_KEEP));
        normalised.push('=');
        normalised.extend(percent_encode(value, QUERY_KEEP));
    }
    normalised
}

/// A path as invalidation reads it: each segment percent-decoded to bytes and re-encoded
/// canonically (unreserved bytes as themselves, every other byte as upper-case `%XX`). Injective
/// on the decoded segments, which are what a route's params are: `%2F` stays inside its segment.
pub(crate) fn normalise_path(path: &str) -> String {
    let mut normalised = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            normalised.push('/');
        }
        let decoded: Vec<u8> = percent_decode(segment.as_bytes()).collect();
        normalised.extend(percent_encode(&decoded, QUERY_KEEP));
    }
    normalised
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

/// The tags a handler gave its response with [`tag`], carried to the fill on the response.
#[derive(Clone)]
pub(crate) struct RequestTags(pub(crate) Vec<String>);

/// Tags the response of the current request, as Next.js's `cacheTag('post-1')` (or `fetch(…,
/// { next: { tags } })`): its cache entry is reached by [`revalidate_tag`] with any of them,
/// besides the route's `TAGS`. For a route whose entries are of one piece of data each
/// (`/posts/[slug]` tagged `post:<slug>`), so that a write revalidates just that one.
///
/// Outside a request (a spawned task without [`in_request_scope`](crate::in_request_scope)) it
/// does nothing but return the error. A response that is not cached ignores its tags.
///
/// ```no_run
/// # #[route_runtime::route("/posts/[slug]")]
/// # mod post {
/// use route_runtime::{cache, RouteContext, RouteError};
///
/// pub const REVALIDATE: u64 = 3600;
///
/// pub async fn GET(ctx: RouteContext<Params>) -> Result<String, RouteError> {
///     cache::tag(format!("post:{}", ctx.params.slug))?;
///     Ok(format!("post {}", ctx.params.slug))
/// }
/// # }
/// // Elsewhere, after the post changed:
/// # async fn edited() -> Result<(), route_runtime::RouteError> {
/// route_runtime::cache::revalidate_tag("post:hello").await?;
/// # Ok(()) }
/// ```
pub fn tag(tag: impl Into<String>) -> Result<(), crate::OutsideRequest> {
    crate::scope::add_tag(tag.into())
}

/// An entry's tags: its route's `TAGS`, those its handler gave with [`tag`], and for a route
/// with params the route's own tag (its
/// pattern, with and without route groups), which `revalidate_path("/blog/[slug]")` reaches.
fn entry_tags(info: &RouteInfo, request: Option<RequestTags>) -> Vec<String> {
    let mut tags: Vec<String> = info.config.tags.iter().map(|t| t.to_string()).collect();
    if let Some(RequestTags(request)) = request {
        tags.extend(
            request
                .into_iter()
                .filter(|t| !info.config.tags.contains(&t.as_str())),
        );
    }
    if info.segments.iter().any(|s| s.param_name().is_some()) {
        tags.push(route_tag(info.pattern));
        let without_groups: String = info
            .pattern
            .split('/')
            .filter(|s| !(s.starts_with('(') && s.ends_with(')')))
            .collect::<Vec<_>>()
            .join("/");
        if without_groups != info.pattern {
            tags.push(route_tag(&without_groups));
        }
    }
    tags
}

/// The tag every entry of a dynamic route carries (Next.js's implicit tags use the same prefix).
fn route_tag(pattern: &str) -> String {
    format!("_N_T_{pattern}")
}

/// Whether `revalidate_path` was given a route's pattern (`/blog/[slug]`, as Next.js's
/// `revalidatePath('/blog/[slug]', 'page')`) rather than a path: a segment in brackets.
fn is_pattern(path: &str) -> bool {
    path.split('/')
        .any(|s| s.len() > 2 && s.starts_with('[') && s.ends_with(']'))
}

/// The path of a resource as `revalidate_path` takes it: without a query or fragment, and
/// without a trailing slash (`serve` redirects `/x/` to `/x`).
fn resource_path(path: &str) -> &str {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    match path.trim_end_matches('/') {
        "" if path.starts_with('/') => "/",
        trimmed => trimmed,
    }
}

/// Every cache made in this process, for the free `revalidate_*` functions: Next.js has one
/// cache, and a revalidation reaches it from anywhere (a handler of other routes, a spawned task,
/// a webhook consumer). Weak: a cache no router uses any more is not kept alive for this.
static ALL_CACHES: Mutex<Vec<Weak<Inner>>> = Mutex::new(Vec::new());

/// Makes the next request for `path` regenerate, in every cache of the process: the
/// [global](Cache::global) one and each made with [`Cache::new`], from a handler or from
/// anywhere else ([`Cache::revalidate_path`] reaches one cache). A query, fragment or trailing
/// slash given with the path is left out (a `?` or `#` inside a segment is written `%3F`/`%23`);
/// a route's pattern (`/blog/[slug]`) reaches every entry of that route.
///
/// ```no_run
/// # async fn webhook() -> Result<(), route_runtime::RouteError> {
/// route_runtime::cache::revalidate_path("/api/posts").await?;
/// # Ok(()) }
/// ```
pub async fn revalidate_path(path: &str) -> Result<(), CacheError> {
    in_every_cache(Revalidation::Path(path)).await
}

/// Makes the next request for every entry tagged `tag` (a route's `TAGS`) regenerate, in every
/// cache of the process; see [`revalidate_path`].
pub async fn revalidate_tag(tag: &str) -> Result<(), CacheError> {
    in_every_cache(Revalidation::Tag(tag)).await
}

/// What a free `revalidate_*` function was asked for.
#[derive(Clone, Copy)]
enum Revalidation<'a> {
    Path(&'a str),
    Tag(&'a str),
}

/// Carries out `revalidation` in every cache of the process, in each one even after another
/// failed; the first error is the answer. (An enum rather than a closure: the future of a
/// handler calling this must be `Send`, which rustc cannot show through an async closure.)
async fn in_every_cache(revalidation: Revalidation<'_>) -> Result<(), CacheError> {
    let mut result = Ok(());
    for cache in Cache::every() {
        let outcome = match revalidation {
            Revalidation::Path(path) => cache.revalidate_path(path).await,
            Revalidation::Tag(tag) => cache.revalidate_tag(tag).await,
        };
        result = result.and(outcome);
    }
    result
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
    use crate::config::{Revalidate, RouteConfig};
    use std::sync::atomic::AtomicUsize;
    use tokio::sync::{mpsc, watch};

    static INFO: RouteInfo = RouteInfo {
        pattern: "/t",
        segments: &[],
        methods: &[],
        config: RouteConfig {
            revalidate: Revalidate::Seconds(60),
            ..RouteConfig::DEFAULT
        },
    };

    /// What the test handler shares with its test: how often it ran, a signal when a run starts
    /// (its number), and a gate it waits on before answering `render N`.
    struct Control {
        runs: AtomicUsize,
        started: mpsc::UnboundedSender<usize>,
        gate: watch::Receiver<bool>,
    }

    type State = Arc<Control>;

    struct Harness {
        cache: Cache,
        state: State,
        started: mpsc::UnboundedReceiver<usize>,
        gate: watch::Sender<bool>,
    }

    fn harness() -> Harness {
        let (started_tx, started) = mpsc::unbounded_channel();
        let (gate, gate_rx) = watch::channel(false);
        Harness {
            cache: Cache::new(MemoryCache::default()),
            state: Arc::new(Control {
                runs: AtomicUsize::new(0),
                started: started_tx,
                gate: gate_rx,
            }),
            started,
            gate,
        }
    }

    fn handler() -> HandlerFn<State> {
        Arc::new(|_parts, _body, state: State, _params| {
            Box::pin(async move {
                let n = state.runs.fetch_add(1, Ordering::SeqCst) + 1;
                let _ = state.started.send(n);
                let mut gate = state.gate.clone();
                let _ = gate.wait_for(|open| *open).await;
                Response::new(Body::from(format!("render {n}")))
            })
        })
    }

    fn parts(uri: &str) -> Parts {
        axum::http::Request::get(uri)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    impl Harness {
        /// A request for `uri` through the cache, as a task.
        fn request(&self, uri: &str) -> tokio::task::JoinHandle<Response> {
            let cache = self.cache.clone();
            let (parts, state) = (parts(uri), Arc::clone(&self.state));
            tokio::spawn(cache.serve(&INFO, handler(), parts, RawParams::default(), state))
        }

        async fn next_start(&mut self) -> usize {
            tokio::time::timeout(Duration::from_secs(5), self.started.recv())
                .await
                .expect("a handler run starts")
                .expect("the handler's sender lives")
        }

        fn inflight(&self) -> usize {
            lock(&self.cache.inner.inflight).len()
        }

        /// How many requests hold the in-flight cell of `uri` (0 when there is none).
        fn holders(&self, uri: &str) -> usize {
            let key = cache_key(&uri.parse().unwrap(), false);
            lock(&self.cache.inner.inflight)
                .get(&key)
                .map_or(0, |cell| Arc::strong_count(cell) - 1)
        }

        async fn wait_for_holders(&self, uri: &str, n: usize) {
            for _ in 0..500 {
                if self.holders(uri) == n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            panic!("{uri}: {} holders, not {n}", self.holders(uri));
        }
    }

    /// Aborts a request task (its future is dropped, as hyper drops a request's future when the
    /// client goes away) and waits until it is gone.
    async fn abort(task: tokio::task::JoinHandle<Response>) {
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    }

    async fn answer(task: tokio::task::JoinHandle<Response>) -> (String, String) {
        let response = task.await.unwrap();
        let status = response.headers()[CACHE_STATUS_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    /// Rule 7: a fill whose request is dropped mid-way (the client went away) leaves no entry in
    /// the in-flight map. Before the fix, each such request left one for good (~20 kB each with
    /// a long query; the reviewer's probe grew 58 MB in 3000 requests).
    #[tokio::test]
    async fn a_dropped_fill_leaves_no_inflight_entry() {
        let mut h = harness();
        for i in 0..50 {
            let task = h.request(&format!("/t?k={i}"));
            h.next_start().await;
            assert_eq!(h.inflight(), 1);
            abort(task).await;
            assert_eq!(h.inflight(), 0, "request {i} left its in-flight entry");
        }
        assert_eq!(h.state.runs.load(Ordering::SeqCst), 50);
        // Nothing was stored either: the next request renders.
        h.gate.send_replace(true);
        let (status, body) = answer(h.request("/t?k=0")).await;
        assert_eq!((status.as_str(), body.as_str()), ("MISS", "render 51"));
        assert_eq!(h.inflight(), 0);
    }

    /// Single flight survives the fix: when the request running the fill is dropped, one that
    /// waited on it takes the fill over (tokio's `OnceCell`), newcomers wait on that one, and the
    /// handler runs once per attempt, never twice at once.
    #[tokio::test]
    async fn a_waiter_takes_over_the_fill_of_a_dropped_request() {
        let mut h = harness();
        let first = h.request("/t?q=1");
        assert_eq!(h.next_start().await, 1);
        let second = h.request("/t?q=1");
        h.wait_for_holders("/t?q=1", 2).await;
        abort(first).await;
        // The waiter runs the handler itself; the entry stays for it.
        assert_eq!(h.next_start().await, 2);
        assert_eq!(h.holders("/t?q=1"), 1);
        let third = h.request("/t?q=1");
        h.wait_for_holders("/t?q=1", 2).await;
        h.gate.send_replace(true);
        assert_eq!(answer(second).await, ("MISS".into(), "render 2".into()));
        assert_eq!(answer(third).await, ("HIT".into(), "render 2".into()));
        assert_eq!(h.state.runs.load(Ordering::SeqCst), 2);
        assert_eq!(h.inflight(), 0);
        assert_eq!(answer(h.request("/t?q=1")).await.0, "HIT");
    }

    /// A waiter that leaves does not take the entry from the fill still running; when every
    /// holder leaves before the fill is done, the entry goes with the last one.
    #[tokio::test]
    async fn waiters_leaving_keep_a_running_fill_and_the_last_one_out_cleans_up() {
        let mut h = harness();
        let filler = h.request("/t?w=1");
        h.next_start().await;
        let waiter = h.request("/t?w=1");
        h.wait_for_holders("/t?w=1", 2).await;
        abort(waiter).await;
        assert_eq!(h.holders("/t?w=1"), 1);
        // Both leave, the filler first: the waiter then holds an abandoned fill, and takes it
        // over; leaving too, it removes the entry.
        let waiter = h.request("/t?w=1");
        h.wait_for_holders("/t?w=1", 2).await;
        abort(filler).await;
        h.next_start().await;
        abort(waiter).await;
        assert_eq!(h.inflight(), 0);
        // Two waiters dropped together with the filler (no handover between them).
        let tasks: Vec<_> = (0..3).map(|_| h.request("/t?w=2")).collect();
        h.next_start().await;
        h.wait_for_holders("/t?w=2", 3).await;
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
        assert_eq!(h.inflight(), 0);
        assert_eq!(h.holders("/t?w=2"), 0);
    }

    /// A response that may not be shared: the waiters render their own, and the entry goes.
    #[tokio::test]
    async fn an_unshareable_fill_leaves_no_inflight_entry() {
        let cache = Cache::new(MemoryCache::default());
        let handler: HandlerFn<()> = Arc::new(|_, _, (), _| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                ([(header::CACHE_CONTROL, "private")], "mine").into_response()
            })
        });
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let fut = cache.clone().serve(
                    &INFO,
                    Arc::clone(&handler),
                    parts("/t?u=1"),
                    RawParams::default(),
                    (),
                );
                tokio::spawn(fut)
            })
            .collect();
        for task in tasks {
            let response = task.await.unwrap();
            assert!(response.headers().get(CACHE_STATUS_HEADER).is_none());
        }
        assert_eq!(lock(&cache.inner.inflight).len(), 0);
    }

    /// A background regeneration whose task is dropped (its runtime shut down) gives its key
    /// back: the entry can regenerate again.
    #[test]
    fn a_dropped_regeneration_is_forgotten() {
        let mut h = harness();
        let key = cache_key(&"/t".parse().unwrap(), false);
        let stale = CacheEntry {
            status: 200,
            headers: vec![],
            body: b"old".to_vec(),
            created_at_ms: 0,
            revalidate_secs: Some(1),
            tags: vec![],
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            h.cache.inner.store.set(&key, stale).await.unwrap();
            assert_eq!(
                answer(h.request("/t")).await,
                ("STALE".into(), "old".into())
            );
            h.next_start().await; // the regeneration waits at the gate
            assert_eq!(lock(&h.cache.inner.regenerating).len(), 1);
        });
        drop(runtime);
        assert_eq!(lock(&h.cache.inner.regenerating).len(), 0);
        assert!(format!("{:?}", h.cache).contains("in_flight: 0, regenerating: 0"));
    }

    fn shareable(headers: &[(&str, &[u8])]) -> bool {
        let mut response = Response::new(Body::empty());
        for (name, value) in headers {
            response.headers_mut().append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        is_shareable(&response)
    }

    /// Rule 3 fails closed: a `Cache-Control` or `Vary` value that is not visible ASCII is not
    /// understood, so the response is not shared (it was skipped before: `private` with a UTF-8
    /// parameter beside it was stored and served to everyone).
    #[test]
    fn shareability_reads_header_bytes_and_fails_closed() {
        assert!(shareable(&[]));
        assert!(shareable(&[("cache-control", b"public, max-age=60")]));
        assert!(shareable(&[("vary", b"Accept-Encoding")]));
        assert!(shareable(&[("vary", b" accept-encoding ,ACCEPT-ENCODING")]));
        for value in [
            &b"private"[..],
            b"PRIVATE",
            b"public, no-store",
            b"no-cache",
            b"max-age=0,private=\"set-cookie\"",
            b"no-cache=\"Set-Cookie\"",
            b"\tno-store\t",
            // The reviewer's value, and non-ASCII without any private directive.
            b"private, no-store, x=\"caf\xc3\xa9\"",
            b"x=\"caf\xc3\xa9\"",
            b"public, max-age=60, \xff",
        ] {
            assert!(
                !shareable(&[("cache-control", value)]),
                "cache-control: {}",
                value.escape_ascii()
            );
        }
        // A second Cache-Control line counts too.
        assert!(!shareable(&[
            ("cache-control", b"public"),
            ("cache-control", b"max-age=1, private")
        ]));
        for value in [
            &b"Cookie"[..],
            b"*",
            b"accept-encoding, cookie",
            b"accept-encoding\xc3\xa9",
            b"x-caf\xc3\xa9",
        ] {
            assert!(
                !shareable(&[("vary", value)]),
                "vary: {}",
                value.escape_ascii()
            );
        }
    }

    fn key(uri: &str) -> String {
        cache_key(&uri.parse().unwrap(), false).query
    }

    /// Rule 10: the normalised query is exact. Before the fix it went through lossy UTF-8
    /// (`%FF` and `%FE` were both U+FFFD) and sorted a repeated name's values.
    #[test]
    fn query_keys_tell_apart_what_handlers_can() {
        for (a, b) in [
            ("/t?q=%FF", "/t?q=%FE"),
            ("/t?q=%FF", "/t?q=%EF%BF%BD"), // invalid UTF-8 vs the replacement character
            ("/t?q=%2B", "/t?q=+"),
            ("/t?a=1&a=2", "/t?a=2&a=1"),
            ("/t?a=b%3Dc", "/t?a%3Db=c"),
            ("/t?a=b%26c=d", "/t?a=b&c=d"),
            ("/t?q=%25", "/t?q=%2525"),
            ("/t?q=%zz", "/t?q=%25zz%25"),
            ("/t?q=a", "/t?q=A"),
            ("/t?q=", "/t?q=%00"),
            ("/t?q", "/t?q&q"),
            ("/t", "/t?="),
        ] {
            assert_ne!(key(a), key(b), "{a} and {b} share a key");
        }
        for (a, b) in [
            ("/t?b=2&a=1", "/t?a=1&b=2"),
            ("/t?a=1&b=2&a=3", "/t?b=2&a=1&a=3"),
            ("/t?q=a+b", "/t?q=a%20b"),
            ("/t?q=%41", "/t?q=A"),
            ("/t?q=%c3%a9", "/t?q=%C3%A9"),
            ("/t?q", "/t?q="),
            ("/t?&a=1&&", "/t?a=1"),
            ("/t?", "/t"),
            ("/t?q=%zz", "/t?q=%25zz"), // bad escapes are literal, as SearchParams reads them
        ] {
            assert_eq!(key(a), key(b), "{a} and {b} should share a key");
        }
        assert_eq!(key("/t?b=x+y&a=%ff&a=~*"), "a=%FF&a=~%2A&b=x%20y");
        assert_eq!(key("/t?q=%FF"), "q=%FF");
        // ForceStatic: no query at all.
        assert_eq!(cache_key(&"/t?q=1".parse().unwrap(), true).query, "");
    }

    /// The pairs a normalised query stands for (its inverse).
    fn decode_normalised(query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        if query.is_empty() {
            return vec![];
        }
        query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').expect("every pair has its `=`");
                for part in [name, value] {
                    assert!(part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
                }
                let decode = |s: &str| percent_decode(s.as_bytes()).collect::<Vec<u8>>();
                (decode(name), decode(value))
            })
            .collect()
    }

    proptest::proptest! {
        /// However the pairs are spelled (each byte raw where it may be, `%xx` or `%XX`, spaces
        /// as `+` or `%20`), the key decodes back to exactly the pairs, sorted by name with a
        /// name's values in order: so two queries share a key only when they hold the same pairs.
        #[test]
        fn the_normalised_query_is_injective(
            pairs in proptest::collection::vec(
                (proptest::collection::vec(proptest::sample::select(b"ab=&+% \xff\xfe~*".to_vec()), 0..4),
                 proptest::collection::vec(proptest::sample::select(b"ab=&+% \xff\xfe~*".to_vec()), 0..4)),
                0..5,
            ),
            spelling in proptest::collection::vec(0u8..3, 64),
        ) {
            let mut choice = spelling.iter().cycle();
            let mut spell = |bytes: &[u8]| -> String {
                bytes
                    .iter()
                    .map(|&b| match (b, choice.next().unwrap()) {
                        (b' ', 0) => "+".to_owned(),
                        (b'a' | b'b' | b'~' | b'*', 0) => (b as char).to_string(),
                        (_, 1) => format!("%{b:02x}"),
                        _ => format!("%{b:02X}"),
                    })
                    .collect()
            };
            let query: Vec<String> = pairs
                .iter()
                .map(|(n, v)| format!("{}={}", spell(n), spell(v)))
                .collect();
            let uri = format!("/t?{}", query.join("&"));
            let mut expected = pairs.clone();
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            proptest::prop_assert_eq!(decode_normalised(&key(&uri)), expected);
        }
    }

    /// A render is refused storage only by an invalidation that could reach its entry: its path
    /// in any spelling, as given, or one of its tags; one further back than what is kept may
    /// have, so it refuses too.
    #[test]
    fn only_invalidations_that_reach_an_entry_refuse_its_render() {
        let invalidations = Invalidations::default();
        let key = cache_key(&"/team/%61dmin?x=1".parse().unwrap(), false);
        let tags = ["teams".to_owned()];
        let reach = |epoch| invalidations.reach_since(epoch, &key, &tags);
        let path = |given: &str| Invalidated::Path {
            normalised: normalise_path(given),
            given: given.to_owned(),
        };

        let epoch = invalidations.now();
        assert!(!reach(epoch));
        invalidations.record(path("/other"));
        invalidations.record(Invalidated::Tag("posts".into()));
        assert!(!reach(epoch), "other entries' invalidations");
        invalidations.record(path("/team/admin"));
        assert!(reach(epoch), "its path, another spelling");

        let epoch = invalidations.now();
        invalidations.record(Invalidated::Tag("teams".into()));
        assert!(reach(epoch), "its tag");

        let epoch = invalidations.now();
        invalidations.record(path("/team/%61dmin"));
        assert!(reach(epoch), "its path as given");

        let epoch = invalidations.now();
        for _ in 0..Invalidations::KEPT {
            invalidations.record(path("/other"));
        }
        assert!(!reach(epoch), "all kept, none reaches");
        invalidations.record(path("/other"));
        assert!(reach(epoch), "one no longer kept may have");
    }

    #[test]
    fn revalidate_path_takes_the_resource_path() {
        for (given, path) in [
            ("/a", "/a"),
            ("/a/", "/a"),
            ("/a//", "/a"),
            ("/a?q=1", "/a"),
            ("/a/?q=1#top", "/a"),
            ("/a#top", "/a"),
            ("/", "/"),
            ("//", "/"),
            ("/?q", "/"),
            ("?q", ""),
            ("", ""),
            // A `?` or `#` inside a segment is written encoded, as in a URL.
            ("/a%3Fb", "/a%3Fb"),
            ("/a?b", "/a"),
        ] {
            assert_eq!(resource_path(given), path, "{given}");
        }
    }

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
