//! Next.js Route Handlers, in Rust, on axum.
//!
//! Annotate a module with [`route`] and get an axum router: one handler per exported method
//! (`GET`, `POST`, …), an automatic `OPTIONS` with an `Allow` header, `HEAD` served from `GET`,
//! `405` with `Allow` for the rest, a typed `Params` struct generated from the pattern, route
//! segment config (`REVALIDATE`, `DYNAMIC`, …) that really caches, and request-scoped helpers
//! ([`cookies()`](fn@cookies), [`headers()`](fn@headers), [`redirect()`](fn@redirect),
//! [`not_found()`](fn@not_found)).
//!
//! Handlers return [`RouteError`] with `?`: client errors with their status and a JSON message,
//! navigation (`redirect(..)?`, `not_found()?`, `option.or_not_found()?` via [`OptionExt`]), and
//! any other error — a `std::error::Error`, a `Box<dyn Error + Send + Sync>` — as a logged,
//! empty `500`.
//!
//! ```no_run
//! use route_runtime::{route, routes};
//!
//! #[route("/dashboard/[team]")]
//! mod team {
//!     use route_runtime::{Json, RouteContext};
//!
//!     pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
//!         Json(ctx.params)
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let app = routes![team].into_router();
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     route_runtime::serve(listener, app).await
//! }
//! ```

#![warn(missing_docs)]

pub mod cache;
mod config;
mod context;
pub mod cookies;
mod error;
mod generated;
mod handler;
mod methods;
pub mod navigation;
mod normalize;
mod params;
pub mod pattern;
pub mod request;
pub mod response;
mod routes;
mod scope;
mod serve;

pub use route_macros::{route, routes};

/// The axum this crate is built on (0.8), for its extractors and routing without a second,
/// possibly mismatched dependency: `use route_runtime::axum::extract::{Path, State};`.
pub use axum;

pub use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
pub use axum::response::{IntoResponse, Response};
pub use axum::Json;

pub use config::{Dynamic, Revalidate, RouteConfig, RouteInfo, RouteMethod};
pub use context::RouteContext;
pub use cookies::{cookies, try_cookies, CookieError, Cookies, Priority, SameSite, SetCookie};
pub use error::RouteError;
pub use navigation::{
    forbidden, not_found, permanent_redirect, redirect, redirect_local, redirect_with,
    unauthorized, OptionExt,
};
pub use normalize::{NormalizePath, NormalizePathLayer};
pub use params::{
    FromCatchAll, FromOptionalCatchAll, FromParams, FromSegment, ParamError, RawParams, RawValue,
};
pub use request::{
    BodyLimit, BodyStream, FormData, FormEntry, FormFile, NextUrl, Request, SearchParams,
    DEFAULT_BODY_LIMIT,
};
pub use routes::{RouteConflict, Routes};
pub use scope::{headers, in_request_scope, try_headers, Headers, OutsideRequest};
pub use serve::{serve, serve_with, ServeApp, ServeBody, ServeConfig};

/// Locks `mutex`, also after a panic elsewhere while it was held: the crate's mutexes guard plain
/// data (a request's scope, the cache's indexes) that a panic cannot leave half-written in a way
/// that matters more than the request or entry it belonged to.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What generated code uses. Not part of the public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::__route_items as route_items;
    pub use crate::generated::{
        body, direct, head, json_body, router_state, serialize_param, JsonBody, RouterState,
    };
    pub use crate::handler::{Body, Parts, RouteBuilder};
    pub use crate::params::{catch_all, dynamic, optional_catch_all};
    pub use crate::pattern::{assert_no_conflicts, Segment};
    pub use crate::{
        Dynamic, FromParams, ParamError, RawParams, Revalidate, RouteConfig, RouteInfo,
        RouteMethod, Routes,
    };
    pub use axum;
    pub use serde;
}
