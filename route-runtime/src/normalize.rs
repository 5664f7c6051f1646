//! Pre-routing normalisation: a request whose `Transfer-Encoding` is ambiguous is refused with
//! `400` and the connection closed; the asterisk-form target is answered here (`OPTIONS *` with
//! `204` and `Allow` naming the seven methods, any other method with `*` with `400`); methods
//! outside the seven are answered with `400`; and trailing slashes, repeated slashes and dot
//! segments are redirected with `308` to the canonical path.
//!
//! It must run **before** routing (axum's `Router::layer` runs after it), so it wraps the router
//! as a service: [`Routes::into_service`](crate::Routes::into_service) and [`serve`](crate::serve)
//! apply it; an app that mounts routes in its own router wraps that router with
//! [`NormalizePathLayer`].

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::http::{header, HeaderValue, Method, Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready};
use tower::{Layer, Service};

use crate::config::RouteMethod;
use crate::methods;
use crate::pattern::canonical_path;

/// The `308` to the canonical form of `uri`'s path, or `None` when it is canonical.
///
/// The `Location` is built from the raw path and query, never from `Host`: `//evil.com/` becomes
/// `/evil.com`, `%2F` stays encoded, and a backslash is encoded so that no browser reads `/\x` as
/// `//x`.
pub(crate) fn canonical_redirect(uri: &Uri) -> Option<Response> {
    let canonical = canonical_path(uri.path())?;
    let mut location = canonical.replace('\\', "%5C");
    if let Some(query) = uri.query() {
        location.push('?');
        location.push_str(query);
    }
    Some(match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, value)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "malformed request path").into_response(),
    })
}

/// A [`Layer`] that applies [`NormalizePath`].
///
/// ```
/// use route_runtime::NormalizePathLayer;
/// use tower::Layer;
///
/// let app: axum::Router = axum::Router::new(); // your app, with route modules merged in
/// let service = NormalizePathLayer.layer(app); // for a server other than route_runtime::serve
/// ```
///
/// [`serve`](crate::serve) applies [`NormalizePath`] itself: give it the app unwrapped.
#[derive(Debug, Clone, Copy, Default)]
pub struct NormalizePathLayer;

impl<S> Layer<S> for NormalizePathLayer {
    type Service = NormalizePath<S>;

    fn layer(&self, inner: S) -> Self::Service {
        NormalizePath { inner }
    }
}

/// Redirects non-canonical paths with `308`, refuses unsupported methods with `400` and answers
/// the asterisk-form target (`OPTIONS *`: `204` with `Allow` naming the seven methods; `*` with
/// another method: `400`) before the request reaches the router: see [`NormalizePathLayer`].
#[derive(Debug, Clone)]
pub struct NormalizePath<S> {
    inner: S,
}

impl<S> NormalizePath<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        NormalizePath { inner }
    }
}

impl<S, B> Service<Request<B>> for NormalizePath<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Framing first: every early answer below leaves the body for hyper to skip by its last
        // coding, which would serve what an ambiguous body hides as a second request.
        if ambiguous_framing(request.headers()) {
            return Either::Left(futures_util::future::ready(Ok(bad_framing())));
        }
        if is_asterisk_form(request.uri()) {
            let response = asterisk(request.method());
            return Either::Left(futures_util::future::ready(Ok(response)));
        }
        if RouteMethod::from_http(request.method()).is_none() {
            let response = methods::unsupported_method(request.method());
            return Either::Left(futures_util::future::ready(Ok(response)));
        }
        if let Some(redirect) = canonical_redirect(request.uri()) {
            return Either::Left(futures_util::future::ready(Ok(redirect)));
        }
        Either::Right(self.inner.call(request))
    }
}

/// Whether the request target is the asterisk form `*` (RFC 9112 §3.2.4), which names the server
/// rather than a resource: hyper passes it on for any method as a URI whose path is `*` (alone on
/// HTTP/1; on HTTP/2, `:path: *` with the `:scheme` and `:authority`). A path such as `/*` is
/// origin-form and routed as usual.
fn is_asterisk_form(uri: &Uri) -> bool {
    uri.path() == "*"
}

/// `Allow` of `OPTIONS *`: `RouteMethod::ALL` (checked by a test).
const EVERY_METHOD: &str = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT";

/// The server's own answer to a `*` target: `OPTIONS *` asks what the server supports (RFC 9110
/// §9.3.7), so `204` with `Allow` naming the seven methods; `*` with any other method is
/// malformed (RFC 9112 §3.2.4), so `400`. Never routed: the canonical-path redirect would send
/// it to `/*`.
fn asterisk(method: &Method) -> Response {
    if *method == Method::OPTIONS {
        let allow = HeaderValue::from_static(EVERY_METHOD);
        (StatusCode::NO_CONTENT, [(header::ALLOW, allow)]).into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            "the request target `*` is only for OPTIONS",
        )
            .into_response()
    }
}

/// Whether `Transfer-Encoding` is anything but one `chunked`: stacked, repeated or unknown
/// codings are how request smuggling hides a second request from a proxy in front.
fn ambiguous_framing(headers: &axum::http::HeaderMap) -> bool {
    let mut codings = headers
        .get_all(axum::http::header::TRANSFER_ENCODING)
        .iter();
    match (codings.next(), codings.next()) {
        (None, _) => false,
        (Some(only), None) => !only
            .to_str()
            .is_ok_and(|v| v.trim().eq_ignore_ascii_case("chunked")),
        (Some(_), Some(_)) => true,
    }
}

/// `400` that also closes the connection, so bytes after the ambiguous body are never read as
/// another request.
fn bad_framing() -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        [(axum::http::header::CONNECTION, "close")],
        "ambiguous request framing: `Transfer-Encoding` must be exactly `chunked`",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_asterisk_allows_every_method() {
        let every = RouteMethod::ALL.map(RouteMethod::as_str).join(", ");
        assert_eq!(EVERY_METHOD, every);
    }
}
