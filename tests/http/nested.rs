//! Routes mounted under `Router::nest`: what the client sees is the mount's full path, so the
//! runtime's own redirects keep the prefix, and the cache keys (and invalidates) by it.

use std::sync::atomic::AtomicUsize;

use route_runtime::cache::Cache;
use route_runtime::{route, routes};
use tower::ServiceExt;

use crate::common::{cached_get, runs, TestServer};

#[route("/blog/[...slug]")]
mod blog {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// Without `NormalizePath` in front (a router of one's own), the handler's own fallback `308`
/// points at the canonical form of the path the client sent, prefix included.
#[tokio::test]
async fn the_handlers_own_308_keeps_the_mount_prefix() {
    let app = axum::Router::new().nest("/v1", routes![blog].into_router());
    for (path, want) in [
        ("/v1/blog/a/", "/v1/blog/a"),
        ("/v1/blog/a/b/..", "/v1/blog/a"),
    ] {
        let request = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 308, "{path}");
        assert_eq!(response.headers()["location"], want, "{path}");
    }
}

#[route("/items")]
mod tenant_a {
    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> &'static str {
        "tenant A's items"
    }
}

#[route("/items")]
mod tenant_b {
    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> &'static str {
        "tenant B's items"
    }
}

/// One pattern mounted twice, one cache: two resources, two entries.
#[tokio::test]
async fn two_mounts_of_one_pattern_do_not_share_an_entry() {
    let cache = Cache::default();
    let app = axum::Router::new()
        .nest(
            "/a",
            routes![tenant_a].with_cache(cache.clone()).into_router(),
        )
        .nest("/b", routes![tenant_b].with_cache(cache).into_router());
    let server = TestServer::start(app).await;
    assert_eq!(
        cached_get(&server, "/a/items").await,
        ("MISS".into(), "tenant A's items".into())
    );
    assert_eq!(
        cached_get(&server, "/b/items").await,
        ("MISS".into(), "tenant B's items".into())
    );
    assert_eq!(
        cached_get(&server, "/b/items").await,
        ("HIT".into(), "tenant B's items".into())
    );
    assert_eq!(
        cached_get(&server, "/a/items").await,
        ("HIT".into(), "tenant A's items".into())
    );
}

pub static POSTS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/posts")]
mod posts {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        format!(
            "render {}",
            super::POSTS_RUNS.fetch_add(1, Ordering::SeqCst) + 1
        )
    }
}

/// `revalidate_path` takes the path clients request, mount prefix included.
#[tokio::test]
async fn revalidate_path_takes_the_mounted_path() {
    let cache = Cache::default();
    let app = axum::Router::new().nest(
        "/v1",
        routes![posts].with_cache(cache.clone()).into_router(),
    );
    let server = TestServer::start(app).await;
    assert_eq!(
        cached_get(&server, "/v1/posts").await,
        ("MISS".into(), "render 1".into())
    );
    assert_eq!(
        cached_get(&server, "/v1/posts").await,
        ("HIT".into(), "render 1".into())
    );
    cache.revalidate_path("/v1/posts").await.unwrap();
    assert_eq!(
        cached_get(&server, "/v1/posts").await,
        ("MISS".into(), "render 2".into())
    );
    assert_eq!(runs(&POSTS_RUNS), 2);
}

pub static PRERENDERED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/prerendered")]
mod prerendered {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        format!(
            "render {}",
            super::PRERENDERED_RUNS.fetch_add(1, Ordering::SeqCst) + 1
        )
    }
}

/// Under `nest`, the assembled app is prerendered at the mounted paths: the first request is a
/// `HIT` of that one render.
#[tokio::test]
async fn a_mounted_router_is_prerendered_at_its_mounted_paths() {
    let routes = routes![prerendered].with_cache(Cache::default());
    let paths: Vec<String> = routes
        .static_paths()
        .iter()
        .map(|p| format!("/v1{p}"))
        .collect();
    let app = axum::Router::new().nest("/v1", routes.into_router());
    assert_eq!(route_runtime::cache::prerender(&app, &paths).await, 1);
    let server = TestServer::start(app).await;
    assert_eq!(
        cached_get(&server, "/v1/prerendered").await,
        ("HIT".into(), "render 1".into())
    );
    assert_eq!(runs(&PRERENDERED_RUNS), 1);
}
