//! Request cookies and the cookies a handler sets: Next.js's `cookies()`.
//!
//! [`cookies()`] works anywhere in a route handler's call tree. Reads see the request's `Cookie`
//! header(s) plus what was set or deleted during the request; every cookie set or deleted is sent
//! as one `Set-Cookie` line on whatever response the handler produces (redirects included), in
//! Next.js's format:
//!
//! ```text
//! seen=yes; Path=/
//! sess=x%20y%3Bz; Path=/; Expires=Thu, 01 Jan 2026 00:01:00 GMT; Max-Age=60; HttpOnly
//! old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT
//! ```
//!
//! Values are encoded like JavaScript's `encodeURIComponent` (and decoded like
//! `decodeURIComponent` when read), so no value can add an attribute or a header. Names must be
//! RFC 6265 tokens and `Path`/`Domain` may hold no `;` or control character: anything else is a
//! [`CookieError`], never a malformed header.
//!
//! A handler that uses `cookies()` reads request data: its response is never cached.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use crate::scope::{with_jar, with_scope, OutsideRequest};

/// At most this many `;`-separated pairs of a request's `Cookie` headers are looked at (security
/// rule 7); later ones are ignored.
const MAX_REQUEST_COOKIES: usize = 1024;

/// What JavaScript's `encodeURIComponent` encodes: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Whether `encodeURIComponent` leaves `byte` as it is: not in [`URI_COMPONENT`] (non-ASCII bytes
/// are always encoded).
fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte)
}

/// The last instant `Expires` can show (`Fri, 31 Dec 9999 23:59:59 GMT`).
const LAST_HTTP_DATE_SECS: u64 = 253_402_300_799;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// The current request's cookies (Next.js's `cookies()`).
///
/// Works anywhere in a route handler's call tree; see [`Cookies`] for what it can do.
///
/// # Panics
/// Outside a request (for example in a `tokio::spawn`ed task not wrapped with
/// [`in_request_scope`](crate::in_request_scope)); [`try_cookies`] is the non-panicking form.
///
/// ```no_run
/// use route_runtime::cookies::cookies;
///
/// # fn handler() -> Result<(), route_runtime::cookies::CookieError> {
/// let jar = cookies();
/// let token = jar.get("token").unwrap_or_default();
/// jar.set("seen", "yes")?; // set-cookie: seen=yes; Path=/
/// # let _ = token;
/// # Ok(()) }
/// ```
pub fn cookies() -> Cookies {
    match try_cookies() {
        Ok(cookies) => cookies,
        Err(e) => panic!("{e}"),
    }
}

/// [`cookies`], or an error outside a request.
///
/// ```
/// use route_runtime::cookies::try_cookies;
///
/// assert!(try_cookies().is_err()); // not inside a route handler
/// ```
pub fn try_cookies() -> Result<Cookies, OutsideRequest> {
    with_scope("cookies", |_| Cookies { _private: () })
}

/// A handle on the current request's cookie jar; see [`cookies`]. Cheap to copy.
///
/// Reads see the request's cookies plus those set during the request; a cookie deleted (or set
/// already expired) during the request reads as absent. Outside a request, reads see no cookies
/// and writes fail with [`CookieError::OutsideRequest`].
#[derive(Debug, Clone, Copy)]
pub struct Cookies {
    _private: (),
}

impl Cookies {
    fn read<R>(&self, f: impl FnOnce(&CookieJar, &HeaderMap) -> R) -> Option<R> {
        with_jar("cookies", |jar, headers| f(jar, headers)).ok()
    }

    /// The value of cookie `name` (percent-decoded), if the request sent it or the handler set it.
    ///
    /// When the request sends a name twice (for example from two paths), the first one counts, as
    /// browsers send the most specific path first.
    ///
    /// ```no_run
    /// use route_runtime::cookies::cookies;
    /// let theme = cookies().get("theme").unwrap_or_else(|| "light".to_owned());
    /// ```
    pub fn get(&self, name: &str) -> Option<String> {
        self.read(|jar, headers| jar.get(headers, name)).flatten()
    }

    /// Every cookie as `(name, value)` pairs: the request's cookies in the order sent (with the
    /// values set during the request), then those first set during the request, in the order set.
    /// Deleted cookies are left out.
    pub fn get_all(&self) -> Vec<(String, String)> {
        self.read(CookieJar::get_all).unwrap_or_default()
    }

    /// Whether cookie `name` exists (see [`get`](Self::get)).
    pub fn has(&self, name: &str) -> bool {
        self.read(|jar, headers| jar.get(headers, name).is_some())
            .unwrap_or(false)
    }

    /// Sets cookie `name` to `value` with `Path=/`: `set-cookie: name=value; Path=/`.
    ///
    /// `value` is percent-encoded as by `encodeURIComponent`. Setting a name twice sends one line,
    /// the last one. See [`set_cookie`](Self::set_cookie) for attributes.
    ///
    /// # Errors
    /// [`CookieError::InvalidName`] when `name` is not an RFC 6265 token (empty, or holding a
    /// space, a control character or one of `()<>@,;:\"/[]?={}`); nothing is set then.
    ///
    /// ```no_run
    /// # fn handler() -> Result<(), route_runtime::cookies::CookieError> {
    /// route_runtime::cookies::cookies().set("seen", "yes")?;
    /// # Ok(()) }
    /// ```
    pub fn set(
        &self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<(), CookieError> {
        self.set_cookie(SetCookie::new(name, value))
    }

    /// Sets a cookie with attributes.
    ///
    /// A cookie set with `max_age(0)` or an `expires` in the past removes the cookie: it reads as
    /// absent afterwards.
    ///
    /// # Errors
    /// An invalid name, `Path` or `Domain` (see [`CookieError`]); nothing is set then.
    ///
    /// ```no_run
    /// use route_runtime::cookies::{cookies, SameSite, SetCookie};
    ///
    /// # fn handler() -> Result<(), route_runtime::cookies::CookieError> {
    /// cookies().set_cookie(
    ///     SetCookie::new("sess", "x y;z")
    ///         .http_only(true)
    ///         .secure(true)
    ///         .same_site(SameSite::Lax)
    ///         .max_age(60),
    /// )?;
    /// // set-cookie: sess=x%20y%3Bz; Path=/; Expires=<now + 60 s>; Max-Age=60; Secure; HttpOnly; SameSite=Lax
    /// # Ok(()) }
    /// ```
    pub fn set_cookie(&self, cookie: SetCookie) -> Result<(), CookieError> {
        // Validate before touching the scope, so that an invalid cookie never marks the request.
        // Only `Expires` and `Max-Age` read the clock (a plain `set` needs no time).
        let now = if cookie.reads_clock() {
            SystemTime::now()
        } else {
            UNIX_EPOCH
        };
        let line = cookie.header_value_at(now)?;
        // Only what the jar keeps goes into the scope (moving a whole `SetCookie` costs copies).
        let change = Change::new(cookie, line, now);
        with_jar("cookies", |jar, _| jar.record(change))?;
        Ok(())
    }

    /// Deletes cookie `name`: `set-cookie: name=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT`.
    ///
    /// To delete a cookie set with another `Path` or a `Domain`, use
    /// [`set_cookie`](Self::set_cookie) with the same attributes and `max_age(0)` or
    /// `expires(UNIX_EPOCH)`.
    ///
    /// # Errors
    /// [`CookieError::InvalidName`] when `name` is not an RFC 6265 token.
    pub fn delete(&self, name: impl Into<String>) -> Result<(), CookieError> {
        self.set_cookie(SetCookie::new(name, "").expires(UNIX_EPOCH))
    }
}

/// A cookie to set, with its attributes (Next.js's `ResponseCookie`).
///
/// Defaults: `Path=/`, no `Domain`, a session cookie (no `Expires`/`Max-Age`), no flags.
/// Written in Next.js's attribute order: `Path`, `Expires`, `Max-Age`, `Domain`, `Secure`,
/// `HttpOnly`, `SameSite`, `Partitioned`, `Priority`.
///
/// ```
/// use route_runtime::cookies::{Priority, SameSite, SetCookie};
///
/// let cookie = SetCookie::new("theme", "dark mode")
///     .path("/app")
///     .secure(true)
///     .same_site(SameSite::Strict)
///     .priority(Priority::High);
/// assert_eq!(
///     cookie.to_header_value().unwrap(),
///     "theme=dark%20mode; Path=/app; Secure; SameSite=Strict; Priority=High"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<u64>,
    expires: Option<SystemTime>,
    http_only: bool,
    secure: bool,
    same_site: Option<SameSite>,
    partitioned: bool,
    priority: Option<Priority>,
}

impl SetCookie {
    /// A cookie `name=value` with the defaults (`Path=/`, session cookie).
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        SetCookie {
            name: name.into(),
            value: value.into(),
            path: None,
            domain: None,
            max_age: None,
            expires: None,
            http_only: false,
            secure: false,
            same_site: None,
            partitioned: false,
            priority: None,
        }
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie's value (not encoded).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// `Path=` (default `/`; an empty path leaves the attribute out). It may hold no `;`, control
    /// character or non-ASCII character, or setting the cookie fails.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// `Domain=` (default none; an empty domain leaves the attribute out). It may hold no `;`,
    /// whitespace, control character or non-ASCII character, or setting the cookie fails.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// `Max-Age=` in seconds. A non-zero max-age also writes `Expires=` (now + max-age), as
    /// Next.js does, and takes precedence over [`expires`](Self::expires). `0` removes the cookie.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// [`max_age`](Self::max_age) as a [`Duration`] (whole seconds; the rest is dropped).
    pub fn max_age_duration(self, max_age: Duration) -> Self {
        self.max_age(max_age.as_secs())
    }

    /// `Expires=` (ignored when a non-zero [`max_age`](Self::max_age) is set). Times before 1970
    /// are written as 1970, times after year 9999 as the end of 9999.
    pub fn expires(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// `HttpOnly`: the cookie is hidden from JavaScript.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// `Secure`: sent over HTTPS only (browsers require it with `SameSite=None` and
    /// `Partitioned`).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// `SameSite=Strict|Lax|None`.
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// `Partitioned` (CHIPS).
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// `Priority=Low|Medium|High` (a Chromium extension).
    pub fn priority(mut self, priority: Priority) -> Self {
        self.priority = Some(priority);
        self
    }

    /// The `Set-Cookie` value, for a response built by hand. `Expires` is computed from now.
    ///
    /// # Errors
    /// An invalid name, `Path` or `Domain` (see [`CookieError`]).
    pub fn to_header_value(&self) -> Result<HeaderValue, CookieError> {
        self.header_value_at(SystemTime::now())
    }

    /// Whether [`header_value_at`](Self::header_value_at) or [`is_removal`](Self::is_removal) read
    /// their `now`.
    fn reads_clock(&self) -> bool {
        self.expires.is_some() || self.max_age.is_some_and(|secs| secs > 0)
    }

    /// Whether the cookie, set at `now`, removes itself (`Max-Age=0` or `Expires` not after now).
    fn is_removal(&self, now: SystemTime) -> bool {
        match (self.max_age, self.expires) {
            (Some(0), _) => true,
            (Some(_), _) => false,
            (None, Some(at)) => at <= now,
            (None, None) => false,
        }
    }

    /// Calls `f(name, value)` for each attribute of the line (`value` empty for a flag), in
    /// Next.js's order. `path`, `domain`, `expires` and `max_age` are the validated values.
    fn each_attribute(
        &self,
        path: &str,
        expires: Option<&str>,
        max_age: Option<&str>,
        domain: &str,
        mut f: impl FnMut(&str, &str),
    ) {
        if !path.is_empty() {
            f("Path", path);
        }
        if let Some(expires) = expires {
            f("Expires", expires);
        }
        if let Some(max_age) = max_age {
            f("Max-Age", max_age);
        }
        if !domain.is_empty() {
            f("Domain", domain);
        }
        if self.secure {
            f("Secure", "");
        }
        if self.http_only {
            f("HttpOnly", "");
        }
        if let Some(same_site) = self.same_site {
            f("SameSite", same_site.as_str());
        }
        if self.partitioned {
            f("Partitioned", "");
        }
        if let Some(priority) = self.priority {
            f("Priority", priority.as_str());
        }
    }

    fn header_value_at(&self, now: SystemTime) -> Result<HeaderValue, CookieError> {
        if !is_token(&self.name) {
            return Err(CookieError::InvalidName(self.name.clone()));
        }
        let path = self.path.as_deref().unwrap_or("/");
        if !is_valid_attribute(path, false) {
            return Err(CookieError::InvalidPath(path.to_owned()));
        }
        let domain = self.domain.as_deref().unwrap_or("");
        if !is_valid_attribute(domain, true) {
            return Err(CookieError::InvalidDomain(domain.to_owned()));
        }

        let expires = match self.max_age {
            // As Next.js: a non-zero max-age sets `Expires` to now + max-age.
            Some(secs) if secs > 0 => Some(
                now.checked_add(Duration::from_secs(secs))
                    .unwrap_or(UNIX_EPOCH + Duration::from_secs(LAST_HTTP_DATE_SECS)),
            ),
            _ => self.expires,
        };
        let expires = expires.map(http_date);
        let max_age = self.max_age.map(|secs| secs.to_string());
        let (expires, max_age) = (expires.as_deref(), max_age.as_deref());

        // Sized exactly: a `String` as long as its capacity becomes the header's bytes without
        // allocating again.
        let plain = self.value.bytes().all(is_unreserved);
        let encoded = || percent_encoding::utf8_percent_encode(&self.value, URI_COMPONENT);
        let mut len = self.name.len() + 1;
        len += if plain {
            self.value.len()
        } else {
            encoded().map(str::len).sum()
        };
        self.each_attribute(path, expires, max_age, domain, |name, value| {
            len += 2 + name.len() + if value.is_empty() { 0 } else { 1 + value.len() };
        });
        let mut line = String::with_capacity(len);
        line.push_str(&self.name);
        line.push('=');
        if plain {
            line.push_str(&self.value);
        } else {
            line.extend(encoded());
        }
        self.each_attribute(path, expires, max_age, domain, |name, value| {
            line.push_str("; ");
            line.push_str(name);
            if !value.is_empty() {
                line.push('=');
                line.push_str(value);
            }
        });
        debug_assert_eq!(line.len(), len);
        // Everything above was validated or encoded: this cannot fail, but never panic on it.
        HeaderValue::try_from(line).map_err(|_| CookieError::InvalidName(self.name.clone()))
    }
}

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`: never sent on cross-site requests.
    Strict,
    /// `SameSite=Lax`: sent on top-level cross-site navigations only.
    Lax,
    /// `SameSite=None`: always sent (browsers require `Secure` with it).
    None,
}

impl SameSite {
    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// The `Priority` attribute (a Chromium extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// `Priority=Low`.
    Low,
    /// `Priority=Medium` (the browser's default).
    Medium,
    /// `Priority=High`.
    High,
}

impl Priority {
    fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "Low",
            Priority::Medium => "Medium",
            Priority::High => "High",
        }
    }
}

/// A cookie could not be set.
///
/// With `?` in a handler it becomes a logged `500`: cookie names and attributes come from the
/// code, so an invalid one is a bug.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CookieError {
    /// The name is not an RFC 6265 token: empty, or holding a space, a control character, a
    /// non-ASCII character or one of `()<>@,;:\"/[]?={}`.
    InvalidName(String),
    /// The `Path` holds a `;`, a control character (CR, LF, …) or a non-ASCII character.
    InvalidPath(String),
    /// The `Domain` holds a `;`, whitespace, a control character or a non-ASCII character.
    InvalidDomain(String),
    /// `cookies()` was used outside a request.
    OutsideRequest(OutsideRequest),
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CookieError::InvalidName(name) => write!(
                f,
                "invalid cookie name {name:?}: it must be a non-empty RFC 6265 token \
                 (no spaces, control characters or separators such as `;` `=` `,`)"
            ),
            CookieError::InvalidPath(path) => write!(
                f,
                "invalid cookie Path {path:?}: it may hold no `;`, control or non-ASCII character"
            ),
            CookieError::InvalidDomain(domain) => write!(
                f,
                "invalid cookie Domain {domain:?}: it may hold no `;`, whitespace, control or \
                 non-ASCII character"
            ),
            CookieError::OutsideRequest(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CookieError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CookieError::OutsideRequest(e) => Some(e),
            _ => None,
        }
    }
}

impl From<OutsideRequest> for CookieError {
    fn from(e: OutsideRequest) -> Self {
        CookieError::OutsideRequest(e)
    }
}

// ---------------------------------------------------------------------------------------------
// The jar (crate-internal)
// ---------------------------------------------------------------------------------------------

/// The cookies set or deleted during one request. The request's own cookies are read from its
/// `Cookie` headers on demand: nothing is parsed or copied for the cookies a handler never asks
/// for.
#[derive(Debug, Default)]
pub(crate) struct CookieJar {
    /// One entry per name, in first-set order; the last write wins.
    changes: Vec<Change>,
}

#[derive(Debug)]
struct Change {
    name: String,
    /// `None` when the cookie was deleted (or set already expired).
    value: Option<String>,
    line: HeaderValue,
}

impl Change {
    /// What setting the validated `cookie` at `now`, with its `Set-Cookie` line, changes.
    fn new(cookie: SetCookie, line: HeaderValue, now: SystemTime) -> Self {
        Change {
            value: (!cookie.is_removal(now)).then_some(cookie.value),
            name: cookie.name,
            line,
        }
    }
}

impl CookieJar {
    /// Whether nothing was set or deleted.
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn change(&self, name: &str) -> Option<&Change> {
        self.changes.iter().find(|c| c.name == name)
    }

    /// The value of `name`: as set during the request, else the request's.
    fn get(&self, headers: &HeaderMap, name: &str) -> Option<String> {
        match self.change(name) {
            Some(change) => change.value.clone(),
            None => request_cookie(headers, name),
        }
    }

    fn get_all(&self, headers: &HeaderMap) -> Vec<(String, String)> {
        let request = request_cookies(headers);
        let mut all = Vec::with_capacity(request.len() + self.changes.len());
        for (name, value) in &request {
            match self.change(name) {
                Some(change) => {
                    if let Some(value) = &change.value {
                        all.push(((*name).to_owned(), value.clone()));
                    }
                }
                None => all.push(((*name).to_owned(), value.clone())),
            }
        }
        for change in &self.changes {
            if request.iter().any(|(name, _)| *name == change.name) {
                continue;
            }
            if let Some(value) = &change.value {
                all.push((change.name.clone(), value.clone()));
            }
        }
        all
    }

    /// Records a change; a later one to the same name replaces it, in place.
    fn record(&mut self, change: Change) {
        match self.changes.iter_mut().find(|c| c.name == change.name) {
            Some(earlier) => *earlier = change,
            None => self.changes.push(change),
        }
    }

    /// The `Set-Cookie` lines for what was set or deleted, in Next.js's format: one per name (the
    /// last write), in the order the names were first set.
    pub(crate) fn into_lines(self) -> impl Iterator<Item = HeaderValue> {
        self.changes.into_iter().map(|c| c.line)
    }
}

/// The `name=value` pairs of a request's `Cookie` header(s), in order, name trimmed and value
/// still encoded: at most [`MAX_REQUEST_COOKIES`] pairs are looked at (empty ones included), and
/// pairs without `=` or with an invalid name are skipped.
fn request_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&[u8], &[u8])> {
    headers
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .take(MAX_REQUEST_COOKIES)
        .filter_map(split_pair)
}

/// The request's cookie `name`, percent-decoded as by `decodeURIComponent`: its first occurrence
/// whose value decodes (a pair that does not is skipped).
fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    request_pairs(headers)
        .filter(|(n, _)| *n == name.as_bytes())
        .find_map(|(_, value)| decode_uri_component(value))
}

/// Every request cookie, decoded, first occurrence of each name, in the order sent.
fn request_cookies(headers: &HeaderMap) -> Vec<(&str, String)> {
    let mut seen = HashSet::new();
    request_pairs(headers)
        .filter_map(|(name, value)| {
            // A valid name is ASCII: this never skips one.
            let name = std::str::from_utf8(name).ok()?;
            Some((name, decode_uri_component(value)?))
        })
        .filter(|(name, _)| seen.insert(*name))
        .collect()
}

/// Appends the jar's `lines` to a response's headers, after the response's own `Set-Cookie`
/// lines; a name the response already sets itself is skipped (the response's line wins).
pub(crate) fn append_set_cookies(
    headers: &mut HeaderMap,
    lines: impl IntoIterator<Item = HeaderValue>,
) {
    let mut lines = lines.into_iter().peekable();
    if lines.peek().is_none() {
        return;
    }
    if !headers.contains_key(SET_COOKIE) {
        for line in lines {
            headers.append(SET_COOKIE, line);
        }
        return;
    }
    let own: HashSet<Vec<u8>> = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|line| set_cookie_name(line.as_bytes()))
        .map(<[u8]>::to_vec)
        .collect();
    for line in lines {
        if set_cookie_name(line.as_bytes()).is_some_and(|name| own.contains(name)) {
            continue;
        }
        headers.append(SET_COOKIE, line);
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The cookie name of a `Set-Cookie` line (before the first `=` of its first `;`-part), trimmed.
fn set_cookie_name(line: &[u8]) -> Option<&[u8]> {
    let pair = line.split(|&b| b == b';').next()?;
    let eq = pair.iter().position(|&b| b == b'=')?;
    Some(trim(&pair[..eq]))
}

fn trim(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

/// One `name=value` pair of a `Cookie` header, trimmed, value still encoded; `None` without `=`
/// or with an invalid name (a valid one is printable ASCII).
fn split_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    // `=` is not blank, so trimming both halves trims the pair.
    let eq = pair.iter().position(|&b| b == b'=')?;
    let name = trim(&pair[..eq]);
    // Lenient on names the client sends (`a[b]` is common), but never empty, blank or with
    // control characters.
    if name.is_empty() || !name.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    Some((name, trim(&pair[eq + 1..])))
}

/// JavaScript's `decodeURIComponent`: `None` on a `%` not followed by two hex digits or on bytes
/// that are not UTF-8. `+` stays `+`.
fn decode_uri_component(raw: &[u8]) -> Option<String> {
    crate::pattern::percent_decode_strict(raw).ok()
}

/// An RFC 6265 cookie-name: an RFC 2616 token.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                )
        })
}

/// A `Path`/`Domain` value: ASCII, no control character, no `;` (and no whitespace in a domain).
fn is_valid_attribute(value: &str, is_domain: bool) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_control() && b != b';' && !(is_domain && b == b' '))
}

/// `at` as an IMF-fixdate, clamped to what the format can show.
fn http_date(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .min(LAST_HTTP_DATE_SECS);
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Dynamic;
    use crate::scope::{future_in_scope, RequestScope};
    use axum::http::Method;
    use std::sync::Arc;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for c in cookies {
            map.append(COOKIE, HeaderValue::from_str(c).unwrap());
        }
        map
    }

    fn line(cookie: SetCookie) -> String {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        cookie
            .header_value_at(now)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// A jar with the request headers it reads, as the request scope pairs them.
    #[derive(Default)]
    struct Jar {
        headers: HeaderMap,
        jar: CookieJar,
    }

    impl Jar {
        fn from_headers(headers: &HeaderMap) -> Self {
            Jar {
                headers: headers.clone(),
                jar: CookieJar::default(),
            }
        }
        fn get(&self, name: &str) -> Option<String> {
            self.jar.get(&self.headers, name)
        }
        fn get_all(&self) -> Vec<(String, String)> {
            self.jar.get_all(&self.headers)
        }
        fn set(&mut self, cookie: SetCookie) -> Result<(), CookieError> {
            let now = SystemTime::now();
            let line = cookie.header_value_at(now)?;
            self.jar.record(Change::new(cookie, line, now));
            Ok(())
        }
    }

    fn lines(jar: &Jar) -> Vec<String> {
        jar.jar
            .changes
            .iter()
            .map(|c| c.line.to_str().unwrap().to_owned())
            .collect()
    }

    // --- parsing ---------------------------------------------------------------------------

    #[test]
    fn parses_several_headers_and_pairs() {
        let jar = Jar::from_headers(&headers(&["a=1; b=2;c=3", "d=4"]));
        assert_eq!(jar.get("a").as_deref(), Some("1"));
        assert_eq!(jar.get("b").as_deref(), Some("2"));
        assert_eq!(jar.get("c").as_deref(), Some("3"));
        assert_eq!(jar.get("d").as_deref(), Some("4"));
        assert_eq!(jar.get("e"), None);
        let names: Vec<String> = jar.get_all().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }

    #[test]
    fn first_occurrence_of_a_name_wins() {
        let jar = Jar::from_headers(&headers(&["a=1; a=2", "a=3"]));
        assert_eq!(jar.get("a").as_deref(), Some("1"));
        assert_eq!(jar.get_all().len(), 1);
    }

    #[test]
    fn keeps_at_most_1024_cookies() {
        let many: String = (0..5000)
            .map(|i| format!("c{i}=v{i}"))
            .collect::<Vec<_>>()
            .join("; ");
        let jar = Jar::from_headers(&headers(&[&many, "late=1"]));
        assert_eq!(jar.get_all().len(), MAX_REQUEST_COOKIES);
        assert_eq!(jar.get("c0").as_deref(), Some("v0"));
        assert_eq!(jar.get("c1023").as_deref(), Some("v1023"));
        assert_eq!(jar.get("c1024"), None);
        assert_eq!(jar.get("late"), None);
    }

    #[test]
    fn split_pair_trims_spaces_and_tabs_only() {
        let pair = |raw: &str| {
            split_pair(raw.as_bytes()).map(|(n, v)| {
                (
                    String::from_utf8(n.to_vec()).unwrap(),
                    String::from_utf8(v.to_vec()).unwrap(),
                )
            })
        };
        let some = |n: &str, v: &str| Some((n.to_owned(), v.to_owned()));
        assert_eq!(pair("a=b"), some("a", "b"));
        assert_eq!(pair(" \t a \t= \tb c\t "), some("a", "b c"));
        assert_eq!(pair("a=b=c"), some("a", "b=c"));
        assert_eq!(pair("a= "), some("a", ""));
        assert_eq!(pair("\na=b\r"), None); // a control character in the name
        assert_eq!(pair("a=\rb\n"), some("a", "\rb\n"));
        assert_eq!(pair(" = b"), None);
        assert_eq!(pair("="), None);
        assert_eq!(pair("  "), None);
        assert_eq!(pair(""), None);
        assert_eq!(pair(" a "), None);
        assert_eq!(pair("a b=c"), None);
        assert_eq!(pair("ü=c"), None);
        assert_eq!(pair("a[b]=ü"), some("a[b]", "ü"));
    }

    #[test]
    fn skips_invalid_pairs() {
        let jar = Jar::from_headers(&headers(&[
            "novalue; =empty; ok=1; bad=%zz; half=%4; notutf8=%FF; spaced = 2 ;;; a[b]=3; x=a=b",
        ]));
        assert_eq!(
            jar.get_all(),
            [
                ("ok".to_owned(), "1".to_owned()),
                ("spaced".to_owned(), "2".to_owned()),
                ("a[b]".to_owned(), "3".to_owned()),
                ("x".to_owned(), "a=b".to_owned()),
            ]
        );
    }

    #[test]
    fn skips_non_utf8_headers_pairs_only() {
        let mut map = HeaderMap::new();
        map.append(
            COOKIE,
            HeaderValue::from_bytes(b"bad=\xff\xfe; good=1").unwrap(),
        );
        let jar = Jar::from_headers(&map);
        assert_eq!(jar.get("bad"), None);
        assert_eq!(jar.get("good").as_deref(), Some("1"));
    }

    #[test]
    fn percent_decodes_values_like_decode_uri_component() {
        let jar = Jar::from_headers(&headers(&[
            "a=x%20y%3Bz; b=%C3%BC; c=a+b; d=%25; e=\"quoted\"",
        ]));
        assert_eq!(jar.get("a").as_deref(), Some("x y;z"));
        assert_eq!(jar.get("b").as_deref(), Some("ü"));
        assert_eq!(jar.get("c").as_deref(), Some("a+b"));
        assert_eq!(jar.get("d").as_deref(), Some("%"));
        assert_eq!(jar.get("e").as_deref(), Some("\"quoted\""));
    }

    #[test]
    fn no_cookie_header_is_an_empty_jar() {
        let jar = Jar::from_headers(&HeaderMap::new());
        assert!(jar.get_all().is_empty());
        assert!(lines(&jar).is_empty());
    }

    // --- formatting ------------------------------------------------------------------------

    #[test]
    fn plain_set_has_path_slash() {
        assert_eq!(line(SetCookie::new("seen", "yes")), "seen=yes; Path=/");
    }

    #[test]
    fn max_age_also_writes_expires() {
        // 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT.
        assert_eq!(
            line(SetCookie::new("sess", "x y;z").http_only(true).max_age(60)),
            "sess=x%20y%3Bz; Path=/; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; HttpOnly"
        );
        assert_eq!(
            line(SetCookie::new("a", "b").max_age_duration(Duration::from_millis(90_500))),
            "a=b; Path=/; Expires=Tue, 14 Nov 2023 22:14:50 GMT; Max-Age=90"
        );
    }

    #[test]
    fn max_age_zero_has_no_expires() {
        assert_eq!(
            line(SetCookie::new("a", "b").max_age(0)),
            "a=b; Path=/; Max-Age=0"
        );
    }

    #[test]
    fn huge_max_age_does_not_panic() {
        let l = line(SetCookie::new("a", "b").max_age(u64::MAX));
        assert_eq!(
            l,
            format!(
                "a=b; Path=/; Expires=Fri, 31 Dec 9999 23:59:59 GMT; Max-Age={}",
                u64::MAX
            )
        );
    }

    #[test]
    fn expires_is_an_imf_fixdate_and_max_age_overrides_it() {
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            line(SetCookie::new("a", "b").expires(at)),
            "a=b; Path=/; Expires=Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            line(SetCookie::new("a", "b").expires(at).max_age(60)),
            "a=b; Path=/; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60"
        );
        let before_epoch = UNIX_EPOCH.checked_sub(Duration::from_secs(10));
        if let Some(before_epoch) = before_epoch {
            assert_eq!(
                line(SetCookie::new("a", "b").expires(before_epoch)),
                "a=b; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
            );
        }
    }

    #[test]
    fn each_attribute_and_their_order() {
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            line(
                SetCookie::new("n", "v")
                    .priority(Priority::High)
                    .partitioned(true)
                    .same_site(SameSite::None)
                    .http_only(true)
                    .secure(true)
                    .domain("example.com")
                    .max_age(60)
                    .expires(at)
                    .path("/app")
            ),
            "n=v; Path=/app; Expires=Tue, 14 Nov 2023 22:14:20 GMT; Max-Age=60; \
             Domain=example.com; Secure; HttpOnly; SameSite=None; Partitioned; Priority=High"
        );
        assert_eq!(
            line(SetCookie::new("n", "v").same_site(SameSite::Strict)),
            "n=v; Path=/; SameSite=Strict"
        );
        assert_eq!(
            line(SetCookie::new("n", "v").same_site(SameSite::Lax)),
            "n=v; Path=/; SameSite=Lax"
        );
        assert_eq!(
            line(SetCookie::new("n", "v").priority(Priority::Low)),
            "n=v; Path=/; Priority=Low"
        );
        assert_eq!(
            line(SetCookie::new("n", "v").priority(Priority::Medium)),
            "n=v; Path=/; Priority=Medium"
        );
        assert_eq!(
            line(SetCookie::new("n", "v").secure(true).secure(false)),
            "n=v; Path=/"
        );
        assert_eq!(line(SetCookie::new("n", "v").path("")), "n=v");
        assert_eq!(line(SetCookie::new("n", "v").domain("")), "n=v; Path=/");
    }

    #[test]
    fn is_unreserved_is_the_complement_of_uri_component() {
        for b in 0..=u8::MAX {
            let encoded: String = percent_encoding::percent_encode(&[b], URI_COMPONENT).collect();
            assert_eq!(is_unreserved(b), encoded.len() == 1, "{b:#04x}");
        }
    }

    #[test]
    fn values_without_escapes_are_written_as_the_encoder_would() {
        for value in [
            "",
            "abc123",
            "AZaz09-_.!~*'()",
            "a b",
            "abc%",
            "ü",
            "x;y=z",
            "\"q\"",
        ] {
            let encoded: String =
                percent_encoding::utf8_percent_encode(value, URI_COMPONENT).collect();
            assert_eq!(
                line(SetCookie::new("a", value)),
                format!("a={encoded}; Path=/")
            );
        }
    }

    #[test]
    fn lines_are_sized_exactly() {
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        for cookie in [
            SetCookie::new("a", "b"),
            SetCookie::new("a", "b c;ü").path(""),
            SetCookie::new("n", "v")
                .priority(Priority::Medium)
                .partitioned(true)
                .same_site(SameSite::Lax)
                .http_only(true)
                .secure(true)
                .domain("example.com")
                .max_age(60)
                .expires(at)
                .path("/app"),
            SetCookie::new("old", "").expires(UNIX_EPOCH),
        ] {
            // `header_value_at` asserts (in debug builds) that it computed the length it wrote.
            assert!(cookie.header_value_at(at).is_ok());
        }
    }

    #[test]
    fn values_are_encoded_like_encode_uri_component() {
        assert_eq!(
            line(SetCookie::new("a", "v a;l=,ü")),
            "a=v%20a%3Bl%3D%2C%C3%BC; Path=/"
        );
        assert_eq!(
            line(SetCookie::new("a", "a\r\nSet-Cookie: admin=1")),
            "a=a%0D%0ASet-Cookie%3A%20admin%3D1; Path=/"
        );
        assert_eq!(
            line(SetCookie::new("a", "x; Domain=evil.com; Path=/admin")),
            "a=x%3B%20Domain%3Devil.com%3B%20Path%3D%2Fadmin; Path=/"
        );
        assert_eq!(
            line(SetCookie::new("a", "AZaz09-_.!~*'()\"%+/")),
            "a=AZaz09-_.!~*'()%22%25%2B%2F; Path=/"
        );
    }

    #[test]
    fn delete_line_matches_next() {
        let mut jar = Jar::default();
        jar.set(SetCookie::new("old", "").expires(UNIX_EPOCH))
            .unwrap();
        assert_eq!(
            lines(&jar),
            ["old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"]
        );
    }

    #[test]
    fn invalid_names_are_rejected() {
        for name in [
            "", "a=b", "a;b", "a,b", "a b", "a\tb", "a\r\nb", "a\0b", "a(b", "a\"b", "a/b", "a:b",
            "a@b", "a{b}", "a[b]", "a?b", "ü", "a\u{7f}b",
        ] {
            let err = SetCookie::new(name, "v").to_header_value().unwrap_err();
            assert_eq!(err, CookieError::InvalidName(name.to_owned()));
            assert!(!err.to_string().contains('\n'), "{err}");
        }
        for name in ["a", "__Host-id", "a.b", "a-b_c!#$%&'*+^`|~"] {
            assert!(
                SetCookie::new(name, "v").to_header_value().is_ok(),
                "{name}"
            );
        }
    }

    #[test]
    fn invalid_paths_and_domains_are_rejected() {
        for path in [
            "/a;b",
            "/a\r\nSet-Cookie: x=1",
            "/a\0",
            "/\t",
            "/ü",
            "/\u{7f}",
        ] {
            assert_eq!(
                SetCookie::new("a", "v").path(path).to_header_value(),
                Err(CookieError::InvalidPath(path.to_owned()))
            );
        }
        for domain in ["a.com;x", "a.com\r\n", "a .com", "ü.com", "a\tb"] {
            assert_eq!(
                SetCookie::new("a", "v").domain(domain).to_header_value(),
                Err(CookieError::InvalidDomain(domain.to_owned()))
            );
        }
        assert!(SetCookie::new("a", "v")
            .path("/a b/c")
            .domain(".example.com")
            .to_header_value()
            .is_ok());
    }

    // --- the jar ---------------------------------------------------------------------------

    #[test]
    fn get_sees_sets_and_deletes() {
        let mut jar = Jar::from_headers(&headers(&["a=1; b=2; c=3"]));
        jar.set(SetCookie::new("a", "one")).unwrap();
        jar.set(SetCookie::new("new", "x")).unwrap();
        jar.set(SetCookie::new("b", "").expires(UNIX_EPOCH))
            .unwrap();
        jar.set(SetCookie::new("c", "gone").max_age(0)).unwrap();
        assert_eq!(jar.get("a").as_deref(), Some("one"));
        assert_eq!(jar.get("new").as_deref(), Some("x"));
        assert_eq!(jar.get("b"), None);
        assert_eq!(jar.get("c"), None);
        assert_eq!(
            jar.get_all(),
            [
                ("a".to_owned(), "one".to_owned()),
                ("new".to_owned(), "x".to_owned()),
            ]
        );
        // Set again after a delete: it is back.
        jar.set(SetCookie::new("b", "again")).unwrap();
        assert_eq!(jar.get("b").as_deref(), Some("again"));
    }

    #[test]
    fn last_write_wins_in_first_set_order() {
        let mut jar = Jar::default();
        jar.set(SetCookie::new("x", "1")).unwrap();
        jar.set(SetCookie::new("y", "1")).unwrap();
        jar.set(SetCookie::new("x", "2")).unwrap();
        jar.set(SetCookie::new("z", "1")).unwrap();
        jar.set(SetCookie::new("y", "")).unwrap();
        jar.set(SetCookie::new("y", "").expires(UNIX_EPOCH))
            .unwrap();
        assert_eq!(
            lines(&jar),
            [
                "x=2; Path=/",
                "y=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                "z=1; Path=/",
            ]
        );
    }

    #[test]
    fn a_refused_cookie_changes_nothing() {
        let mut jar = Jar::default();
        assert!(jar.set(SetCookie::new("a;b", "v")).is_err());
        assert!(jar.set(SetCookie::new("a", "v").path("/;x")).is_err());
        assert!(lines(&jar).is_empty());
        assert_eq!(jar.get("a"), None);
    }

    // --- append_set_cookies ----------------------------------------------------------------

    #[test]
    fn append_skips_names_the_response_sets_itself() {
        let mut response = HeaderMap::new();
        response.append(
            SET_COOKIE,
            HeaderValue::from_static("token=own; Path=/; HttpOnly"),
        );
        response.append(SET_COOKIE, HeaderValue::from_static(" other =own"));
        response.append(SET_COOKIE, HeaderValue::from_static("flag"));
        let jar_lines = vec![
            HeaderValue::from_static("token=jar; Path=/"),
            HeaderValue::from_static("fresh=1; Path=/"),
            HeaderValue::from_static("other=jar; Path=/"),
            HeaderValue::from_static("Token=case; Path=/"),
        ];
        append_set_cookies(&mut response, jar_lines);
        let all: Vec<&str> = response
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(
            all,
            [
                "token=own; Path=/; HttpOnly",
                " other =own",
                "flag",
                "fresh=1; Path=/",
                "Token=case; Path=/",
            ]
        );
    }

    #[test]
    fn append_without_own_cookies_adds_everything() {
        let mut response = HeaderMap::new();
        append_set_cookies(
            &mut response,
            vec![
                HeaderValue::from_static("a=1; Path=/"),
                HeaderValue::from_static("b=2; Path=/"),
            ],
        );
        assert_eq!(response.get_all(SET_COOKIE).iter().count(), 2);
        append_set_cookies(&mut response, Vec::new());
        assert_eq!(response.get_all(SET_COOKIE).iter().count(), 2);
    }

    // --- the public API in a request scope ------------------------------------------------

    fn scope(cookie: &str) -> Arc<RequestScope> {
        Arc::new(RequestScope::new(
            Method::GET,
            Some(headers(&[cookie])),
            Dynamic::Auto,
        ))
    }

    #[tokio::test]
    async fn cookies_in_a_request() {
        let scope = scope("token=abc; old=1");
        let inner = Arc::clone(&scope);
        future_in_scope(inner, async {
            let jar = cookies();
            assert_eq!(jar.get("token").as_deref(), Some("abc"));
            assert!(jar.has("old"));
            jar.set("seen", "yes").unwrap();
            jar.set_cookie(SetCookie::new("token", "new value").http_only(true))
                .unwrap();
            jar.delete("old").unwrap();
            assert_eq!(jar.get("seen").as_deref(), Some("yes"));
            assert_eq!(jar.get("token").as_deref(), Some("new value"));
            assert!(!jar.has("old"));
            assert_eq!(jar.get("old"), None);
            assert!(matches!(
                jar.set("a=b", "v"),
                Err(CookieError::InvalidName(_))
            ));
            assert!(matches!(jar.delete(""), Err(CookieError::InvalidName(_))));
            assert_eq!(
                jar.get_all(),
                [
                    ("token".to_owned(), "new value".to_owned()),
                    ("seen".to_owned(), "yes".to_owned()),
                ]
            );
        })
        .await;
        let outcome = scope.outcome().expect("cookies were read and set");
        let lines: Vec<String> = outcome
            .set_cookies
            .into_lines()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            lines,
            [
                "seen=yes; Path=/",
                "token=new%20value; Path=/; HttpOnly",
                "old=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ]
        );
        assert!(outcome.read_request_data);
    }

    #[test]
    fn outside_a_request() {
        assert!(try_cookies().is_err());
        let handle = Cookies { _private: () };
        assert_eq!(handle.get("a"), None);
        assert!(handle.get_all().is_empty());
        assert!(!handle.has("a"));
        let err = handle.set("a", "b").unwrap_err();
        assert!(matches!(err, CookieError::OutsideRequest(_)));
        assert!(err.to_string().contains("outside a request"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    #[should_panic(expected = "`cookies()` was called outside a request")]
    fn cookies_panics_outside_a_request() {
        let _ = cookies();
    }
}
