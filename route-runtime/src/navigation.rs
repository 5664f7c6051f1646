//! Navigation from anywhere in a handler: [`redirect`], [`permanent_redirect`], [`not_found`], …
//! and [`OptionExt::or_not_found`] for an `Option` that must be `Some`.
//!
//! In Next.js, `redirect()` and `notFound()` throw, so they work at any depth of the handler's
//! call tree. Here they return `Err` of a [`RouteError`] (the `Ok` side is [`Infallible`]: it
//! never happens), so `?` carries them up the same way:
//!
//! ```
//! use route_runtime::navigation::{not_found, redirect};
//! use route_runtime::RouteError;
//!
//! fn load_post(id: u32, signed_in: bool) -> Result<String, RouteError> {
//!     if !signed_in {
//!         redirect("/login")?;
//!     }
//!     if id != 1 {
//!         not_found()?;
//!     }
//!     Ok("first post".to_owned())
//! }
//!
//! let error = load_post(1, false).unwrap_err();
//! assert_eq!(error.status(), 307);
//! assert_eq!(error.location().unwrap(), "/login");
//! assert_eq!(load_post(2, true).unwrap_err().status(), 404);
//! ```
//!
//! Each returns a `Result` marked `#[must_use]`: `redirect("/login");` without `?` does nothing,
//! and the compiler says to write `redirect("/login")?;`.
//!
//! Cookies set with `cookies()` before the redirect (or the 404) are sent with it.
//!
//! The `Location` is exactly the URL given, never completed from `Host` or `X-Forwarded-*`
//! (which any client can set). Characters that may not appear in a URL (non-ASCII, space,
//! `"<>\^`{|}`) are percent-encoded; `%` is kept, so an already-encoded URL is not encoded twice.
//! A URL with an ASCII control character (CR, LF, …) never reaches a header: the response is an
//! empty `500` and the URL is logged, escaped (other control characters, non-ASCII, are
//! percent-encoded like any non-ASCII character).

use std::convert::Infallible;

use axum::http::{HeaderValue, StatusCode};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use crate::error::RouteError;

/// Characters never valid as such in a URI (RFC 3986), percent-encoded in a `Location`.
/// Non-ASCII characters are always encoded; controls are refused before encoding.
const NOT_IN_URI: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Redirects to `url`: `307 Temporary Redirect` (Next.js's `redirect()`).
///
/// When the request is an HTML form submission (a `POST` with content type
/// `application/x-www-form-urlencoded` or `multipart/form-data`), the status is
/// `303 See Other` instead, as Next.js does, so the browser follows it with a `GET`.
///
/// ```
/// use route_runtime::navigation::redirect;
/// use route_runtime::RouteError;
///
/// fn require_session(session: Option<&str>) -> Result<&str, RouteError> {
///     let Some(session) = session else {
///         redirect("/login?next=%2Fdashboard")?;
///         unreachable!()
///     };
///     Ok(session)
/// }
///
/// let error = require_session(None).unwrap_err();
/// assert_eq!(error.status(), 307);
/// assert_eq!(error.location().unwrap(), "/login?next=%2Fdashboard");
/// ```
///
/// `url` is trusted: to redirect to a URL that came from the client (a `?next=` parameter), use
/// [`redirect_local`], which refuses anything that leaves the site.
#[must_use = "`redirect` returns the redirect as an `Err` and does nothing else: write `redirect(..)?;` (or return it)"]
pub fn redirect(url: impl AsRef<str>) -> Result<Infallible, RouteError> {
    Err(redirect_error(url.as_ref(), temporary_status()))
}

/// Redirects permanently to `url`: `308 Permanent Redirect` (Next.js's `permanentRedirect()`).
///
/// ```
/// use route_runtime::navigation::permanent_redirect;
///
/// let error = permanent_redirect("/new-home").unwrap_err();
/// assert_eq!(error.status(), 308);
/// assert_eq!(error.location().unwrap(), "/new-home");
/// ```
#[must_use = "`permanent_redirect` returns the redirect as an `Err` and does nothing else: write `permanent_redirect(..)?;` (or return it)"]
pub fn permanent_redirect(url: impl AsRef<str>) -> Result<Infallible, RouteError> {
    Err(redirect_error(url.as_ref(), StatusCode::PERMANENT_REDIRECT))
}

/// Redirects to `url` with a chosen status: `301`, `302`, `303`, `307` or `308`
/// (Next.js's `NextResponse.redirect(url, status)`).
///
/// Any other status is a bug in the handler: the response is an empty, logged `500`.
///
/// ```
/// use route_runtime::navigation::redirect_with;
/// use route_runtime::StatusCode;
///
/// let error = redirect_with("/moved", StatusCode::MOVED_PERMANENTLY).unwrap_err();
/// assert_eq!(error.status(), 301);
/// assert_eq!(redirect_with("/x", StatusCode::OK).unwrap_err().status(), 500);
/// ```
#[must_use = "`redirect_with` returns the redirect as an `Err` and does nothing else: write `redirect_with(..)?;` (or return it)"]
pub fn redirect_with(url: impl AsRef<str>, status: StatusCode) -> Result<Infallible, RouteError> {
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Err(RouteError::internal(format!(
            "redirect_with: {status} is not a redirect status (use 301, 302, 303, 307 or 308)"
        )));
    }
    Err(redirect_error(url.as_ref(), status))
}

/// Redirects to a path on this site that came from the client, such as a `?next=` parameter:
/// like [`redirect`], but anything that could lead to another site is a `400`.
///
/// Accepted: a path starting with a single `/` (`/dashboard?x=1`). Refused: an empty target,
/// absolute URLs (`https://evil.com`, `javascript:…`), scheme-relative ones (`//evil.com`,
/// `/\evil.com`, and their encoded forms such as `/%2F%2Fevil.com`), and control characters.
///
/// ```
/// use route_runtime::navigation::redirect_local;
///
/// assert_eq!(redirect_local("/dashboard?x=1").unwrap_err().status(), 307);
/// assert_eq!(redirect_local("//evil.com").unwrap_err().status(), 400);
/// assert_eq!(redirect_local("https://evil.com").unwrap_err().status(), 400);
/// ```
#[must_use = "`redirect_local` returns the redirect as an `Err` and does nothing else: write `redirect_local(..)?;` (or return it)"]
pub fn redirect_local(target: impl AsRef<str>) -> Result<Infallible, RouteError> {
    let target = target.as_ref();
    if !is_local_path(target) {
        return Err(
            RouteError::bad_request("the redirect target must be a path on this site")
                .with_detail("target", target),
        );
    }
    redirect(target)
}

/// Answers `404 Not Found` with an empty body (Next.js's `notFound()`).
///
/// ```
/// use route_runtime::navigation::not_found;
/// use route_runtime::RouteError;
///
/// fn find(id: u32) -> Result<&'static str, RouteError> {
///     match id {
///         1 => Ok("one"),
///         _ => not_found().map(|never| match never {}),
///     }
/// }
/// assert_eq!(find(2).unwrap_err().status(), 404);
/// ```
#[must_use = "`not_found` returns the 404 as an `Err` and does nothing else: write `not_found()?;` (or return it)"]
pub fn not_found() -> Result<Infallible, RouteError> {
    Err(RouteError::not_found())
}

/// Answers `403 Forbidden` with an empty body (Next.js's `forbidden()`).
///
/// ```
/// use route_runtime::navigation::forbidden;
/// use route_runtime::RouteError;
///
/// fn delete(is_admin: bool) -> Result<(), RouteError> {
///     if !is_admin {
///         forbidden()?;
///     }
///     Ok(())
/// }
/// assert_eq!(delete(false).unwrap_err().status(), 403);
/// ```
#[must_use = "`forbidden` returns the 403 as an `Err` and does nothing else: write `forbidden()?;` (or return it)"]
pub fn forbidden() -> Result<Infallible, RouteError> {
    Err(RouteError::forbidden())
}

/// Answers `401 Unauthorized` with an empty body (Next.js's `unauthorized()`).
///
/// ```
/// use route_runtime::navigation::unauthorized;
/// use route_runtime::RouteError;
///
/// fn user(token: Option<&str>) -> Result<&str, RouteError> {
///     let Some(token) = token else {
///         unauthorized()?;
///         unreachable!()
///     };
///     Ok(token)
/// }
/// assert_eq!(user(None).unwrap_err().status(), 401);
/// ```
#[must_use = "`unauthorized` returns the 401 as an `Err` and does nothing else: write `unauthorized()?;` (or return it)"]
pub fn unauthorized() -> Result<Infallible, RouteError> {
    Err(RouteError::unauthorized())
}

/// `None` → `404`: [`or_not_found`](OptionExt::or_not_found) on an `Option`, for Next.js's
/// `if (!post) notFound()`.
///
/// Also re-exported at the crate root (`route_runtime::OptionExt`). Sealed: implemented for
/// `Option<T>` only.
///
/// ```
/// use std::collections::HashMap;
///
/// use route_runtime::{OptionExt, RouteError};
///
/// fn post(posts: &HashMap<u32, String>, id: u32) -> Result<&str, RouteError> {
///     let post = posts.get(&id).or_not_found()?;
///     Ok(post)
/// }
///
/// let posts = HashMap::from([(1, "first post".to_owned())]);
/// assert_eq!(post(&posts, 1).unwrap(), "first post");
/// assert_eq!(post(&posts, 2).unwrap_err().status(), 404);
/// ```
pub trait OptionExt<T>: sealed::Sealed {
    /// The value, or the `404` of [`not_found()`] (the same [`RouteError::not_found`]: empty
    /// body, cookies set during the request still sent).
    fn or_not_found(self) -> Result<T, RouteError>;
}

impl<T> OptionExt<T> for Option<T> {
    fn or_not_found(self) -> Result<T, RouteError> {
        self.ok_or_else(RouteError::not_found)
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for Option<T> {}
}

/// `303` for an HTML form submission (so the browser follows with a `GET`), else `307`.
fn temporary_status() -> StatusCode {
    if crate::scope::is_form_submission() {
        StatusCode::SEE_OTHER
    } else {
        StatusCode::TEMPORARY_REDIRECT
    }
}

fn redirect_error(url: &str, status: StatusCode) -> RouteError {
    match location(url) {
        Ok(location) => RouteError::redirect(status, location),
        Err(problem) => RouteError::internal(problem),
    }
}

/// The `Location` value for `url`, or why it cannot be one.
fn location(url: &str) -> Result<HeaderValue, String> {
    if url.is_empty() {
        return Err("redirect to an empty URL".to_owned());
    }
    if url.chars().any(|c| c.is_ascii_control()) {
        // `{:?}` escapes the CR/LF, so the log line cannot be forged either.
        return Err(format!(
            "redirect URL contains a control character: {url:?}"
        ));
    }
    let encoded = utf8_percent_encode(url, NOT_IN_URI).to_string();
    HeaderValue::from_str(&encoded).map_err(|e| format!("invalid redirect URL {url:?}: {e}"))
}

/// Whether `target` is a path on this site (see [`redirect_local`]).
fn is_local_path(target: &str) -> bool {
    if target.chars().any(|c| c.is_control()) {
        return false;
    }
    let leaves_site =
        |path: &str| !path.starts_with('/') || path.starts_with("//") || path.starts_with("/\\");
    if leaves_site(target) {
        return false;
    }
    let decoded = percent_decode_str(target).decode_utf8_lossy();
    !leaves_site(&decoded) && !decoded.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::{header, HeaderMap, Method};
    use axum::response::IntoResponse;

    use super::*;
    use crate::config::Dynamic;
    use crate::scope::{future_in_scope, RequestScope};

    fn err(result: Result<Infallible, RouteError>) -> RouteError {
        match result {
            Err(e) => e,
            Ok(never) => match never {},
        }
    }

    async fn in_request<R>(method: Method, content_type: Option<&str>, f: impl FnOnce() -> R) -> R {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        headers.insert(header::HOST, "169.254.169.254".parse().unwrap());
        headers.insert("x-forwarded-host", "evil.example".parse().unwrap());
        let scope = Arc::new(RequestScope::new(method, Some(headers), Dynamic::Auto));
        future_in_scope(scope, async move { f() }).await
    }

    #[test]
    fn statuses_and_location() {
        let e = err(redirect("/login"));
        assert_eq!(e.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(e.location().unwrap(), "/login");
        let response = e.into_response();
        assert_eq!(response.status(), 307);
        assert_eq!(response.headers()[header::LOCATION], "/login");

        let e = err(permanent_redirect("https://example.com/a?b=c#d"));
        assert_eq!(e.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(e.location().unwrap(), "https://example.com/a?b=c#d");

        for code in [301u16, 302, 303, 307, 308] {
            let status = StatusCode::from_u16(code).unwrap();
            let e = err(redirect_with("/x", status));
            assert_eq!(e.status(), status);
            assert_eq!(e.location().unwrap(), "/x");
        }
        for code in [200u16, 300, 304, 404] {
            let e = err(redirect_with("/x", StatusCode::from_u16(code).unwrap()));
            assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert!(e.location().is_none());
        }

        assert_eq!(err(not_found()).status(), StatusCode::NOT_FOUND);
        assert_eq!(err(forbidden()).status(), StatusCode::FORBIDDEN);
        assert_eq!(err(unauthorized()).status(), StatusCode::UNAUTHORIZED);
        let response = err(not_found()).into_response();
        assert!(response.headers().get(header::LOCATION).is_none());
    }

    #[test]
    fn usable_with_question_mark_at_depth() {
        fn inner() -> Result<u32, RouteError> {
            redirect("/deep")?;
            Ok(1)
        }
        fn outer() -> Result<u32, RouteError> {
            Ok(inner()? + 1)
        }
        assert_eq!(outer().unwrap_err().location().unwrap(), "/deep");
    }

    #[test]
    fn control_characters_never_reach_a_header() {
        for url in [
            "/a\r\nSet-Cookie: evil=1",
            "/a\nb",
            "/a\rb",
            "/a\0b",
            "/a\tb",
            "/a\x7fb",
            "",
        ] {
            for e in [
                err(redirect(url)),
                err(permanent_redirect(url)),
                err(redirect_with(url, StatusCode::SEE_OTHER)),
            ] {
                assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR, "{url:?}");
                assert!(e.location().is_none());
                let response = e.into_response();
                assert!(response.headers().get(header::LOCATION).is_none());
                assert!(response.headers().get(header::SET_COOKIE).is_none());
            }
        }
    }

    #[test]
    fn non_ascii_and_unsafe_characters_are_encoded() {
        let e = err(redirect("/café/中?q=ü"));
        assert_eq!(e.location().unwrap(), "/caf%C3%A9/%E4%B8%AD?q=%C3%BC");
        let e = err(redirect("/a b\"<>`{|}^"));
        assert_eq!(e.location().unwrap(), "/a%20b%22%3C%3E%60%7B%7C%7D%5E");
        // A backslash (which browsers read as `/`) cannot turn a path into `//host`.
        assert_eq!(
            err(redirect("/\\evil.com")).location().unwrap(),
            "/%5Cevil.com"
        );
        // Already-encoded URLs are left alone.
        let e = err(redirect("/a%20b?next=%2Fx"));
        assert_eq!(e.location().unwrap(), "/a%20b?next=%2Fx");
    }

    #[tokio::test]
    async fn location_ignores_host_headers() {
        let e = in_request(Method::GET, None, || err(redirect("/login"))).await;
        assert_eq!(e.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(e.location().unwrap(), "/login");
    }

    #[tokio::test]
    async fn form_submission_redirects_with_303() {
        for ct in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let e = in_request(Method::POST, Some(ct), || err(redirect("/done"))).await;
            assert_eq!(e.status(), StatusCode::SEE_OTHER, "{ct}");
            assert_eq!(e.location().unwrap(), "/done");
            // Only `redirect()` adapts: the others keep their status.
            let e = in_request(Method::POST, Some(ct), || err(permanent_redirect("/p"))).await;
            assert_eq!(e.status(), StatusCode::PERMANENT_REDIRECT);
            let e = in_request(Method::POST, Some(ct), || {
                err(redirect_with("/p", StatusCode::TEMPORARY_REDIRECT))
            })
            .await;
            assert_eq!(e.status(), StatusCode::TEMPORARY_REDIRECT);
        }
        // Not form submissions: JSON POST, form content type on PUT.
        let e = in_request(Method::POST, Some("application/json"), || {
            err(redirect("/x"))
        })
        .await;
        assert_eq!(e.status(), StatusCode::TEMPORARY_REDIRECT);
        let e = in_request(
            Method::PUT,
            Some("application/x-www-form-urlencoded"),
            || err(redirect("/x")),
        )
        .await;
        assert_eq!(e.status(), StatusCode::TEMPORARY_REDIRECT);
    }

    #[test]
    fn redirect_local_refuses_other_sites() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "/%2F%2Fevil.com",
            "/%2fevil.com",
            "/%5Cevil.com",
            "",
            "evil.com",
            "/\t/evil.com",
            "/%0d%0aSet-Cookie:a=1",
        ] {
            let e = err(redirect_local(bad));
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{bad:?}");
            assert!(e.location().is_none());
        }
        for good in ["/dashboard?x=1", "/", "/a/b#c", "/a%20b"] {
            let e = err(redirect_local(good));
            assert_eq!(e.status(), StatusCode::TEMPORARY_REDIRECT, "{good:?}");
            assert_eq!(e.location().unwrap(), good);
        }
    }
}
