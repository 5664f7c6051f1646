//! The pluggable cache store: [`CacheHandler`] and what it stores.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A boxed future, so that [`CacheHandler`] stays object-safe.
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, CacheError>> + Send + 'a>>;

/// A cache store failed. The runtime treats a failed read as a miss and a failed write as "not
/// cached": a failing store never turns a request into an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheError {
    message: String,
}

impl CacheError {
    /// A store error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        CacheError {
            message: message.into(),
        }
    }
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cache store error: {}", self.message)
    }
}

impl std::error::Error for CacheError {}

/// The key of a cached response: method, canonical path and normalised query.
///
/// Rendered as `METHOD\npath\nquery`: a raw request path or query can hold no newline, so no two
/// different requests share a key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CacheKey {
    /// `GET` (a `HEAD` is served from the `GET` entry).
    pub method: String,
    /// The canonical, still percent-encoded path.
    pub path: String,
    /// The query's pairs, decoded to bytes, sorted by name (a name's values kept in order) and
    /// re-encoded canonically (`name=value&…`, every byte outside `A-Z a-z 0-9 - . _ ~` as `%XX`):
    /// distinct queries never share it. Empty for none.
    pub query: String,
}

impl CacheKey {
    /// The key as one string, unambiguous (see the type's docs).
    pub fn as_string(&self) -> String {
        format!("{}\n{}\n{}", self.method, self.path, self.query)
    }

    /// The path under which [`CacheHandler::invalidate_path`] finds this key: every spelling of
    /// one path has the same (`/team/%61dmin` and `/team/admin` are `/team/admin`). Keys stay
    /// exact (a handler can read the path as it was spelled); invalidation must reach them all.
    ///
    /// ```
    /// use route_runtime::cache::CacheKey;
    ///
    /// let key = |path: &str| CacheKey { method: "GET".into(), path: path.into(), query: String::new() };
    /// assert_eq!(key("/team/%61dmin").invalidation_path(), "/team/admin");
    /// assert_eq!(key("/a%2fb/c d").invalidation_path(), "/a%2Fb/c%20d");
    /// ```
    pub fn invalidation_path(&self) -> String {
        super::normalise_path(&self.path)
    }
}

/// A stored response. Serialisable, so that a store shared by several server instances (Redis,
/// a database) can hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The response status (always 200 today: only successes are stored).
    pub status: u16,
    /// The response headers, in order (name, value bytes).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The whole body.
    pub body: Vec<u8>,
    /// When the entry was produced, in milliseconds since the Unix epoch.
    pub created_at_ms: u64,
    /// How long it stays fresh, in seconds; `None` for forever.
    pub revalidate_secs: Option<u64>,
    /// The route's cache tags, for [`revalidate_tag`](crate::cache::revalidate_tag).
    pub tags: Vec<String>,
}

impl CacheEntry {
    /// The entry's size for the store's byte bound: body plus headers.
    pub fn size(&self) -> usize {
        self.body.len()
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len())
                .sum::<usize>()
    }

    /// Whether the entry is past its revalidation window at `now`.
    pub fn is_stale_at(&self, now: SystemTime) -> bool {
        let Some(secs) = self.revalidate_secs else {
            return false;
        };
        let created = UNIX_EPOCH + Duration::from_millis(self.created_at_ms);
        now.duration_since(created)
            .map(|age| age >= Duration::from_secs(secs))
            .unwrap_or(false)
    }
}

/// Where cached responses live. Implement it to share a cache between server instances; the
/// default is the bounded in-memory [`MemoryCache`](crate::cache::MemoryCache).
///
/// Every method may fail; the runtime degrades to "no cache", never to "no service". Invalidation
/// errors are returned to the caller of [`revalidate_path`](crate::cache::revalidate_path) /
/// [`revalidate_tag`](crate::cache::revalidate_tag), never lost silently.
pub trait CacheHandler: Send + Sync + 'static {
    /// The entry at `key`, if any.
    fn get<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, Option<CacheEntry>>;
    /// Stores `entry` at `key`, replacing what was there.
    fn set<'a>(&'a self, key: &'a CacheKey, entry: CacheEntry) -> CacheFuture<'a, ()>;
    /// Drops every entry of `path` (any query). The runtime calls it with the path's
    /// [`invalidation_path`](CacheKey::invalidation_path) form and, when that differs, with the
    /// path as given: a store indexing entries by `key.invalidation_path()` reaches every
    /// spelling of the path, one comparing `key.path` the spelling given.
    fn invalidate_path<'a>(&'a self, path: &'a str) -> CacheFuture<'a, ()>;
    /// Drops every entry carrying `tag`.
    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> CacheFuture<'a, ()>;

    /// Whether every call completes without I/O (an in-memory store). The runtime then skips
    /// the store timeout it otherwise puts around each call; a networked store keeps the default.
    fn in_process(&self) -> bool {
        false
    }
}
