//! The default store: bounded in memory, least-recently-used out first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use super::store::{CacheEntry, CacheFuture, CacheHandler, CacheKey};

/// A bounded in-memory [`CacheHandler`]: at most `max_entries` entries and `max_bytes` bytes,
/// the least recently used entry (stored or read) evicted first.
///
/// An entry's size is [`CacheEntry::size`] (body and headers) plus the lengths of its key and
/// tags, so that long URLs count too. An entry larger than `max_bytes` is not stored (and the
/// entry it would have replaced is dropped). Path and tag indexes make
/// [`invalidate_path`](CacheHandler::invalidate_path) and
/// [`invalidate_tag`](CacheHandler::invalidate_tag) cost only the entries they drop.
///
/// Every operation takes one short lock; none waits on anything else.
///
/// ```
/// use route_runtime::cache::{Cache, MemoryCache};
///
/// let store = MemoryCache::new(1_000, 16 * 1024 * 1024);
/// assert!(store.is_empty());
/// let cache = Cache::new(store);
/// ```
pub struct MemoryCache {
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<CacheKey, Slot>,
    /// Queue tick → key, oldest first. A read only stamps its slot (`used`); eviction puts an
    /// entry read since it was queued back in line at that read, so a hit touches no tree.
    lru: BTreeMap<u64, CacheKey>,
    /// Path → the keys stored for it (any query).
    by_path: HashMap<String, HashSet<CacheKey>>,
    /// Tag → the keys of the entries carrying it.
    by_tag: HashMap<String, HashSet<CacheKey>>,
    bytes: usize,
    tick: u64,
}

struct Slot {
    entry: CacheEntry,
    size: usize,
    /// Its place in `lru`.
    tick: u64,
    /// Its last use (store or read): `tick` or later.
    used: u64,
}

impl MemoryCache {
    /// The default number of entries: 10,000.
    pub const DEFAULT_MAX_ENTRIES: usize = 10_000;
    /// The default byte bound: 64 MiB.
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

    /// A store holding at most `max_entries` entries and `max_bytes` bytes (either `0` stores
    /// nothing).
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        MemoryCache {
            max_entries,
            max_bytes,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        crate::lock(&self.state)
    }

    /// How many entries are stored.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().entries.is_empty()
    }

    /// How many bytes the stored entries take, as counted for the byte bound (see the type's
    /// docs).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The entry bound.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// The byte bound.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    fn get_now(&self, key: &CacheKey) -> Option<CacheEntry> {
        let mut state = self.lock();
        let state = &mut *state;
        let slot = state.entries.get_mut(key)?;
        state.tick += 1;
        slot.used = state.tick;
        Some(slot.entry.clone())
    }

    fn set_now(&self, key: &CacheKey, entry: CacheEntry) {
        let size = entry_size(key, &entry);
        let mut state = self.lock();
        let state = &mut *state; // its fields borrowed apart below
        state.remove(key);
        if size > self.max_bytes || self.max_entries == 0 {
            return;
        }
        state.tick += 1;
        let tick = state.tick;
        state.lru.insert(tick, key.clone());
        state
            .by_path
            .entry(key.invalidation_path())
            .or_default()
            .insert(key.clone());
        for tag in &entry.tags {
            state
                .by_tag
                .entry(tag.clone())
                .or_default()
                .insert(key.clone());
        }
        state.bytes += size;
        state.entries.insert(
            key.clone(),
            Slot {
                entry,
                size,
                tick,
                used: tick,
            },
        );
        // The new entry is the most recent and fits on its own, so it is never the one evicted.
        while state.entries.len() > self.max_entries || state.bytes > self.max_bytes {
            let Some((tick, oldest)) = state.lru.pop_first() else {
                break;
            };
            match state.entries.get_mut(&oldest) {
                // Read since it was queued: back in line at its last read (once: that is the
                // latest it can be), and the next oldest is looked at.
                Some(slot) if slot.used > tick => {
                    slot.tick = slot.used;
                    state.lru.insert(slot.used, oldest);
                }
                _ => state.remove(&oldest),
            }
        }
    }

    fn invalidate_path_now(&self, path: &str) {
        let path = super::normalise_path(path);
        let mut state = self.lock();
        if let Some(keys) = state.by_path.remove(&path) {
            for key in keys {
                state.remove(&key);
            }
        }
    }

    fn invalidate_tag_now(&self, tag: &str) {
        let mut state = self.lock();
        if let Some(keys) = state.by_tag.remove(tag) {
            for key in keys {
                state.remove(&key);
            }
        }
    }
}

impl State {
    /// Removes `key` and its index entries, if stored.
    fn remove(&mut self, key: &CacheKey) {
        let Some(slot) = self.entries.remove(key) else {
            return;
        };
        self.bytes = self.bytes.saturating_sub(slot.size);
        self.lru.remove(&slot.tick);
        let path = key.invalidation_path();
        if let Some(keys) = self.by_path.get_mut(&path) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_path.remove(&path);
            }
        }
        for tag in &slot.entry.tags {
            if let Some(keys) = self.by_tag.get_mut(tag) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_tag.remove(tag);
                }
            }
        }
    }
}

/// What an entry counts for against the byte bound.
fn entry_size(key: &CacheKey, entry: &CacheEntry) -> usize {
    entry
        .size()
        .saturating_add(key.method.len() + key.path.len() + key.query.len())
        .saturating_add(entry.tags.iter().map(String::len).sum::<usize>())
}

impl Default for MemoryCache {
    /// [`DEFAULT_MAX_ENTRIES`](Self::DEFAULT_MAX_ENTRIES) (10,000) entries and
    /// [`DEFAULT_MAX_BYTES`](Self::DEFAULT_MAX_BYTES) (64 MiB).
    fn default() -> Self {
        MemoryCache::new(Self::DEFAULT_MAX_ENTRIES, Self::DEFAULT_MAX_BYTES)
    }
}

impl fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("MemoryCache")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("len", &state.entries.len())
            .field("bytes", &state.bytes)
            .finish()
    }
}

impl CacheHandler for MemoryCache {
    fn in_process(&self) -> bool {
        true
    }

    fn get<'a>(&'a self, key: &'a CacheKey) -> CacheFuture<'a, Option<CacheEntry>> {
        Box::pin(async move { Ok(self.get_now(key)) })
    }

    fn set<'a>(&'a self, key: &'a CacheKey, entry: CacheEntry) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            self.set_now(key, entry);
            Ok(())
        })
    }

    fn invalidate_path<'a>(&'a self, path: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            self.invalidate_path_now(path);
            Ok(())
        })
    }

    fn invalidate_tag<'a>(&'a self, tag: &'a str) -> CacheFuture<'a, ()> {
        Box::pin(async move {
            self.invalidate_tag_now(tag);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    /// The store's futures are ready at once.
    fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
        future.now_or_never().expect("a memory store never waits")
    }

    fn key(path: &str, query: &str) -> CacheKey {
        CacheKey {
            method: "GET".to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
        }
    }

    fn entry(body: &str, tags: &[&str]) -> CacheEntry {
        CacheEntry {
            status: 200,
            headers: vec![("content-type".to_owned(), b"text/plain".to_vec())],
            body: body.as_bytes().to_vec(),
            created_at_ms: 0,
            revalidate_secs: Some(60),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn get(cache: &MemoryCache, k: &CacheKey) -> Option<String> {
        block_on(cache.get(k))
            .unwrap()
            .map(|e| String::from_utf8(e.body).unwrap())
    }

    fn set(cache: &MemoryCache, k: &CacheKey, e: CacheEntry) {
        block_on(cache.set(k, e)).unwrap();
    }

    /// Checks that the indexes agree with the entries.
    fn check_invariants(cache: &MemoryCache) {
        let state = cache.lock();
        assert_eq!(state.lru.len(), state.entries.len());
        assert_eq!(
            state.bytes,
            state.entries.values().map(|s| s.size).sum::<usize>()
        );
        for (tick, k) in &state.lru {
            assert_eq!(state.entries[k].tick, *tick);
            assert!(state.entries[k].used >= *tick);
        }
        let indexed: usize = state.by_path.values().map(HashSet::len).sum();
        assert_eq!(indexed, state.entries.len());
        for (k, slot) in &state.entries {
            assert!(state.by_path[&k.invalidation_path()].contains(k));
            for tag in &slot.entry.tags {
                assert!(state.by_tag[tag].contains(k));
            }
        }
        assert!(state.by_path.values().all(|s| !s.is_empty()));
        assert!(state.by_tag.values().all(|s| !s.is_empty()));
    }

    #[test]
    fn hit_and_miss() {
        let cache = MemoryCache::default();
        assert!(cache.is_empty());
        assert_eq!(get(&cache, &key("/a", "")), None);
        set(&cache, &key("/a", ""), entry("one", &[]));
        assert_eq!(get(&cache, &key("/a", "")).as_deref(), Some("one"));
        assert_eq!(get(&cache, &key("/a", "x=1")), None);
        // Same path and query, another method: another key.
        let mut head = key("/a", "");
        head.method = "POST".to_owned();
        assert_eq!(get(&cache, &head), None);
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.bytes(),
            entry_size(&key("/a", ""), &entry("one", &[]))
        );
        check_invariants(&cache);
    }

    #[test]
    fn set_replaces() {
        let cache = MemoryCache::default();
        set(&cache, &key("/a", ""), entry("one", &["t1"]));
        set(&cache, &key("/a", ""), entry("three", &["t2"]));
        assert_eq!(get(&cache, &key("/a", "")).as_deref(), Some("three"));
        assert_eq!(cache.len(), 1);
        assert_eq!(
            cache.bytes(),
            entry_size(&key("/a", ""), &entry("three", &["t2"]))
        );
        check_invariants(&cache);
        // The old tag no longer reaches it.
        block_on(cache.invalidate_tag("t1")).unwrap();
        assert_eq!(cache.len(), 1);
        block_on(cache.invalidate_tag("t2")).unwrap();
        assert!(cache.is_empty());
        check_invariants(&cache);
    }

    #[test]
    fn entry_bound_evicts_least_recently_used() {
        let cache = MemoryCache::new(3, usize::MAX);
        for p in ["/a", "/b", "/c"] {
            set(&cache, &key(p, ""), entry(p, &[]));
        }
        // Reading /a makes /b the least recently used.
        assert!(get(&cache, &key("/a", "")).is_some());
        set(&cache, &key("/d", ""), entry("/d", &[]));
        assert_eq!(cache.len(), 3);
        assert_eq!(get(&cache, &key("/b", "")), None);
        for p in ["/a", "/c", "/d"] {
            assert!(get(&cache, &key(p, "")).is_some(), "{p}");
        }
        // Now the order of use is a, c, d: /a goes next.
        set(&cache, &key("/e", ""), entry("/e", &[]));
        assert_eq!(get(&cache, &key("/a", "")), None);
        assert_eq!(cache.len(), 3);
        check_invariants(&cache);
    }

    #[test]
    fn replacing_counts_as_use() {
        let cache = MemoryCache::new(2, usize::MAX);
        set(&cache, &key("/a", ""), entry("a", &[]));
        set(&cache, &key("/b", ""), entry("b", &[]));
        set(&cache, &key("/a", ""), entry("a2", &[]));
        set(&cache, &key("/c", ""), entry("c", &[]));
        assert_eq!(get(&cache, &key("/b", "")), None);
        assert_eq!(get(&cache, &key("/a", "")).as_deref(), Some("a2"));
        check_invariants(&cache);
    }

    #[test]
    fn byte_bound_evicts_until_it_fits() {
        let body = "x".repeat(100);
        let one = entry_size(&key("/0", ""), &entry(&body, &[]));
        let cache = MemoryCache::new(1_000, one * 3);
        for i in 0..3 {
            set(&cache, &key(&format!("/{i}"), ""), entry(&body, &[]));
        }
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.bytes(), one * 3);
        assert!(get(&cache, &key("/0", "")).is_some());
        // An entry worth two makes room by evicting the two least recently used: /1 then /2.
        let big = "x".repeat(100 + one);
        set(&cache, &key("/9", ""), entry(&big, &[]));
        assert_eq!(get(&cache, &key("/1", "")), None);
        assert_eq!(get(&cache, &key("/2", "")), None);
        assert!(get(&cache, &key("/0", "")).is_some());
        assert!(get(&cache, &key("/9", "")).is_some());
        assert!(cache.bytes() <= one * 3);
        check_invariants(&cache);
    }

    #[test]
    fn oversized_entry_is_not_stored() {
        let cache = MemoryCache::new(10, 100);
        set(&cache, &key("/small", ""), entry("s", &["t"]));
        set(&cache, &key("/big", ""), entry(&"x".repeat(200), &["t"]));
        assert_eq!(get(&cache, &key("/big", "")), None);
        assert_eq!(get(&cache, &key("/small", "")).as_deref(), Some("s"));
        // Too big to replace an entry: the old one goes too (it would be served forever).
        set(&cache, &key("/small", ""), entry(&"x".repeat(200), &["t"]));
        assert_eq!(get(&cache, &key("/small", "")), None);
        assert!(cache.is_empty());
        assert_eq!(cache.bytes(), 0);
        check_invariants(&cache);
    }

    #[test]
    fn zero_bounds_store_nothing() {
        for cache in [MemoryCache::new(0, 1 << 20), MemoryCache::new(10, 0)] {
            set(&cache, &key("/a", ""), entry("a", &[]));
            assert!(cache.is_empty());
            check_invariants(&cache);
        }
    }

    #[test]
    fn invalidate_path_drops_every_query() {
        let cache = MemoryCache::default();
        set(&cache, &key("/posts", ""), entry("all", &[]));
        set(&cache, &key("/posts", "page=2"), entry("p2", &[]));
        set(
            &cache,
            &key("/posts", "page=3&tag=a"),
            entry("p3", &["posts"]),
        );
        set(&cache, &key("/posts/1", ""), entry("one", &[]));
        set(&cache, &key("/other", "page=2"), entry("other", &[]));
        block_on(cache.invalidate_path("/posts")).unwrap();
        assert_eq!(get(&cache, &key("/posts", "")), None);
        assert_eq!(get(&cache, &key("/posts", "page=2")), None);
        assert_eq!(get(&cache, &key("/posts", "page=3&tag=a")), None);
        assert!(get(&cache, &key("/posts/1", "")).is_some());
        assert!(get(&cache, &key("/other", "page=2")).is_some());
        assert_eq!(cache.len(), 2);
        check_invariants(&cache);
        // Unknown paths are fine.
        block_on(cache.invalidate_path("/nothing")).unwrap();
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn invalidate_tag_drops_every_tagged_entry() {
        let cache = MemoryCache::default();
        set(&cache, &key("/a", ""), entry("a", &["posts", "home"]));
        set(&cache, &key("/a", "q=1"), entry("aq", &["posts"]));
        set(&cache, &key("/b", ""), entry("b", &["home"]));
        set(&cache, &key("/c", ""), entry("c", &[]));
        block_on(cache.invalidate_tag("posts")).unwrap();
        assert_eq!(get(&cache, &key("/a", "")), None);
        assert_eq!(get(&cache, &key("/a", "q=1")), None);
        assert!(get(&cache, &key("/b", "")).is_some());
        assert!(get(&cache, &key("/c", "")).is_some());
        check_invariants(&cache);
        block_on(cache.invalidate_tag("home")).unwrap();
        assert_eq!(get(&cache, &key("/b", "")), None);
        assert_eq!(cache.len(), 1);
        block_on(cache.invalidate_tag("missing")).unwrap();
        assert_eq!(cache.len(), 1);
        check_invariants(&cache);
    }

    #[test]
    fn eviction_keeps_the_indexes_consistent() {
        let cache = MemoryCache::new(5, 2_000);
        for i in 0..200u32 {
            let path = format!("/p{}", i % 7);
            let query = format!("q={}", i % 3);
            let tags = if i % 2 == 0 {
                vec!["even"]
            } else {
                vec!["odd"]
            };
            set(
                &cache,
                &key(&path, &query),
                entry(&"x".repeat((i as usize * 37) % 600), &tags),
            );
            if i % 5 == 0 {
                let _ = get(&cache, &key("/p1", "q=1"));
            }
            if i % 11 == 0 {
                block_on(cache.invalidate_tag("odd")).unwrap();
            }
            if i % 13 == 0 {
                block_on(cache.invalidate_path("/p3")).unwrap();
            }
            assert!(cache.len() <= 5);
            assert!(cache.bytes() <= 2_000);
            check_invariants(&cache);
        }
    }

    #[tokio::test]
    async fn works_behind_cache_in_async_code() {
        let cache = MemoryCache::new(2, 1 << 20);
        cache.set(&key("/a", ""), entry("a", &[])).await.unwrap();
        assert!(cache.get(&key("/a", "")).await.unwrap().is_some());
        let debug = format!("{cache:?}");
        assert!(debug.contains("len: 1"), "{debug}");
    }
}
