//! Putting routes together: static-over-dynamic precedence, canonical paths (308), conflicts,
//! axum state, and living inside an existing axum app behind tower layers.

use std::time::Duration;

use axum::middleware::{self, Next};
use reqwest::StatusCode;
use route_runtime::{route, routes, NormalizePathLayer, Routes};
use serde_json::{json, Value};
use tower::Layer;

use crate::common::{client, header, TestServer};

#[route("/dashboard/[team]")]
mod team {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/dashboard/settings")]
mod settings {
    pub async fn GET() -> &'static str {
        "settings"
    }
}

#[route("/blog/[...slug]")]
mod blog {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

#[route("/blog/featured")]
mod featured {
    pub async fn GET() -> &'static str {
        "featured"
    }
}

#[route("/rss.xml")]
mod rss {
    pub async fn GET() -> &'static str {
        "<rss/>"
    }
}

#[route("/")]
mod home {
    pub async fn GET() -> &'static str {
        "home"
    }
}

#[route("/api/post")]
mod post {
    pub async fn POST() -> &'static str {
        "posted"
    }
}

async fn server() -> TestServer {
    TestServer::start(routes![team, settings, blog, featured, rss, home, post].into_router()).await
}

#[tokio::test]
async fn static_segments_win_over_dynamic_ones() {
    let server = server().await;
    assert_eq!(
        server
            .get("/dashboard/settings")
            .await
            .text()
            .await
            .unwrap(),
        "settings"
    );
    // Paths are case-sensitive: this is a team.
    let body: Value = server
        .get("/dashboard/Settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({ "team": "Settings" }));
    assert_eq!(
        server.get("/blog/featured").await.text().await.unwrap(),
        "featured"
    );
    let body: Value = server.get("/blog/featured/x").await.json().await.unwrap();
    assert_eq!(body, json!({ "slug": ["featured", "x"] }));
}

#[tokio::test]
async fn dots_are_ordinary_characters_and_there_is_no_extension_fallback() {
    let server = server().await;
    assert_eq!(server.get("/rss.xml").await.text().await.unwrap(), "<rss/>");
    assert_eq!(server.get("/rss").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(server.get("/").await.text().await.unwrap(), "home");
}

#[tokio::test]
async fn trailing_slash_is_a_308_keeping_the_query_for_every_method() {
    let server = server().await;
    let res = server.get("/dashboard/1/?q=2").await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&res, "location"), "/dashboard/1?q=2");
    assert!(res.headers().get("refresh").is_none());

    let res = client()
        .post(server.url("/api/post/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(header(&res, "location"), "/api/post");
}

#[tokio::test]
async fn repeated_slashes_and_dot_segments_are_canonicalised() {
    let server = server().await;
    for (raw_path, location) in [
        ("//dashboard/1", "/dashboard/1"),
        ("/dashboard//1", "/dashboard/1"),
        ("/dashboard/a/../b", "/dashboard/b"),
    ] {
        let request = format!("GET {raw_path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let response = server.raw(request.as_bytes(), Duration::from_secs(2)).await;
        assert!(
            response.starts_with("HTTP/1.1 308"),
            "{raw_path}: {response}"
        );
        assert!(
            response
                .to_ascii_lowercase()
                .contains(&format!("location: {location}\r\n")),
            "{raw_path}: {response}"
        );
    }
}

#[route("/items/[id]")]
mod items_id {
    pub async fn GET() {}
}

#[route("/items/[slug]")]
mod items_slug {
    pub async fn GET() {}
}

#[route("/(shop)/items/[id]")]
mod items_grouped {
    pub async fn GET() {}
}

#[test]
fn conflicts_are_refused_at_startup_naming_both_routes() {
    // Built at run time (no `routes!`), so the check happens at startup.
    let different_names = Routes::<()>::new()
        .add(&items_id::ROUTE, items_id::router())
        .add(&items_slug::ROUTE, items_slug::router());
    let error = different_names.try_into_router().unwrap_err().to_string();
    assert!(
        error.contains("/items/[id]") && error.contains("/items/[slug]"),
        "{error}"
    );

    let same_url = Routes::<()>::new()
        .add(&items_id::ROUTE, items_id::router())
        .add(&items_grouped::ROUTE, items_grouped::router());
    let error = same_url.try_into_router().unwrap_err().to_string();
    assert!(error.contains("/(shop)/items/[id]"), "{error}");
}

#[derive(Clone)]
pub struct AppState {
    pub greeting: &'static str,
}

/// `State<T>` in a handler: the router's state type is inferred.
#[route("/state/inferred")]
mod state_inferred {
    use route_runtime::__private::axum::extract::State;

    pub async fn GET(State(state): State<super::AppState>) -> &'static str {
        state.greeting
    }
}

/// `state = T` spelled out (resolved where the attribute is written), with a handler that takes request and context too.
#[route("/state/explicit/[name]", state = AppState)]
mod state_explicit {
    use route_runtime::__private::axum::extract::State;
    use route_runtime::{Request, RouteContext};

    pub async fn GET(
        _request: Request,
        ctx: RouteContext<Params>,
        State(state): State<super::AppState>,
    ) -> String {
        format!("{}, {}", state.greeting, ctx.params.name)
    }
}

#[tokio::test]
async fn handlers_can_take_axum_state() {
    let app = routes![state_inferred, state_explicit]
        .into_router()
        .with_state(AppState { greeting: "hello" });
    let server = TestServer::start(app).await;
    assert_eq!(
        server.get("/state/inferred").await.text().await.unwrap(),
        "hello"
    );
    assert_eq!(
        server
            .get("/state/explicit/ana")
            .await
            .text()
            .await
            .unwrap(),
        "hello, ana"
    );
}

async fn stamp(request: axum::extract::Request, next: Next) -> axum::response::Response {
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .insert("x-layer", axum::http::HeaderValue::from_static("yes"));
    response
}

#[tokio::test]
async fn routes_live_inside_an_existing_axum_app_behind_tower_layers() {
    let existing = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    let app = existing
        .merge(routes![team, settings].into_router())
        .nest("/v2", routes![rss].into_router())
        .layer(middleware::from_fn(stamp));
    // Served by plain axum (not route_runtime::serve), with the path normalisation as a layer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = NormalizePathLayer.layer(app);
    tokio::spawn(async move {
        let make = axum::ServiceExt::<axum::extract::Request>::into_make_service(service);
        axum::serve(listener, make).await.unwrap();
    });
    let url = |p: &str| format!("http://{addr}{p}");
    let res = client().get(url("/health")).send().await.unwrap();
    assert_eq!(header(&res, "x-layer"), "yes");
    let res = client().get(url("/dashboard/7")).send().await.unwrap();
    assert_eq!(header(&res, "x-layer"), "yes");
    assert_eq!(res.json::<Value>().await.unwrap(), json!({ "team": "7" }));
    let res = client().get(url("/v2/rss.xml")).send().await.unwrap();
    assert_eq!(res.text().await.unwrap(), "<rss/>");
    let res = client().get(url("/dashboard/7/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
}

#[route("/api/v1/[a]/x")]
mod deep_a {
    pub async fn GET() {}
}

#[route("/api/v1/[b]/y")]
mod deep_b {
    pub async fn GET() {}
}

#[route("/api/v1/static/x")]
mod deep_static {
    pub async fn GET() {}
}

#[test]
fn conflicts_below_a_shared_prefix_are_found() {
    // A static sibling of a dynamic segment is not a conflict.
    let fine = Routes::<()>::new()
        .add(&deep_a::ROUTE, deep_a::router())
        .add(&deep_static::ROUTE, deep_static::router());
    assert!(fine.try_into_router().is_ok());
    // Different slug names at the same position, three segments down.
    let clash = Routes::<()>::new()
        .add(&deep_static::ROUTE, deep_static::router())
        .add(&deep_a::ROUTE, deep_a::router())
        .add(&deep_b::ROUTE, deep_b::router());
    let error = clash.try_into_router().unwrap_err().to_string();
    assert!(
        error.contains("/api/v1/[a]/x") && error.contains("/api/v1/[b]/y"),
        "{error}"
    );
}

#[route("/café")]
mod cafe {
    pub const REVALIDATE: u64 = 60;

    pub async fn GET() -> &'static str {
        "café"
    }
}

#[route("/menu/café/[item]")]
mod cafe_item {
    use route_runtime::RouteContext;

    pub async fn GET(ctx: RouteContext<Params>) -> String {
        ctx.params.item
    }
}

/// A static segment outside ASCII is routed as clients send it (UTF-8, percent-encoded), and
/// `PATTERN` keeps what was written.
#[tokio::test]
async fn non_ascii_static_segments_are_routed_as_clients_send_them() {
    assert_eq!(cafe::PATTERN, "/café");
    assert_eq!(cafe::AXUM_PATHS, ["/caf%C3%A9"]);
    let routes: Routes = routes![cafe, cafe_item];
    // The startup prerender requests it as a client would.
    assert_eq!(routes.static_paths(), ["/caf%C3%A9"]);
    let app = routes.into_router();
    let server = TestServer::start(app).await;
    let response = server.get("/café").await; // reqwest encodes it
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "café");
    let response = server.get("/menu/caf%C3%A9/th%C3%A9").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "thé");
}
