//! Request cookies and the cookies a handler sets (`cookies()`). PLACEHOLDER: being written.

use axum::http::{HeaderMap, HeaderValue};

/// The cookies of one request plus those set during it.
#[derive(Debug, Default)]
pub(crate) struct CookieJar {}

impl CookieJar {
    /// Parses the request's `Cookie` header(s).
    pub(crate) fn from_headers(_headers: &HeaderMap) -> Self {
        CookieJar {}
    }

    /// The `Set-Cookie` lines for what was set or deleted, in Next.js's format.
    pub(crate) fn set_cookie_headers(&self) -> Vec<HeaderValue> {
        Vec::new()
    }
}

/// Appends `lines` to `headers`, skipping names the response already sets itself.
pub(crate) fn append_set_cookies(headers: &mut HeaderMap, lines: Vec<HeaderValue>) {
    for line in lines {
        headers.append(axum::http::header::SET_COOKIE, line);
    }
}
