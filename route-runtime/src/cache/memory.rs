//! The default store: bounded in memory, least-recently-used out first. PLACEHOLDER: being written.

use super::store::{CacheEntry, CacheFuture, CacheHandler, CacheKey};

/// A bounded in-memory [`CacheHandler`].
#[derive(Debug, Default)]
pub struct MemoryCache {}

impl MemoryCache {
    /// A store holding at most `max_entries` entries and `max_bytes` bytes.
    pub fn new(_max_entries: usize, _max_bytes: usize) -> Self {
        MemoryCache {}
    }
}

impl CacheHandler for MemoryCache {
    fn get<'a>(&'a self, _key: &'a CacheKey) -> CacheFuture<'a, Option<CacheEntry>> {
        Box::pin(async { Ok(None) })
    }
    fn set<'a>(&'a self, _key: &'a CacheKey, _entry: CacheEntry) -> CacheFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn invalidate_path<'a>(&'a self, _path: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn invalidate_tag<'a>(&'a self, _tag: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}
