//! Routes given a variant of the global cache (`Cache::global().clone().max_entry_bytes(..)`)
//! use that variant, its bounds included, even when no cache was ever made with `Cache::new`.
//!
//! A separate test binary: the runtime looks for the routes' own cache on a request only once a
//! cache other than the global one exists in the process, so no other test may make one here.

#![allow(non_snake_case)]

use std::sync::atomic::{AtomicUsize, Ordering};

use route_runtime::cache::Cache;
use route_runtime::{route, routes};

#[allow(dead_code)]
#[path = "http/common.rs"]
mod common;

use common::{client, TestServer};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/variant/big")]
mod big {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        super::RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        "x".repeat(1024)
    }
}

#[tokio::test]
async fn a_variant_of_the_global_cache_keeps_its_own_bounds() {
    // The global cache would store 1 KiB (its cap is 8 MiB); this variant's cap is 100 bytes.
    let app = routes![big]
        .with_cache(Cache::global().clone().max_entry_bytes(100))
        .into_router();
    let server = TestServer::start(app).await;
    for _ in 0..2 {
        let response = client()
            .get(server.url("/variant/big"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers().get("x-nextjs-cache"), None);
        assert_eq!(response.text().await.expect("body").len(), 1024);
    }
    // Served whole and never stored: the handler ran for both requests.
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}
