//! The request scope: what `cookies()`, `headers()` and `redirect()` see while a handler runs.
//!
//! It is set (a scoped thread-local) around each poll of the handler's future, so the helpers work
//! at any depth of the handler's call tree without being passed around. A future moved to another
//! task with `tokio::spawn` leaves the scope; wrap it with [`in_request_scope`] to take the scope
//! along.
//!
//! A handler's run holds its scope as a [`ScopeSlot`], with no allocation, lock or reference
//! count; only [`in_request_scope`], which shares the scope with another task, moves its state
//! into a shared, locked [`RequestScope`].
//!
//! The scope also records what the handler read (headers, cookies, body): such a response depends
//! on the request and is never cached.

use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};

use axum::http::{HeaderMap, Method};

use crate::config::Dynamic;
use crate::cookies::CookieJar;

/// What a scope without headers (`ForceStatic`, or not provided yet) reads.
static EMPTY_HEADERS: LazyLock<HeaderMap> = LazyLock::new(HeaderMap::new);

thread_local! {
    /// The scope of the handler being polled on this thread (null outside a poll). A
    /// `thread_local!` used directly rather than `scoped_tls`, whose key is reached through a
    /// pointer and so costs a call per access (four a request).
    static CURRENT: Cell<*const ScopeSlot> = const { Cell::new(std::ptr::null()) };
}

/// What a request scope knows from the start.
#[derive(Clone)]
struct ScopeInfo {
    method: Method,
    access: Access,
}

impl ScopeInfo {
    /// Records a read of request data in `state`; `false` when the route forbids it
    /// (`Dynamic::Error`).
    fn record_in(&self, state: &mut ScopeState, what: RequestData) -> bool {
        match self.access {
            Access::Read => {
                // The parsed search params are a function of the cache key (the decoded query);
                // everything else read here is not.
                if what != RequestData::SearchParams {
                    state.read_request_data = true;
                }
                true
            }
            Access::Stripped => true,
            Access::Forbidden => {
                state.forbidden_read.get_or_insert(what.name());
                false
            }
        }
    }
}

/// A request's scope as its handler's run holds it. The state stays in the slot (read only by
/// the thread polling the handler, through [`CURRENT`]) until [`in_request_scope`] shares it
/// with another task: it then moves into a [`RequestScope`], the only copy from then on.
pub(crate) struct ScopeSlot {
    info: ScopeInfo,
    local: RefCell<ScopeState>,
    shared: OnceCell<Arc<RequestScope>>,
}

impl ScopeSlot {
    /// The scope of a request with this method, under the route's `DYNAMIC`; its headers come
    /// later (see [`provide_headers`]).
    pub(crate) fn new(method: Method, dynamic: Dynamic) -> Self {
        ScopeSlot {
            info: ScopeInfo {
                method,
                access: Access::of(dynamic),
            },
            local: RefCell::default(),
            shared: OnceCell::new(),
        }
    }

    /// A slot for a scope shared already (taken along to another task, or made by a test).
    fn for_shared(scope: Arc<RequestScope>) -> Self {
        ScopeSlot {
            info: scope.info.clone(),
            local: RefCell::default(),
            shared: OnceCell::from(scope),
        }
    }

    /// Calls `f` (one poll of a handler) with this as the current request scope; the previous
    /// one is current again afterwards, even if `f` panics.
    pub(crate) fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore(*const ScopeSlot);
        impl Drop for Restore {
            fn drop(&mut self) {
                CURRENT.with(|current| current.set(self.0));
            }
        }
        let _restore = Restore(CURRENT.with(|current| current.replace(self)));
        f()
    }

    /// Calls `f` with the scope's state, wherever it is. `f` must not call a helper (the state
    /// is borrowed, or locked, meanwhile).
    fn state<R>(&self, f: impl FnOnce(&mut ScopeState) -> R) -> R {
        match self.shared.get() {
            Some(scope) => f(&mut crate::lock(&scope.state)),
            None => f(&mut self.local.borrow_mut()),
        }
    }

    /// The scope, shared: its state moves out of the slot the first time.
    fn share(&self) -> Arc<RequestScope> {
        let scope = self.shared.get_or_init(|| {
            Arc::new(RequestScope {
                info: self.info.clone(),
                state: Mutex::new(self.local.take()),
            })
        });
        Arc::clone(scope)
    }

    /// Records a read of request data; `false` when the route forbids it (`Dynamic::Error`).
    fn record(&self, what: RequestData) -> bool {
        self.state(|state| self.info.record_in(state, what))
    }

    /// Hands the request headers to the scope (a no-op when it has them, or for a
    /// `ForceStatic` route).
    fn provide_headers(&self, headers: HeaderMap) {
        if self.info.access != Access::Stripped {
            self.state(|state| {
                state.headers.get_or_insert(headers);
            });
        }
    }

    /// What the handler did with the request, read once it has returned; `None` when it read no
    /// request data and set no cookie (most handlers).
    #[inline]
    pub(crate) fn outcome(&self) -> Option<ScopeOutcome> {
        // Most handlers touch nothing: answered inline, without the call that takes the outcome.
        if self.shared.get().is_none() && self.local.borrow().is_untouched() {
            return None;
        }
        self.state(ScopeState::take_outcome)
    }

    /// Whether the request is an HTML form submission (`redirect()` then answers 303).
    fn is_form_submission(&self) -> bool {
        if self.info.method != Method::POST {
            return false;
        }
        self.state(|state| {
            let Some(content_type) = state
                .headers()
                .get(axum::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
            else {
                return false;
            };
            content_type == "application/x-www-form-urlencoded"
                || content_type.starts_with("multipart/form-data")
        })
    }
}

/// `cookies()`, `headers()` or another request-scoped helper was called outside a route handler's
/// call tree (for example in a `tokio::spawn`ed task not wrapped with [`in_request_scope`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutsideRequest {
    helper: &'static str,
}

impl std::fmt::Display for OutsideRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}()` was called outside a request: it only works inside a route handler's call tree \
             (a `tokio::spawn`ed task must be wrapped with `route_runtime::in_request_scope`)",
            self.helper
        )
    }
}

impl std::error::Error for OutsideRequest {}

/// What a handler may read of the request, as chosen by the route's `DYNAMIC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read freely (the response is then not cached).
    Read,
    /// `ForceStatic`: request data reads as empty.
    Stripped,
    /// `Dynamic::Error`: reading request data is a bug (the response becomes a 500).
    Forbidden,
}

impl Access {
    fn of(dynamic: Dynamic) -> Self {
        match dynamic {
            Dynamic::ForceStatic => Access::Stripped,
            Dynamic::Error => Access::Forbidden,
            Dynamic::Auto | Dynamic::ForceDynamic => Access::Read,
        }
    }
}

/// Which piece of request data a handler read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestData {
    Headers,
    Cookies,
    Body,
    SearchParams,
    /// The query as written (`Request::url`, `NextUrl::search`): its spelling (`%41` or `A`,
    /// `+` or `%20`, the order of the pairs) is not in the cache key.
    RawQuery,
}

impl RequestData {
    fn name(self) -> &'static str {
        match self {
            RequestData::Headers => "headers()",
            RequestData::Cookies => "cookies()",
            RequestData::Body => "the request body",
            RequestData::SearchParams => "the search params",
            RequestData::RawQuery => "the query string",
        }
    }
}

/// What a handler did with its request, as its response needs to know.
pub(crate) struct ScopeOutcome {
    /// It read headers, cookies or the body: the response must not be cached.
    pub(crate) read_request_data: bool,
    /// What a `Dynamic::Error` route read, if anything.
    pub(crate) forbidden_read: Option<&'static str>,
    /// The cookies set or deleted during the request.
    pub(crate) set_cookies: CookieJar,
    /// The cache tags the handler gave its response ([`crate::cache::tag`]).
    pub(crate) tags: Vec<String>,
}

/// The state of one request, shared by tasks ([`in_request_scope`]) while its handler runs.
pub(crate) struct RequestScope {
    info: ScopeInfo,
    state: Mutex<ScopeState>,
}

#[derive(Default)]
struct ScopeState {
    /// Given by generated code once the extractors are done with them (moved, not copied: a
    /// handler that never calls a helper pays nothing for them).
    headers: Option<HeaderMap>,
    jar: CookieJar,
    read_request_data: bool,
    forbidden_read: Option<&'static str>,
    tags: Vec<String>,
}

impl ScopeState {
    /// The request's headers; empty for `ForceStatic` routes or before they are provided.
    fn headers(&self) -> &HeaderMap {
        self.headers.as_ref().unwrap_or(&EMPTY_HEADERS)
    }

    /// Whether the handler read no request data, set no cookie and gave no cache tag.
    #[inline]
    fn is_untouched(&self) -> bool {
        !self.read_request_data
            && self.forbidden_read.is_none()
            && self.jar.is_empty()
            && self.tags.is_empty()
    }

    /// See [`ScopeSlot::outcome`].
    fn take_outcome(&mut self) -> Option<ScopeOutcome> {
        if self.is_untouched() {
            return None;
        }
        Some(ScopeOutcome {
            read_request_data: self.read_request_data,
            forbidden_read: self.forbidden_read,
            set_cookies: std::mem::take(&mut self.jar),
            tags: std::mem::take(&mut self.tags),
        })
    }
}

impl RequestScope {
    /// A shared scope made with its headers (tests, which run a future in it).
    #[cfg(test)]
    pub(crate) fn new(method: Method, headers: Option<HeaderMap>, dynamic: Dynamic) -> Self {
        let access = Access::of(dynamic);
        RequestScope {
            info: ScopeInfo { method, access },
            state: Mutex::new(ScopeState {
                headers: headers.filter(|_| access != Access::Stripped),
                ..ScopeState::default()
            }),
        }
    }

    /// See [`ScopeSlot::outcome`].
    #[cfg(test)]
    pub(crate) fn outcome(&self) -> Option<ScopeOutcome> {
        crate::lock(&self.state).take_outcome()
    }
}

/// Runs `future` with `scope` as the current request scope.
pub(crate) fn future_in_scope<F: Future>(scope: Arc<RequestScope>, future: F) -> InScope<F> {
    InScope {
        slot: ScopeSlot::for_shared(scope),
        future,
    }
}

pin_project_lite::pin_project! {
    /// A future polled inside a shared request scope (see [`in_request_scope`]). It owns its
    /// slot: a borrowed one, held across an `.await`, would make the future `!Send`.
    pub(crate) struct InScope<F> {
        slot: ScopeSlot,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for InScope<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        this.slot.enter(|| future.poll(cx))
    }
}

/// Calls `f` with the current request scope.
/// Adds `tag` to the current request's response, for the cache (see [`crate::cache::tag`]).
pub(crate) fn add_tag(tag: String) -> Result<(), OutsideRequest> {
    with_scope("cache::tag", |scope| {
        scope.state(|state| {
            if !state.tags.contains(&tag) {
                state.tags.push(tag);
            }
        })
    })
}

pub(crate) fn with_scope<R>(
    helper: &'static str,
    f: impl FnOnce(&ScopeSlot) -> R,
) -> Result<R, OutsideRequest> {
    let current = CURRENT.with(Cell::get);
    // SAFETY: a non-null pointer is the slot of an `enter` running on this thread, which borrows
    // the slot until it returns (and so until `f` has).
    match unsafe { current.as_ref() } {
        Some(scope) => Ok(f(scope)),
        None => Err(OutsideRequest { helper }),
    }
}

/// Records a read of request data in the current scope (no-op outside one). `false` when the
/// route forbids reading request data.
pub(crate) fn record(what: RequestData) -> bool {
    with_scope("record", |scope| scope.record(what)).unwrap_or(true)
}

/// Hands the request headers to the current scope once the extractors are done with them (see
/// `generated`). A no-op outside a request, when already provided, or for a `ForceStatic` route.
pub(crate) fn provide_headers(headers: HeaderMap) {
    let _ = with_scope("headers", |scope| scope.provide_headers(headers));
}

/// Calls `f` with the cookies set during the request and the request's headers (whose `Cookie`
/// lines the jar reads on demand).
pub(crate) fn with_jar<R>(
    helper: &'static str,
    f: impl FnOnce(&mut CookieJar, &HeaderMap) -> R,
) -> Result<R, OutsideRequest> {
    with_scope(helper, |scope| {
        scope.state(|state| {
            scope.info.record_in(state, RequestData::Cookies);
            let headers = state.headers.as_ref().unwrap_or(&EMPTY_HEADERS);
            f(&mut state.jar, headers)
        })
    })
}

/// Whether the current request is an HTML form submission; `false` outside a request.
pub(crate) fn is_form_submission() -> bool {
    with_scope("redirect", ScopeSlot::is_form_submission).unwrap_or(false)
}

/// Takes the current request scope along into `future`, for work moved to another task.
///
/// ```no_run
/// # async fn handler() {
/// use route_runtime::{cookies, in_request_scope};
/// let task = tokio::spawn(in_request_scope(async {
///     cookies().get("token") // works: the scope came along
/// }));
/// # }
/// ```
///
/// Cookies set from such a task after the handler has returned its response are not sent.
/// Outside a request, `future` runs without a scope.
pub fn in_request_scope<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let current = with_scope("in_request_scope", ScopeSlot::share).ok();
    async move {
        match current {
            Some(scope) => future_in_scope(scope, future).await,
            None => future.await,
        }
    }
}

/// The request's headers, read-only (Next.js's `headers()`).
///
/// Works anywhere in a route handler's call tree.
///
/// # Panics
/// Outside a request; [`try_headers`] is the non-panicking form.
///
/// ```no_run
/// use route_runtime::headers;
/// let referer = headers().get("referer");
/// ```
pub fn headers() -> Headers {
    match try_headers() {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    }
}

/// [`headers`], or an error outside a request.
pub fn try_headers() -> Result<Headers, OutsideRequest> {
    with_scope("headers", |_| Headers { _private: () })
}

/// A read-only view of the current request's headers; see [`headers`].
#[derive(Debug, Clone, Copy)]
pub struct Headers {
    _private: (),
}

impl Headers {
    fn read<R>(&self, f: impl Fn(&HeaderMap) -> R) -> R {
        with_scope("headers", |scope| {
            scope.state(|state| {
                scope.info.record_in(state, RequestData::Headers);
                f(state.headers())
            })
        })
        .unwrap_or_else(|_| f(&HeaderMap::new()))
    }

    /// The first value of `name` (case-insensitive), if present and valid text.
    pub fn get(&self, name: &str) -> Option<String> {
        self.read(|h| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned))
    }

    /// Every value of `name`, in order.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        self.read(|h| {
            h.get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .map(str::to_owned)
                .collect()
        })
    }

    /// Whether `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.read(|h| h.contains_key(name))
    }

    /// A copy of all headers.
    pub fn to_header_map(&self) -> HeaderMap {
        self.read(HeaderMap::clone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> ScopeSlot {
        ScopeSlot::new(Method::GET, Dynamic::Auto)
    }

    fn current() -> Option<*const ScopeSlot> {
        with_scope("test", |scope| scope as *const ScopeSlot).ok()
    }

    #[test]
    fn a_scope_is_current_only_while_entered_and_nests() {
        let (outer, inner) = (slot(), slot());
        assert_eq!(current(), None);
        outer.enter(|| {
            assert_eq!(current(), Some(&outer as *const _));
            inner.enter(|| assert_eq!(current(), Some(&inner as *const _)));
            assert_eq!(current(), Some(&outer as *const _));
        });
        assert_eq!(current(), None);
    }

    #[test]
    fn a_panic_inside_a_scope_leaves_it() {
        let scope = slot();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scope.enter(|| panic!("handler panicked"))
        }));
        assert!(panicked.is_err());
        // The slot is no longer current: a helper called now is outside a request.
        assert_eq!(current(), None);
    }
}
