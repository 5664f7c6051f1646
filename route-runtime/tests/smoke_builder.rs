//! Drives RouteBuilder by hand (what #[route] generates) through tower, before the macro exists.
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use route_runtime::__private::*;
use tower::ServiceExt;

static ROUTE: RouteInfo = RouteInfo {
    pattern: "/blog/[...slug]",
    segments: &[Segment::Static("blog"), Segment::CatchAll("slug")],
    methods: &[RouteMethod::Get],
    config: RouteConfig::DEFAULT,
};

static CACHED: RouteInfo = RouteInfo {
    pattern: "/cached",
    segments: &[Segment::Static("cached")],
    methods: &[RouteMethod::Get],
    config: RouteConfig {
        revalidate: Revalidate::Seconds(60),
        ..RouteConfig::DEFAULT
    },
};

fn app() -> axum::Router {
    let blog = RouteBuilder::<()>::new(&ROUTE)
        .handler(
            RouteMethod::Get,
            |parts: Parts, _body: Body, _s: ()| async move {
                let raw = parts.extensions.get::<RawParams>().cloned().unwrap();
                format!("{:?}", raw.get("slug").unwrap()).into_response()
            },
        )
        .build();
    let cached = RouteBuilder::<()>::new(&CACHED)
        .handler(RouteMethod::Get, |_p: Parts, _b: Body, _s: ()| async move {
            "fresh".into_response()
        })
        .build();
    Routes::new()
        .add(&ROUTE, blog)
        .add(&CACHED, cached)
        .into_router()
}

async fn call(method: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app()
        .oneshot(
            Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn smoke() {
    let (s, _, b) = call("GET", "/blog/a/b%2Fc/d%20e").await;
    assert_eq!(s, 200);
    assert_eq!(b, r#"Many(["a", "b/c", "d e"])"#);
    let (s, h, b) = call("OPTIONS", "/blog/a").await;
    assert_eq!(
        (s.as_u16(), h["allow"].to_str().unwrap(), b.as_str()),
        (204, "GET, HEAD, OPTIONS", "")
    );
    let (s, h, _) = call("POST", "/blog/a").await;
    assert_eq!(
        (s.as_u16(), h["allow"].to_str().unwrap()),
        (405, "GET, HEAD, OPTIONS")
    );
    let (s, h, b) = call("HEAD", "/blog/a").await;
    assert_eq!((s.as_u16(), b.as_str()), (200, ""));
    assert_eq!(h["content-length"], "11");
    let (s, h, _) = call("GET", "/blog/a/").await;
    assert_eq!(
        (s.as_u16(), h["location"].to_str().unwrap()),
        (308, "/blog/a")
    );
    let (s, _, b) = call("GET", "/blog/%zz").await;
    assert_eq!(s, 400, "{b}");
    let (s, h, _) = call("GET", "/cached").await;
    assert_eq!(
        (s.as_u16(), h["x-nextjs-cache"].to_str().unwrap()),
        (200, "MISS")
    );
    let (_, h, b) = call("GET", "/cached").await;
    assert_eq!(
        (h["x-nextjs-cache"].to_str().unwrap(), b.as_str()),
        ("HIT", "fresh")
    );
    assert_eq!(
        h["cache-control"],
        "s-maxage=60, stale-while-revalidate=31535940"
    );
}
