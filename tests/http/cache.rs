//! Route segment config and the incremental cache, over real HTTP: MISS → HIT → STALE →
//! regenerated, single flight, startup prerender, every never-cached case, invalidation, headers.
//!
//! Each test gets its own `Cache`, so tests running in parallel never share entries.

use std::time::Duration;

use route_runtime::cache::Cache;
use route_runtime::{route, routes};

use crate::common::{client, header, runs, TestServer};

/// A counter per route, so each test can tell how often its handler ran.
macro_rules! counter {
    ($name:ident) => {
        pub static $name: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    };
}

counter!(HITS_RUNS);
counter!(STALE_RUNS);
counter!(ITEMS_RUNS);
counter!(FLIGHT_RUNS);
counter!(PRERENDER_RUNS);
counter!(COOKIE_RUNS);
counter!(READS_RUNS);
counter!(STATUS_RUNS);
counter!(BIG_RUNS);
counter!(PRIVATE_RUNS);
counter!(VARY_RUNS);
counter!(AUTH_RUNS);
counter!(QUERY_RUNS);
counter!(URL_RUNS);
counter!(TAG_RUNS);
counter!(PATH_RUNS);
counter!(DYNAMIC_RUNS);
counter!(STATIC_RUNS);

#[route("/cache/hits")]
mod hits {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        let n = super::HITS_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("render {n}")
    }
    pub async fn POST() -> &'static str {
        "posted"
    }
}

/// A cached route with a param: one entry per param value, and the handler gets its params on
/// the cache's path too.
#[route("/cache/items/[id]")]
mod items {
    use route_runtime::RouteContext;

    pub const REVALIDATE: u64 = 60;
    pub async fn GET(ctx: RouteContext<Params>) -> String {
        let n = super::ITEMS_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("item {} render {n}", ctx.params.id)
    }
}

#[route("/cache/stale")]
mod stale {
    pub const REVALIDATE: u64 = 1;
    pub async fn GET() -> String {
        let n = super::STALE_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("render {n}")
    }
}

#[route("/cache/flight")]
mod flight {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        let n = super::FLIGHT_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        format!("render {n}")
    }
}

#[route("/cache/prerendered")]
mod prerendered {
    use route_runtime::Revalidate;
    pub const REVALIDATE: Revalidate = Revalidate::Forever;
    pub async fn GET() -> &'static str {
        super::PRERENDER_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        "static"
    }
}

#[route("/cache/sets-cookie")]
mod sets_cookie {
    use route_runtime::cookies::cookies;
    use route_runtime::RouteError;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> Result<&'static str, RouteError> {
        super::COOKIE_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        cookies().set("session", "for-one-client-only")?;
        Ok("personal")
    }
}

#[route("/cache/reads")]
mod reads {
    use route_runtime::cookies::cookies;
    use route_runtime::headers;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        super::READS_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let user = cookies().get("user").unwrap_or_default();
        let agent = headers().get("x-agent").unwrap_or_default();
        format!("user={user} agent={agent}")
    }
}

#[route("/cache/status")]
mod status {
    use route_runtime::StatusCode;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> (StatusCode, &'static str) {
        super::STATUS_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (StatusCode::ACCEPTED, "accepted")
    }
}

#[route("/cache/big")]
mod big {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        super::BIG_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        "x".repeat(64 * 1024)
    }
}

#[route("/cache/private")]
mod private {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> ([(&'static str, &'static str); 1], &'static str) {
        super::PRIVATE_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ([("cache-control", "private, max-age=10")], "mine")
    }
}

#[route("/cache/vary")]
mod vary {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> ([(&'static str, &'static str); 1], &'static str) {
        super::VARY_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ([("vary", "Cookie")], "varies")
    }
}

#[route("/cache/auth")]
mod auth {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        let n = super::AUTH_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("render {n}")
    }
}

#[route("/cache/query")]
mod query {
    use route_runtime::Request;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET(request: Request) -> String {
        super::QUERY_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let params = request.next_url().search_params();
        format!("a={:?} b={:?}", params.get("a"), params.get("b"))
    }
}

/// Reads the query as written: its spelling is not in the key, so such a response is not cached.
#[route("/cache/url")]
mod url {
    use route_runtime::Request;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET(request: Request) -> String {
        super::URL_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!(
            "url={} search={}",
            request.url(),
            request.next_url().search()
        )
    }
}

/// Walks the pairs in order: the order of different names is not in the key either.
#[route("/cache/pairs")]
mod pairs {
    use route_runtime::Request;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET(request: Request) -> String {
        let params = request.next_url().search_params();
        let pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.join(",")
    }
}

#[route("/cache/tagged")]
mod tagged {
    use route_runtime::cache::revalidate_tag;
    use route_runtime::RouteError;
    pub const REVALIDATE: u64 = 60;
    pub const TAGS: &[&str] = &["posts"];
    pub async fn GET() -> String {
        let n = super::TAG_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("render {n}")
    }
    // The webhook of Next.js's docs: invalidate, then the next GET regenerates.
    pub async fn POST() -> Result<&'static str, RouteError> {
        revalidate_tag("posts").await?;
        Ok("revalidated")
    }
}

#[route("/cache/by-path")]
mod by_path {
    use route_runtime::cache::revalidate_path;
    use route_runtime::RouteError;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        let n = super::PATH_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("render {n}")
    }
    pub async fn DELETE() -> Result<&'static str, RouteError> {
        revalidate_path("/cache/by-path").await?;
        Ok("revalidated")
    }
}

#[route("/cache/force-dynamic")]
mod force_dynamic {
    use route_runtime::Dynamic;
    pub const REVALIDATE: u64 = 60;
    pub const DYNAMIC: Dynamic = Dynamic::ForceDynamic;
    pub async fn GET() -> &'static str {
        super::DYNAMIC_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        "dynamic"
    }
}

/// `force-dynamic` with the handler's own `Cache-Control`, which passes through.
#[route("/cache/force-dynamic-own")]
mod force_dynamic_own {
    use route_runtime::Dynamic;
    pub const DYNAMIC: Dynamic = Dynamic::ForceDynamic;
    pub async fn GET() -> ([(&'static str, &'static str); 1], &'static str) {
        ([("cache-control", "public, max-age=10")], "dynamic")
    }
}

#[route("/cache/force-static")]
mod force_static {
    use route_runtime::cookies::cookies;
    use route_runtime::{headers, Dynamic, Request};
    pub const DYNAMIC: Dynamic = Dynamic::ForceStatic;
    pub async fn GET(request: Request) -> String {
        super::STATIC_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!(
            "query={:?} cookie={:?} header={:?}",
            request.next_url().search_params().get("q"),
            cookies().get("user"),
            headers().get("x-agent"),
        )
    }
}

#[route("/cache/error-mode")]
mod error_mode {
    use route_runtime::{headers, Dynamic};
    pub const DYNAMIC: Dynamic = Dynamic::Error;
    pub async fn GET() -> String {
        format!("{:?}", headers().get("x-agent"))
    }
}

#[route("/cache/error-mode-clean")]
mod error_mode_clean {
    pub const DYNAMIC: &str = "error";
    pub async fn GET() -> &'static str {
        "pure"
    }
}

#[route("/cache/slow")]
mod slow {
    pub const MAX_DURATION: u64 = 1;
    pub async fn GET() -> &'static str {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        "too late"
    }
}

async fn server() -> TestServer {
    let app = routes![
        hits,
        items,
        stale,
        flight,
        prerendered,
        sets_cookie,
        reads,
        status,
        big,
        private,
        vary,
        auth,
        query,
        url,
        pairs,
        tagged,
        by_path,
        force_dynamic,
        force_dynamic_own,
        force_static,
        error_mode,
        error_mode_clean,
        slow,
    ]
    .with_cache(Cache::default().max_entry_bytes(16 * 1024))
    .into_router();
    TestServer::start(app).await
}

async fn get(server: &TestServer, path: &str) -> (u16, Option<String>, String) {
    let response = client()
        .get(server.url(path))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let cache = response
        .headers()
        .get("x-nextjs-cache")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, cache, response.text().await.expect("body"))
}

fn hit(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[tokio::test]
async fn miss_then_hit_with_next_headers() {
    let server = server().await;
    let first = client()
        .get(server.url("/cache/hits"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(header(&first, "x-nextjs-cache"), "MISS");
    assert_eq!(
        header(&first, "cache-control"),
        "s-maxage=60, stale-while-revalidate=31535940"
    );
    assert_eq!(first.text().await.unwrap(), "render 1");
    let second = client()
        .get(server.url("/cache/hits"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&second, "x-nextjs-cache"), "HIT");
    assert_eq!(
        header(&second, "cache-control"),
        "s-maxage=60, stale-while-revalidate=31535940"
    );
    assert_eq!(second.text().await.unwrap(), "render 1");
    assert_eq!(runs(&HITS_RUNS), 1);

    // HEAD reads the GET entry, with no body.
    let head = client()
        .head(server.url("/cache/hits"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&head, "x-nextjs-cache"), "HIT");
    assert_eq!(head.text().await.unwrap(), "");

    // A POST runs its own handler and neither reads nor replaces the cached GET.
    let post = client()
        .post(server.url("/cache/hits"))
        .send()
        .await
        .unwrap();
    assert!(post.headers().get("x-nextjs-cache").is_none());
    assert_eq!(post.text().await.unwrap(), "posted");
    assert_eq!(
        get(&server, "/cache/hits").await,
        (200, hit("HIT"), "render 1".into())
    );
    assert_eq!(runs(&HITS_RUNS), 1);
}

#[tokio::test]
async fn a_route_with_params_caches_each_value_and_renders_with_its_params() {
    let server = server().await;
    assert_eq!(
        get(&server, "/cache/items/a%20b").await,
        (200, hit("MISS"), "item a b render 1".into())
    );
    assert_eq!(
        get(&server, "/cache/items/a%20b").await,
        (200, hit("HIT"), "item a b render 1".into())
    );
    assert_eq!(
        get(&server, "/cache/items/c").await,
        (200, hit("MISS"), "item c render 2".into())
    );
    assert_eq!(
        get(&server, "/cache/items/c").await,
        (200, hit("HIT"), "item c render 2".into())
    );
    assert_eq!(runs(&ITEMS_RUNS), 2);
}

#[tokio::test]
async fn stale_is_served_at_once_then_regenerated_once() {
    let server = server().await;
    assert_eq!(
        get(&server, "/cache/stale").await,
        (200, hit("MISS"), "render 1".into())
    );
    assert_eq!(
        get(&server, "/cache/stale").await,
        (200, hit("HIT"), "render 1".into())
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Past the window: the stale copy at once, and one background regeneration.
    let (status, cache, body) = get(&server, "/cache/stale").await;
    assert_eq!(
        (status, cache, body),
        (200, hit("STALE"), "render 1".into())
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while runs(&STALE_RUNS) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no regeneration");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Give the regeneration a moment to be stored, then the fresh copy is a HIT.
    let mut fresh = get(&server, "/cache/stale").await;
    for _ in 0..50 {
        if fresh.2 == "render 2" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        fresh = get(&server, "/cache/stale").await;
    }
    assert_eq!(fresh, (200, hit("HIT"), "render 2".into()));
    assert_eq!(runs(&STALE_RUNS), 2, "exactly one regeneration");
}

#[tokio::test]
async fn concurrent_misses_run_the_handler_once() {
    let server = server().await;
    let url = server.url("/cache/flight");
    let requests = (0..20).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let response = client().get(url).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    });
    for request in futures_util::future::join_all(requests).await {
        assert_eq!(request.unwrap(), (200, "render 1".to_owned()));
    }
    assert_eq!(runs(&FLIGHT_RUNS), 1);
}

#[tokio::test]
async fn static_routes_are_rendered_at_startup() {
    // Only cacheable routes are rendered: the force-dynamic one is not in the list.
    let routes = routes![prerendered, force_dynamic].with_cache(Cache::default());
    assert_eq!(routes.static_paths(), vec!["/cache/prerendered"]);
    let app = routes.into_prerendered_router().await;
    assert_eq!(runs(&PRERENDER_RUNS), 1, "rendered before serving");
    let server = TestServer::start(app).await;
    let response = client()
        .get(server.url("/cache/prerendered"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "x-nextjs-cache"), "HIT");
    assert_eq!(header(&response, "cache-control"), "s-maxage=31536000");
    assert_eq!(runs(&PRERENDER_RUNS), 1);
}

/// Requests `path` twice and returns the two responses' cache headers; the counter says how often
/// the handler ran.
async fn twice(server: &TestServer, path: &str) -> [(u16, Option<String>); 2] {
    let a = get(server, path).await;
    let b = get(server, path).await;
    [(a.0, a.1), (b.0, b.1)]
}

#[tokio::test]
async fn responses_that_set_cookies_are_never_shared() {
    let server = server().await;
    for _ in 0..2 {
        let response = client()
            .get(server.url("/cache/sets-cookie"))
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("x-nextjs-cache").is_none());
        assert_eq!(
            header(&response, "set-cookie"),
            "session=for-one-client-only; Path=/"
        );
    }
    assert_eq!(runs(&COOKIE_RUNS), 2);
}

#[tokio::test]
async fn handlers_that_read_request_data_are_not_cached() {
    let server = server().await;
    let alice = client()
        .get(server.url("/cache/reads"))
        .header("cookie", "user=alice")
        .header("x-agent", "a")
        .send()
        .await
        .unwrap();
    assert!(alice.headers().get("x-nextjs-cache").is_none());
    assert_eq!(alice.text().await.unwrap(), "user=alice agent=a");
    let bob = client()
        .get(server.url("/cache/reads"))
        .header("cookie", "user=bob")
        .send()
        .await
        .unwrap();
    assert_eq!(bob.text().await.unwrap(), "user=bob agent=");
    assert_eq!(runs(&READS_RUNS), 2);
}

#[tokio::test]
async fn handlers_that_read_the_query_as_written_are_not_cached() {
    // `?q=%41` and `?q=A` are one key (the decoded query), but not one answer to `url()`.
    let server = server().await;
    for (path, body) in [
        ("/cache/url?q=%41", "url=/cache/url?q=%41 search=?q=%41"),
        ("/cache/url?q=A", "url=/cache/url?q=A search=?q=A"),
    ] {
        assert_eq!(get(&server, path).await, (200, None, body.to_owned()));
    }
    assert_eq!(runs(&URL_RUNS), 2);
    // Without a query there is nothing to spell differently: cached.
    assert_eq!(
        get(&server, "/cache/url").await,
        (200, hit("MISS"), "url=/cache/url search=".into())
    );
    assert_eq!(get(&server, "/cache/url").await.1, hit("HIT"));
    assert_eq!(runs(&URL_RUNS), 3);
    // `?b=2&a=1` and `?a=1&b=2` are one key, but not one order of pairs.
    for (path, body) in [
        ("/cache/pairs?b=2&a=1", "b=2,a=1"),
        ("/cache/pairs?a=1&b=2", "a=1,b=2"),
    ] {
        assert_eq!(get(&server, path).await, (200, None, body.to_owned()));
    }
    // One pair has no order to tell: cached.
    assert_eq!(get(&server, "/cache/pairs?a=1").await.1, hit("MISS"));
    assert_eq!(get(&server, "/cache/pairs?a=1").await.1, hit("HIT"));
}

#[tokio::test]
async fn non_200_private_vary_and_oversized_are_not_cached() {
    let server = server().await;
    assert_eq!(
        twice(&server, "/cache/status").await,
        [(202, None), (202, None)]
    );
    assert_eq!(runs(&STATUS_RUNS), 2);
    assert_eq!(
        twice(&server, "/cache/private").await,
        [(200, None), (200, None)]
    );
    assert_eq!(runs(&PRIVATE_RUNS), 2);
    assert_eq!(
        twice(&server, "/cache/vary").await,
        [(200, None), (200, None)]
    );
    assert_eq!(runs(&VARY_RUNS), 2);
    // Over the 16 KiB cap: served whole, not stored.
    let (status, cache, body) = get(&server, "/cache/big").await;
    assert_eq!((status, cache, body.len()), (200, None, 64 * 1024));
    let (_, cache, body) = get(&server, "/cache/big").await;
    assert_eq!((cache, body.len()), (None, 64 * 1024));
    assert_eq!(runs(&BIG_RUNS), 2);
}

#[tokio::test]
async fn requests_with_authorization_bypass_the_cache() {
    let server = server().await;
    let url = server.url("/cache/auth");
    let authed = client()
        .get(&url)
        .header("authorization", "Bearer x")
        .send()
        .await
        .unwrap();
    assert!(authed.headers().get("x-nextjs-cache").is_none());
    assert_eq!(authed.text().await.unwrap(), "render 1");
    // Nothing was stored: the next anonymous request is a MISS that renders again.
    assert_eq!(
        get(&server, "/cache/auth").await,
        (200, hit("MISS"), "render 2".into())
    );
}

#[tokio::test]
async fn the_key_is_the_normalised_query_never_a_header() {
    let server = server().await;
    let first = client()
        .get(server.url("/cache/query?b=2&a=1"))
        .header("x-forwarded-host", "evil.example")
        .header("x-odd", "plant-me")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&first, "x-nextjs-cache"), "MISS");
    assert_eq!(
        get(&server, "/cache/query?a=1&b=2").await,
        (200, hit("HIT"), "a=Some(\"1\") b=Some(\"2\")".into())
    );
    assert_eq!(runs(&QUERY_RUNS), 1);
    assert_eq!(
        get(&server, "/cache/query?a=3").await,
        (200, hit("MISS"), "a=Some(\"3\") b=None".into())
    );
    assert_eq!(runs(&QUERY_RUNS), 2);
}

#[tokio::test]
async fn revalidate_tag_and_path_make_the_next_request_regenerate() {
    let server = server().await;
    assert_eq!(
        get(&server, "/cache/tagged").await,
        (200, hit("MISS"), "render 1".into())
    );
    assert_eq!(
        get(&server, "/cache/tagged").await,
        (200, hit("HIT"), "render 1".into())
    );
    let post = client()
        .post(server.url("/cache/tagged"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.text().await.unwrap(), "revalidated");
    assert_eq!(
        get(&server, "/cache/tagged").await,
        (200, hit("MISS"), "render 2".into())
    );

    assert_eq!(
        get(&server, "/cache/by-path").await,
        (200, hit("MISS"), "render 1".into())
    );
    assert_eq!(
        get(&server, "/cache/by-path").await,
        (200, hit("HIT"), "render 1".into())
    );
    let delete = client()
        .delete(server.url("/cache/by-path"))
        .send()
        .await
        .unwrap();
    assert_eq!(delete.text().await.unwrap(), "revalidated");
    assert_eq!(
        get(&server, "/cache/by-path").await,
        (200, hit("MISS"), "render 2".into())
    );
}

#[tokio::test]
async fn force_dynamic_is_never_cached_and_adds_no_cache_control() {
    // As Next.js 16 answers: like the default, not cached and without a `Cache-Control` of its
    // own; a handler's own passes through.
    let server = server().await;
    for _ in 0..2 {
        let response = client()
            .get(server.url("/cache/force-dynamic"))
            .send()
            .await
            .unwrap();
        assert!(response.headers().get("x-nextjs-cache").is_none());
        assert!(response.headers().get("cache-control").is_none());
    }
    assert_eq!(runs(&DYNAMIC_RUNS), 2);
    let own = client()
        .get(server.url("/cache/force-dynamic-own"))
        .send()
        .await
        .unwrap();
    assert!(own.headers().get("x-nextjs-cache").is_none());
    assert_eq!(header(&own, "cache-control"), "public, max-age=10");
}

#[tokio::test]
async fn force_static_strips_the_request_and_ignores_the_query() {
    let server = server().await;
    let first = client()
        .get(server.url("/cache/force-static?q=1"))
        .header("cookie", "user=alice")
        .header("x-agent", "a")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&first, "x-nextjs-cache"), "MISS");
    assert_eq!(header(&first, "cache-control"), "s-maxage=31536000");
    assert_eq!(
        first.text().await.unwrap(),
        "query=None cookie=None header=None"
    );
    let (_, cache, body) = get(&server, "/cache/force-static?q=2").await;
    assert_eq!(
        (cache, body.as_str()),
        (hit("HIT"), "query=None cookie=None header=None")
    );
    assert_eq!(runs(&STATIC_RUNS), 1);
}

#[tokio::test]
async fn dynamic_error_routes_that_read_request_data_answer_500() {
    let server = server().await;
    let response = client()
        .get(server.url("/cache/error-mode"))
        .header("x-agent", "a")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(response.text().await.unwrap(), "", "no message sent");
    // A Dynamic::Error route that reads nothing is cached forever (Next.js's string form works too).
    assert_eq!(
        twice(&server, "/cache/error-mode-clean").await,
        [(200, hit("MISS")), (200, hit("HIT"))]
    );
}

#[tokio::test]
async fn max_duration_answers_504() {
    let server = server().await;
    let started = std::time::Instant::now();
    let response = client()
        .get(server.url("/cache/slow"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 504);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}
