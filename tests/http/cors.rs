//! tower-http's `CorsLayer` around the routes, over real HTTP, as the README documents it: the
//! layer answers every `OPTIONS` itself (hiding the automatic `OPTIONS`/`Allow` answer and a
//! module's own `OPTIONS` handler), adds `Access-Control-Allow-Origin` for allowed origins only,
//! and, with the route cache inside it, never replays one origin's CORS headers to another.

use std::sync::atomic::AtomicUsize;

use reqwest::StatusCode;
use route_runtime::cache::Cache;
use route_runtime::{route, routes};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::common::{client, header, runs, TestServer};

const ALLOWED: &str = "https://allowed.example";
const SECOND: &str = "https://second.example";
const OTHER: &str = "https://other.example";

/// Runs of `own_options_behind_cors`'s `OPTIONS` handler (only the CORS test uses that route).
static BEHIND_CORS_OPTIONS_RUNS: AtomicUsize = AtomicUsize::new(0);
/// Runs of `own_options_bare`'s `OPTIONS` handler (only the no-layer test uses that route).
static BARE_OPTIONS_RUNS: AtomicUsize = AtomicUsize::new(0);
/// Runs of `cached`'s `GET` handler.
static CACHED_RUNS: AtomicUsize = AtomicUsize::new(0);

/// No `OPTIONS` export: the runtime answers `OPTIONS` with `204` and `Allow`.
#[route("/cors/plain")]
mod plain {
    pub async fn GET() -> &'static str {
        "plain get"
    }
    pub async fn POST() -> &'static str {
        "plain post"
    }
}

/// A module with its own `OPTIONS`, served behind the CORS layer.
#[route("/cors/own-options-behind")]
mod own_options_behind_cors {
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> &'static str {
        "behind get"
    }
    pub async fn OPTIONS() -> impl IntoResponse {
        super::BEHIND_CORS_OPTIONS_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (StatusCode::OK, [("allow", "custom")], "own options")
    }
}

/// The same module shape, served without the CORS layer (its own counter, so tests running in
/// parallel never see each other's runs).
#[route("/cors/own-options-bare")]
mod own_options_bare {
    use route_runtime::{IntoResponse, StatusCode};

    pub async fn GET() -> &'static str {
        "bare get"
    }
    pub async fn OPTIONS() -> impl IntoResponse {
        super::BARE_OPTIONS_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        (StatusCode::OK, [("allow", "custom")], "own options")
    }
}

/// A cached route (ISR): one handler run serves every origin.
#[route("/cors/cached")]
mod cached {
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        let n = super::CACHED_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        format!("render {n}")
    }
}

/// One allowed origin, `GET` and `POST`. A one-element list, not `AllowOrigin::exact`: `exact`
/// sends its origin to every request (the browser does the comparison), while a list answers
/// only the origins in it.
fn cors_one_origin() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list([ALLOWED.parse().unwrap()]))
        .allow_methods([reqwest::Method::GET, reqwest::Method::POST])
}

/// A preflight for `POST` from `origin`.
async fn preflight(server: &TestServer, path: &str, origin: &str) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, server.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .send()
        .await
        .expect("request")
}

/// A `GET` with `Origin: origin`, or without `Origin`.
async fn get_from(server: &TestServer, path: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = client().get(server.url(path));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.expect("request")
}

/// Every `access-control-allow-origin` value of the response.
fn allow_origins(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("access-control-allow-origin")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn preflight_is_answered_by_the_cors_layer_never_by_the_route() {
    let app = routes![plain, own_options_behind_cors]
        .into_router()
        .layer(cors_one_origin());
    let server = TestServer::start(app).await;

    // A route without its own OPTIONS: the layer's 200, not the runtime's 204 + Allow.
    let res = preflight(&server, "/cors/plain", ALLOWED).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(allow_origins(&res), [ALLOWED]);
    assert_eq!(header(&res, "access-control-allow-methods"), "GET,POST");
    assert!(res.headers().get("allow").is_none(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "");

    // A route with its own OPTIONS: the handler never runs.
    let res = preflight(&server, "/cors/own-options-behind", ALLOWED).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(allow_origins(&res), [ALLOWED]);
    assert_eq!(header(&res, "access-control-allow-methods"), "GET,POST");
    assert!(res.headers().get("allow").is_none(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "");
    assert_eq!(runs(&BEHIND_CORS_OPTIONS_RUNS), 0);

    // A preflight from an origin that is not allowed: still the layer's answer, without
    // `Access-Control-Allow-Origin`, and still not the handler.
    let res = preflight(&server, "/cors/own-options-behind", OTHER).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    assert!(res.headers().get("allow").is_none(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "");
    assert_eq!(runs(&BEHIND_CORS_OPTIONS_RUNS), 0);

    // Every OPTIONS, not only preflights: a plain OPTIONS (no Origin, no
    // Access-Control-Request-Method) is answered by the layer too.
    for path in ["/cors/plain", "/cors/own-options-behind"] {
        let res = server.send("OPTIONS", path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res.headers().get("allow").is_none(), "{path}");
        assert!(allow_origins(&res).is_empty(), "{path}");
        assert_eq!(res.text().await.unwrap(), "", "{path}");
    }
    assert_eq!(runs(&BEHIND_CORS_OPTIONS_RUNS), 0);

    // Other methods still reach the route.
    let res = get_from(&server, "/cors/own-options-behind", Some(ALLOWED)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "behind get");
    assert_eq!(runs(&BEHIND_CORS_OPTIONS_RUNS), 0);
}

#[tokio::test]
async fn without_the_layer_options_is_the_runtimes_or_the_modules_own() {
    let server = TestServer::start(routes![plain, own_options_bare].into_router()).await;

    // The same preflight request gets the automatic OPTIONS: 204 + Allow, no CORS headers.
    let res = preflight(&server, "/cors/plain", ALLOWED).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "allow"), "GET, HEAD, OPTIONS, POST");
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    assert!(res.headers().get("access-control-allow-methods").is_none());
    assert_eq!(res.text().await.unwrap(), "");

    // A module's own OPTIONS runs, once per request.
    let before = runs(&BARE_OPTIONS_RUNS);
    let res = preflight(&server, "/cors/own-options-bare", ALLOWED).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "allow"), "custom");
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "own options");
    assert_eq!(runs(&BARE_OPTIONS_RUNS), before + 1);

    let res = server.send("OPTIONS", "/cors/own-options-bare").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "own options");
    assert_eq!(runs(&BARE_OPTIONS_RUNS), before + 2);
}

#[tokio::test]
async fn get_through_the_layer_allows_only_the_allowed_origin() {
    let app = routes![plain].into_router().layer(cors_one_origin());
    let server = TestServer::start(app).await;

    let res = get_from(&server, "/cors/plain", Some(ALLOWED)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(allow_origins(&res), [ALLOWED]);
    assert_eq!(header(&res, "vary"), "origin");
    assert_eq!(res.text().await.unwrap(), "plain get");

    // Another origin: the route still answers (the browser is what blocks), without the header.
    let res = get_from(&server, "/cors/plain", Some(OTHER)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "plain get");

    // No Origin at all: no header either.
    let res = get_from(&server, "/cors/plain", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "plain get");

    // POST through the layer too.
    let res = client()
        .post(server.url("/cors/plain"))
        .header("origin", ALLOWED)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(allow_origins(&res), [ALLOWED]);
    assert_eq!(res.text().await.unwrap(), "plain post");
}

#[tokio::test]
async fn cached_response_never_replays_one_origins_allow_origin_to_another() {
    // The README's placement: the cache (in the routes) inside the CORS layer.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list([
            ALLOWED.parse().unwrap(),
            SECOND.parse().unwrap(),
        ]))
        .allow_methods([reqwest::Method::GET]);
    let app = routes![cached]
        .with_cache(Cache::default())
        .into_router()
        .layer(cors);
    let server = TestServer::start(app).await;

    // Origin A fills the cache.
    let res = get_from(&server, "/cors/cached", Some(ALLOWED)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "x-nextjs-cache"), "MISS");
    assert_eq!(allow_origins(&res), [ALLOWED]);
    assert_eq!(res.text().await.unwrap(), "render 1");

    // Origin B (also allowed) gets the cached body with its own origin, and only its own.
    let res = get_from(&server, "/cors/cached", Some(SECOND)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "x-nextjs-cache"), "HIT");
    assert_eq!(allow_origins(&res), [SECOND]);
    assert_eq!(res.text().await.unwrap(), "render 1");

    // A disallowed origin and a request without Origin get the cached body with no
    // Access-Control-Allow-Origin at all.
    let res = get_from(&server, "/cors/cached", Some(OTHER)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "x-nextjs-cache"), "HIT");
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    assert_eq!(res.text().await.unwrap(), "render 1");

    let res = get_from(&server, "/cors/cached", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "x-nextjs-cache"), "HIT");
    assert!(allow_origins(&res).is_empty(), "{:?}", res.headers());
    // tower-http marks the answer as varying with `Origin` when it allows a list of origins.
    assert_eq!(header(&res, "vary"), "origin");
    assert_eq!(res.text().await.unwrap(), "render 1");

    // And A again: still A's header, from the cache.
    let res = get_from(&server, "/cors/cached", Some(ALLOWED)).await;
    assert_eq!(header(&res, "x-nextjs-cache"), "HIT");
    assert_eq!(allow_origins(&res), [ALLOWED]);

    assert_eq!(runs(&CACHED_RUNS), 1, "one handler run served every origin");
}
