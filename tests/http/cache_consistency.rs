//! What the cache stores must be what a `GET` of that resource answers, now: a `HEAD` never fills
//! an entry, reading the raw query through `uri()` is a read, `revalidate_path` reaches every
//! spelling of a path, a render begun before an invalidation is not stored after it, and a
//! stream that stalls is not waited for without end.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use route_runtime::cache::Cache;
use route_runtime::{route, routes};

use crate::common::{cached_get, client, eventually, runs, TestServer};

/// A `GET` handler that skips the body for `HEAD`, as axum's docs suggest.
#[route("/consistency/head-aware")]
mod head_aware {
    use route_runtime::Method;

    pub const REVALIDATE: u64 = 1;

    pub async fn GET(method: Method) -> String {
        if method == Method::HEAD {
            String::new()
        } else {
            format!("the full body ({method})")
        }
    }
}

/// A `HEAD` miss is answered but not stored; a stale entry found by a `HEAD` regenerates as a
/// `GET` (rule 4: no empty `HEAD` bodies in the cache).
#[tokio::test]
async fn a_head_request_never_fills_the_get_entry() {
    let app = routes![head_aware]
        .with_cache(Cache::default())
        .into_router();
    let server = TestServer::start(app).await;
    let head = client()
        .head(server.url("/consistency/head-aware"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    let full = "the full body (GET)".to_owned();
    assert_eq!(
        cached_get(&server, "/consistency/head-aware").await,
        ("MISS".into(), full.clone())
    );
    // Stale: the `HEAD` is answered from the entry, and the regeneration it starts is a `GET`.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let head = client()
        .head(server.url("/consistency/head-aware"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["x-nextjs-cache"], "STALE");
    for _ in 0..50 {
        let (cache, body) = cached_get(&server, "/consistency/head-aware").await;
        assert_eq!(body, full, "x-nextjs-cache: {cache}");
        if cache == "HIT" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the regeneration never stored the GET body");
}

#[route("/consistency/uri")]
mod raw_uri {
    use route_runtime::Request;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET(request: Request) -> String {
        format!("query as written: {}", request.uri().query().unwrap_or(""))
    }
}

/// `Request::uri()` hands over the query as written, which the key normalises: a read.
#[tokio::test]
async fn reading_the_query_through_uri_is_not_cached() {
    let app = routes![raw_uri].with_cache(Cache::default()).into_router();
    let server = TestServer::start(app).await;
    assert_eq!(
        cached_get(&server, "/consistency/uri?q=%41").await,
        ("-".into(), "query as written: q=%41".into())
    );
    assert_eq!(
        cached_get(&server, "/consistency/uri?q=A").await,
        ("-".into(), "query as written: q=A".into())
    );
}

pub static TEAM_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/consistency/team/[team]")]
mod team {
    use route_runtime::{Revalidate, RouteContext};
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: Revalidate = Revalidate::Forever;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        let n = super::TEAM_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("team {} render {n}", ctx.params.team)
    }
}

/// Keys stay exact (each spelling its own entry), but invalidating a path reaches every spelling
/// of it: a client cannot pin stale content under `%61dmin`.
#[tokio::test]
async fn revalidate_path_reaches_every_spelling_of_the_path() {
    let cache = Cache::default();
    let app = routes![team].with_cache(cache.clone()).into_router();
    let server = TestServer::start(app).await;
    assert_eq!(
        cached_get(&server, "/consistency/team/admin").await.1,
        "team admin render 1"
    );
    assert_eq!(
        cached_get(&server, "/consistency/team/%61dmin").await.1,
        "team admin render 2"
    );
    assert_eq!(
        cached_get(&server, "/consistency/team/%61dmin").await.0,
        "HIT"
    );
    cache
        .revalidate_path("/consistency/team/admin")
        .await
        .unwrap();
    assert_eq!(
        cached_get(&server, "/consistency/team/%61dmin").await.0,
        "MISS"
    );
    assert_eq!(
        cached_get(&server, "/consistency/team/admin").await.0,
        "MISS"
    );
    // And the other way round, in any spelling.
    cache
        .revalidate_path("/consistency/team/%61%64min")
        .await
        .unwrap();
    assert_eq!(
        cached_get(&server, "/consistency/team/admin").await.0,
        "MISS"
    );
    assert_eq!(runs(&TEAM_RUNS), 5);
}

pub static RACE_DATA: AtomicUsize = AtomicUsize::new(1);
pub static RACE_RUNS: AtomicUsize = AtomicUsize::new(0);
pub static RACE_OPEN: AtomicBool = AtomicBool::new(false);

#[route("/consistency/race")]
mod race {
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 1;

    pub async fn GET() -> String {
        let n = super::RACE_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        let data = super::RACE_DATA.load(Ordering::SeqCst);
        if n == 2 {
            // The background regeneration: a slow upstream.
            while !super::RACE_OPEN.load(Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        format!("data {data}")
    }
}

/// A regeneration that read the data before `revalidate_path` does not store it after.
#[tokio::test]
async fn a_render_begun_before_an_invalidation_is_not_stored_after_it() {
    let cache = Cache::default();
    let app = routes![race].with_cache(cache.clone()).into_router();
    let server = TestServer::start(app).await;
    assert_eq!(
        cached_get(&server, "/consistency/race").await,
        ("MISS".into(), "data 1".into())
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        cached_get(&server, "/consistency/race").await,
        ("STALE".into(), "data 1".into())
    );
    assert!(eventually(Duration::from_secs(3), || runs(&RACE_RUNS) == 2).await);
    RACE_DATA.store(2, Ordering::SeqCst);
    cache.revalidate_path("/consistency/race").await.unwrap();
    assert_eq!(
        cached_get(&server, "/consistency/race").await,
        ("MISS".into(), "data 2".into())
    );
    // The old regeneration finishes now, with data 1.
    RACE_OPEN.store(true, Ordering::SeqCst);
    assert!(
        eventually(Duration::from_secs(3), || {
            format!("{:?}", cache).contains("regenerating: 0")
        })
        .await
    );
    assert_eq!(
        cached_get(&server, "/consistency/race").await,
        ("HIT".into(), "data 2".into())
    );
}

#[route("/consistency/stream")]
mod stalled_stream {
    use route_runtime::response::{stream, StreamResponse};
    use std::convert::Infallible;

    pub const REVALIDATE: u64 = 60;
    pub const MAX_DURATION: u64 = 1;

    pub async fn GET() -> StreamResponse {
        let first = futures_util::stream::once(async { Ok::<_, Infallible>("first chunk\n") });
        // An upstream that stalls after its first chunk.
        stream(futures_util::StreamExt::chain(
            first,
            futures_util::stream::pending(),
        ))
    }
}

/// A fill waits for the whole body only so long: past the route's `MAX_DURATION`, what was read
/// is sent and the rest streamed, unstored.
#[tokio::test]
async fn a_stalled_stream_is_not_waited_for_without_end() {
    let app = routes![stalled_stream]
        .with_cache(Cache::default())
        .into_router();
    let server = TestServer::start(app).await;
    let response = tokio::time::timeout(
        Duration::from_secs(4),
        client().get(server.url("/consistency/stream")).send(),
    )
    .await
    .expect("a response head within 4 s (MAX_DURATION = 1)")
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-nextjs-cache").is_none());
    let mut response = response;
    let chunk = tokio::time::timeout(Duration::from_secs(2), response.chunk())
        .await
        .expect("the first chunk")
        .unwrap();
    assert_eq!(chunk.as_deref(), Some(&b"first chunk\n"[..]));
}

pub static HANDLE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/consistency/users/[handle]")]
mod users {
    use route_runtime::RouteContext;
    use std::sync::atomic::Ordering;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        let n = super::HANDLE_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        format!("{} render {n}", ctx.params.handle)
    }
}

/// A store that compares `key.path` with the path as given still gets that path (besides its
/// normalised form, `%40alice` here).
#[tokio::test]
async fn revalidate_path_reaches_a_store_keyed_by_the_exact_path() {
    let cache = Cache::new(crate::security::RecordingStore::default());
    let app = routes![users].with_cache(cache.clone()).into_router();
    let server = TestServer::start(app).await;
    let path = "/consistency/users/@alice";
    assert_eq!(
        cached_get(&server, path).await,
        ("MISS".into(), "@alice render 1".into())
    );
    assert_eq!(cached_get(&server, path).await.0, "HIT");
    cache.revalidate_path(path).await.unwrap();
    assert_eq!(
        cached_get(&server, path).await,
        ("MISS".into(), "@alice render 2".into())
    );
}

#[route("/consistency/cold-head")]
mod cold_head {
    use route_runtime::Json;
    use serde_json::{json, Value};

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> Json<Value> {
        Json(json!({ "a": 1 }))
    }
}

/// The response's headers but `date`, sorted.
fn headers_of(response: &reqwest::Response) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    headers
}

/// A `HEAD` that finds no entry still answers with the `GET`'s headers (cache status and
/// `Cache-Control` included), as a `HEAD` that hits one does.
#[tokio::test]
async fn a_cold_head_has_the_headers_of_the_get() {
    let app = routes![cold_head]
        .with_cache(Cache::default())
        .into_router();
    let server = TestServer::start(app).await;
    let cold_head = server.send("HEAD", "/consistency/cold-head").await;
    let cold_get = server.get("/consistency/cold-head").await;
    let warm_head = server.send("HEAD", "/consistency/cold-head").await;
    let warm_get = server.get("/consistency/cold-head").await;
    assert_eq!(
        headers_of(&cold_head),
        headers_of(&cold_get),
        "first HEAD, first GET"
    );
    assert_eq!(
        headers_of(&warm_head),
        headers_of(&warm_get),
        "HEAD and GET from the entry"
    );
}

pub static OWN_RUNS: AtomicUsize = AtomicUsize::new(0);
pub static GLOBAL_RUNS: AtomicUsize = AtomicUsize::new(0);

/// A route on a cache of its own, whose `POST` revalidates another route's path.
#[route("/consistency/own-cache")]
mod on_own_cache {
    use route_runtime::{cache, Request, RouteError};

    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        let n = super::OWN_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("own render {n}")
    }

    pub async fn POST(request: Request) -> Result<&'static str, RouteError> {
        let path = request
            .next_url()
            .search_params()
            .get("path")
            .unwrap_or_default();
        cache::revalidate_path(&path).await?;
        Ok("revalidated")
    }
}

/// A route on the global cache.
#[route("/consistency/global-cache")]
mod on_global_cache {
    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> String {
        let n = super::GLOBAL_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("global render {n}")
    }
}

/// Next.js has one cache: `cache::revalidate_path` reaches a route's entry whichever cache holds
/// it, from a handler of other routes or from a task outside any request (a webhook queue).
#[tokio::test]
async fn free_revalidation_reaches_every_cache_from_anywhere() {
    let app = routes![on_own_cache]
        .with_cache(Cache::default())
        .into_router()
        .merge(routes![on_global_cache].into_router());
    let server = TestServer::start(app).await;
    for path in ["/consistency/own-cache", "/consistency/global-cache"] {
        assert_eq!(cached_get(&server, path).await.0, "MISS");
        assert_eq!(cached_get(&server, path).await.0, "HIT");
    }

    // From a spawned task, outside any request: the own cache's entry.
    tokio::spawn(route_runtime::cache::revalidate_path(
        "/consistency/own-cache",
    ))
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        cached_get(&server, "/consistency/own-cache").await,
        ("MISS".into(), "own render 2".into())
    );

    // From a handler whose routes have their own cache: the global cache's entry.
    let response = client()
        .post(server.url("/consistency/own-cache?path=/consistency/global-cache"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "revalidated");
    assert_eq!(
        cached_get(&server, "/consistency/global-cache").await,
        ("MISS".into(), "global render 2".into())
    );
    assert_eq!(cached_get(&server, "/consistency/own-cache").await.0, "HIT");
}

#[route("/consistency/item/[id]")]
mod item {
    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> &'static str {
        "item"
    }
}

/// A path given with a query or a trailing slash is the resource's path: requests with a query
/// are entries of that path, and `/x/` is redirected to `/x`.
#[tokio::test]
async fn revalidate_path_leaves_out_a_query_and_a_trailing_slash() {
    let cache = Cache::default();
    let app = routes![item].with_cache(cache.clone()).into_router();
    let server = TestServer::start(app).await;
    let path = "/consistency/item/9";
    for given in [
        "/consistency/item/9?q=a",
        "/consistency/item/9/",
        "/consistency/item/9/?q=a#top",
    ] {
        cached_get(&server, path).await;
        assert_eq!(cached_get(&server, path).await.0, "HIT", "{given}");
        cache.revalidate_path(given).await.unwrap();
        assert_eq!(cached_get(&server, path).await.0, "MISS", "{given}");
    }
}

pub static POST_RUNS: AtomicUsize = AtomicUsize::new(0);

#[route("/(blog)/consistency/posts/[slug]")]
mod post {
    use route_runtime::RouteContext;

    pub const REVALIDATE: u64 = 60;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        let n = super::POST_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("{} render {n}", ctx.params.slug)
    }
}

/// Given a route's pattern, `revalidate_path` reaches every entry of the route, as Next.js's
/// `revalidatePath('/blog/[slug]', 'page')`; with or without its route group; other routes keep
/// theirs.
#[tokio::test]
async fn revalidate_path_of_a_pattern_reaches_every_entry_of_the_route() {
    let cache = Cache::default();
    let app = routes![post, item].with_cache(cache.clone()).into_router();
    let server = TestServer::start(app).await;
    let paths = [
        "/consistency/posts/a",
        "/consistency/posts/b",
        "/consistency/item/1",
    ];
    for pattern in [
        "/consistency/posts/[slug]",
        "/(blog)/consistency/posts/[slug]",
    ] {
        for path in paths {
            cached_get(&server, path).await;
            assert_eq!(cached_get(&server, path).await.0, "HIT", "{path}");
        }
        cache.revalidate_path(pattern).await.unwrap();
        assert_eq!(cached_get(&server, paths[0]).await.0, "MISS", "{pattern}");
        assert_eq!(cached_get(&server, paths[1]).await.0, "MISS", "{pattern}");
        assert_eq!(cached_get(&server, paths[2]).await.0, "HIT", "{pattern}");
    }
}

#[route("/consistency/tagged/[slug]")]
mod tagged_per_request {
    use route_runtime::{cache, RouteContext, RouteError};

    pub const REVALIDATE: u64 = 60;
    pub const TAGS: &[&str] = &["tagged"];

    pub async fn GET(ctx: RouteContext<Params>) -> Result<String, RouteError> {
        cache::tag(format!("post:{}", ctx.params.slug))?;
        Ok(format!("post {}", ctx.params.slug))
    }
}

/// `cache::tag` (Next.js's `cacheTag`) tags one response's entry: `revalidate_tag` of it reaches
/// that entry and no other of the route, while the route's `TAGS` still reach them all.
#[tokio::test]
async fn a_tag_given_during_a_request_reaches_that_entry_only() {
    let cache = Cache::default();
    let app = routes![tagged_per_request]
        .with_cache(cache.clone())
        .into_router();
    let server = TestServer::start(app).await;
    let (a, b) = ("/consistency/tagged/a", "/consistency/tagged/b");
    for path in [a, b] {
        assert_eq!(cached_get(&server, path).await.0, "MISS");
        assert_eq!(cached_get(&server, path).await.0, "HIT");
    }
    cache.revalidate_tag("post:a").await.unwrap();
    assert_eq!(cached_get(&server, a).await.0, "MISS");
    assert_eq!(cached_get(&server, b).await.0, "HIT");
    cache.revalidate_tag("tagged").await.unwrap();
    assert_eq!(cached_get(&server, a).await.0, "MISS");
    assert_eq!(cached_get(&server, b).await.0, "MISS");
    // Outside a request there is no response to tag.
    assert!(route_runtime::cache::tag("post:a").is_err());
}
