//! Method semantics shared by every route: the automatic `OPTIONS`, `405` with `Allow`, and `400`
//! for methods outside the seven route handlers may export.

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::config::RouteMethod;

/// `204 No Content` with `Allow`: Next.js's answer to `OPTIONS` when the module exports none.
pub(crate) fn automatic_options(allow: &HeaderValue) -> Response {
    (StatusCode::NO_CONTENT, [(header::ALLOW, allow.clone())]).into_response()
}

/// The answer to a method the module does not export: `405` with `Allow` (RFC 9110 requires it;
/// Next.js omits it), or `400` for a method that no route handler can export.
pub(crate) fn not_allowed(method: &Method, allow: &HeaderValue) -> Response {
    match RouteMethod::from_http(method) {
        Some(_) => (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, allow.clone())],
        )
            .into_response(),
        None => unsupported_method(method),
    }
}

/// `400` for a method outside `GET HEAD POST PUT DELETE PATCH OPTIONS` (Next.js answers 400 too,
/// and 500 for `TRACE`).
pub(crate) fn unsupported_method(method: &Method) -> Response {
    let name: String = method.as_str().chars().take(32).collect();
    (
        StatusCode::BAD_REQUEST,
        format!(
            "unsupported method `{name}`: route handlers answer GET, HEAD, POST, PUT, DELETE, PATCH and OPTIONS"
        ),
    )
        .into_response()
}
