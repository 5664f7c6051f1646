//! Every example of the Next.js Route Handlers documentation, as `#[route]` modules.
//!
//! `main.rs` serves them; the end-to-end tests include this file and test the same router.

use route_runtime::{route, routes, Routes};

/// `GET /api/hello` → `{"message":"Hello World"}`.
#[route("/api/hello")]
pub mod hello {
    use route_runtime::Json;
    use serde_json::{json, Value};

    pub async fn GET() -> Json<Value> {
        Json(json!({ "message": "Hello World" }))
    }
}

/// All seven methods, each answering its own name.
#[route("/api/methods")]
pub mod methods {
    pub async fn GET() -> &'static str {
        "GET"
    }
    pub async fn HEAD() -> &'static str {
        "HEAD"
    }
    pub async fn POST() -> &'static str {
        "POST"
    }
    pub async fn PUT() -> &'static str {
        "PUT"
    }
    pub async fn DELETE() -> &'static str {
        "DELETE"
    }
    pub async fn PATCH() -> &'static str {
        "PATCH"
    }
    pub async fn OPTIONS() -> &'static str {
        "OPTIONS"
    }
}

/// `GET /dashboard/[team]` → its params as JSON.
#[route("/dashboard/[team]")]
pub mod dashboard {
    use route_runtime::{Json, Request, RouteContext};

    // Next.js's argument order: (request, context).
    pub async fn GET(_request: Request, ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// `GET /shop/[tag]/[item]` → its params as JSON.
#[route("/shop/[tag]/[item]")]
pub mod shop_item {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// `GET /blog/[...slug]` → `{"slug": [...]}`, each segment decoded on its own.
#[route("/blog/[...slug]")]
pub mod blog {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// `GET /docs/[[...slug]]` → `{}` for `/docs`, `{"slug": [...]}` below it.
#[route("/docs/[[...slug]]")]
pub mod docs {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// `GET /items/[slug]` → its params as JSON.
#[route("/items/[slug]")]
pub mod items {
    use route_runtime::{Json, RouteContext};

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
        Json(ctx.params)
    }
}

/// `GET /users/[id]` with a typed param: `/users/abc` is a 400 naming `id`.
#[route("/users/[id]")]
pub mod users {
    use route_runtime::{Json, RouteContext};
    use serde_json::{json, Value};

    pub struct Params {
        pub id: u64,
    }

    pub async fn GET(ctx: RouteContext<Params>) -> Json<Value> {
        Json(json!({ "id": ctx.params.id }))
    }
}

/// `GET /api/cookies`: reads cookie `token`, answers `Hello`, sets it back.
#[route("/api/cookies")]
pub mod cookies_example {
    use route_runtime::cookies::cookies;
    use route_runtime::RouteError;

    pub async fn GET() -> Result<&'static str, RouteError> {
        let jar = cookies();
        let token = jar.get("token").unwrap_or_default();
        jar.set("token", &token)?;
        Ok("Hello")
    }
}

/// `GET /api/headers`: echoes the `referer` request header.
#[route("/api/headers")]
pub mod headers_example {
    use route_runtime::{headers, IntoResponse};

    pub async fn GET() -> impl IntoResponse {
        let referer = headers().get("referer").unwrap_or_default();
        ([("referer", referer)], "Hello")
    }
}

/// `POST /api/echo` → `{"received": <json body>}`.
#[route("/api/echo")]
pub mod echo {
    use route_runtime::{Json, Request, RouteError};
    use serde_json::{json, Value};

    pub async fn POST(request: Request) -> Result<Json<Value>, RouteError> {
        let body: Value = request.json().await?;
        Ok(Json(json!({ "received": body })))
    }
}

/// `POST /api/form` → `{"name": .., "email": ..}` from url-encoded or multipart form data.
#[route("/api/form")]
pub mod form {
    use route_runtime::{Json, Request, RouteError};
    use serde_json::{json, Value};

    pub async fn POST(request: Request) -> Result<Json<Value>, RouteError> {
        let form = request.form_data().await?;
        Ok(Json(json!({
            "name": form.get_text("name"),
            "email": form.get_text("email"),
        })))
    }
}

/// `GET /api/search?query=hello` → `{"query":"hello"}`.
#[route("/api/search")]
pub mod search {
    use route_runtime::{Json, Request};
    use serde_json::{json, Value};

    pub async fn GET(request: Request) -> Json<Value> {
        let query = request.next_url().search_params().get("query");
        Json(json!({ "query": query }))
    }
}

/// `GET /api/redirect` → `307` to nextjs.org.
#[route("/api/redirect")]
pub mod redirect_example {
    use route_runtime::navigation::redirect;
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        redirect("https://nextjs.org/")
    }
}

/// `GET /api/stream`: `<p>One</p>`, then `<p>Two</p>` 200 ms later, sent as produced.
#[route("/api/stream")]
pub mod stream {
    use std::convert::Infallible;
    use std::time::Duration;

    use route_runtime::response::{stream, StreamResponse};

    pub async fn GET() -> StreamResponse {
        let chunks = futures_util::stream::unfold(0u8, |step| async move {
            match step {
                0 => Some((Ok::<_, Infallible>("<p>One</p>"), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Some((Ok("<p>Two</p>"), 2))
                }
                _ => None,
            }
        });
        stream(chunks).content_type("text/html; charset=utf-8")
    }
}

/// `GET /api/cors` → `Hello` with the CORS headers of the Next.js docs example.
#[route("/api/cors")]
pub mod cors {
    use route_runtime::IntoResponse;

    pub async fn GET() -> impl IntoResponse {
        (
            [
                ("access-control-allow-origin", "*"),
                (
                    "access-control-allow-methods",
                    "GET, POST, PUT, DELETE, OPTIONS",
                ),
                (
                    "access-control-allow-headers",
                    "Content-Type, Authorization",
                ),
            ],
            "Hello",
        )
    }
}

/// `POST /api/webhook` → `Success!`, or `400 Webhook error: …` when the body is not text.
#[route("/api/webhook")]
pub mod webhook {
    use route_runtime::{IntoResponse, Request, Response, StatusCode};

    pub async fn POST(request: Request) -> Response {
        match request.text().await {
            Ok(text) => {
                tracing::info!(bytes = text.len(), "webhook payload received");
                "Success!".into_response()
            }
            Err(error) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "Webhook error: {}",
                    error.message().unwrap_or("unreadable body")
                ),
            )
                .into_response(),
        }
    }
}

/// `GET /rss.xml` → an RSS document, `content-type: text/xml`.
#[route("/rss.xml")]
pub mod rss {
    use route_runtime::response::{xml, XmlResponse};

    pub async fn GET() -> XmlResponse {
        xml(r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">
<channel>
  <title>Next.js Documentation</title>
  <link>https://nextjs.org/docs</link>
  <description>The React Framework for the Web</description>
</channel>
</rss>"#)
    }
}

/// The deliberately slow upstream of `/api/posts` (the docs fetch a remote API; this machine has
/// no internet, so the "API" is a local function that takes its time).
pub mod upstream {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// How many times the upstream was called (the cache keeps this low).
    pub static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// How long one upstream call takes.
    pub const LATENCY: Duration = Duration::from_millis(300);

    /// The posts, after `LATENCY`.
    pub async fn fetch_posts() -> serde_json::Value {
        CALLS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(LATENCY).await;
        serde_json::json!([
            { "id": 1, "title": "Route Handlers in Rust" },
            { "id": 2, "title": "Incremental caching" },
        ])
    }
}

/// `GET /api/posts`, cached for 60 s and tagged `posts`.
#[route("/api/posts")]
pub mod posts {
    use route_runtime::Json;
    use serde_json::Value;

    pub const REVALIDATE: u64 = 60;
    pub const TAGS: &[&str] = &["posts"];

    pub async fn GET() -> Json<Value> {
        Json(super::upstream::fetch_posts().await)
    }
}

/// `POST /api/revalidate?tag=posts` → on-demand revalidation.
#[route("/api/revalidate")]
pub mod revalidate {
    use route_runtime::cache::revalidate_tag;
    use route_runtime::{Json, Request, RouteError};
    use serde_json::{json, Value};

    pub async fn POST(request: Request) -> Result<Json<Value>, RouteError> {
        let Some(tag) = request.next_url().search_params().get("tag") else {
            return Err(RouteError::bad_request("missing `tag` search param"));
        };
        revalidate_tag(&tag).await?;
        Ok(Json(json!({ "revalidated": true, "tag": tag })))
    }
}

/// Every route of the app.
pub fn routes() -> Routes {
    routes![
        hello,
        methods,
        dashboard,
        shop_item,
        blog,
        docs,
        items,
        users,
        cookies_example,
        headers_example,
        echo,
        form,
        search,
        redirect_example,
        stream,
        cors,
        webhook,
        rss,
        posts,
        revalidate,
    ]
}
