//! A cache store that fails, or never answers, degrades to "no cache" (security rule 8): every
//! request is still answered, in time, and an invalidation it could not record is an error for
//! its caller.
//!
//! A separate test binary: `cache::revalidate_*` reach every cache of the process, so while this
//! failing store is alive, any test calling them would get its error.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use route_runtime::cache::{Cache, CacheEntry, CacheError, CacheFuture, CacheHandler, CacheKey};
use route_runtime::{route, routes};

#[allow(dead_code)]
#[path = "http/common.rs"]
mod common;

use common::{client, TestServer};

/// A store that fails every call, or never answers.
#[derive(Clone, Default)]
struct FailingStore {
    hang: bool,
    calls: Arc<AtomicUsize>,
}

impl FailingStore {
    fn fail<'a, T: Send + 'a>(&'a self) -> CacheFuture<'a, T> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let hang = self.hang;
        Box::pin(async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Err(CacheError::new("the store is down"))
        })
    }
}

impl CacheHandler for FailingStore {
    fn get<'a>(&'a self, _key: &'a CacheKey) -> CacheFuture<'a, Option<CacheEntry>> {
        self.fail()
    }
    fn set<'a>(&'a self, _key: &'a CacheKey, _entry: CacheEntry) -> CacheFuture<'a, ()> {
        self.fail()
    }
    fn invalidate_path<'a>(&'a self, _path: &'a str) -> CacheFuture<'a, ()> {
        self.fail()
    }
    fn invalidate_tag<'a>(&'a self, _tag: &'a str) -> CacheFuture<'a, ()> {
        self.fail()
    }
}

static FAILING_RENDERS: AtomicUsize = AtomicUsize::new(0);

#[route("/sec/cache/failing")]
mod cache_failing {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;
    pub const TAGS: &[&str] = &["failing"];

    pub async fn GET() -> String {
        let n = super::FAILING_RENDERS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("fresh {n}")
    }
}

#[route("/sec/cache/failing-revalidate")]
mod cache_failing_revalidate {
    use route_runtime::{IntoResponse, Response, StatusCode};

    pub async fn POST() -> Response {
        match route_runtime::cache::revalidate_tag("failing").await {
            Ok(()) => "revalidated".into_response(),
            Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "invalidation failed").into_response(),
        }
    }
}

#[tokio::test]
async fn a_failing_cache_store_degrades_to_no_cache() {
    for hang in [false, true] {
        let store = FailingStore {
            hang,
            ..FailingStore::default()
        };
        let cache = Cache::new(store.clone()).store_timeout(Duration::from_millis(200));
        let server = TestServer::start(
            routes![cache_failing, cache_failing_revalidate]
                .with_cache(cache)
                .into_router(),
        )
        .await;
        let http = client();
        let before = FAILING_RENDERS.load(Ordering::SeqCst);
        for i in 1..=3 {
            let started = Instant::now();
            let response = tokio::time::timeout(
                Duration::from_secs(3),
                http.get(server.url("/sec/cache/failing")).send(),
            )
            .await
            .unwrap_or_else(|_| panic!("hang={hang}: a store that never answers held the request"))
            .unwrap();
            assert_eq!(
                response.status(),
                200,
                "hang={hang}: the store's failure became an error"
            );
            assert_eq!(
                response.text().await.unwrap(),
                format!("fresh {}", before + i),
                "hang={hang}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "hang={hang}: {:?}",
                started.elapsed()
            );
        }
        assert!(
            store.calls.load(Ordering::SeqCst) > 0,
            "the store was never asked"
        );
        // An invalidation that could not be recorded is an error for its caller.
        let response = http
            .post(server.url("/sec/cache/failing-revalidate"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            503,
            "hang={hang}: a lost invalidation was reported as done"
        );
    }
}
