//! The glue between a `#[route]` module and axum: `RouteBuilder` turns the module's handlers into
//! one axum `MethodRouter`, and `dispatch` runs each request through the route's pipeline.
//!
//! Pipeline of one request: canonical-path check (308) → params matched on the raw path and
//! decoded (400 on bad encoding) → the request scope for `cookies()`/`headers()` → the handler,
//! with panics caught (500) and `MAX_DURATION` enforced (504) → cookies set during the request
//! appended to the response (axum's method router then drops `HEAD` bodies).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::extract::OriginalUri;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use tracing::Instrument;

use crate::cache;
use crate::config::{Dynamic, RouteInfo, RouteMethod};
use crate::cookies::append_set_cookies;
use crate::error::RouteError;
use crate::params::RawParams;
use crate::pattern::{axum_paths, match_clean, match_unclean, PathMatch, Segment};
use crate::request::{declared_length, too_large, BodyLimit, DEFAULT_BODY_LIMIT};
use crate::scope::ScopeSlot;
use crate::{methods, normalize};

/// The request head, as generated code receives it.
pub type Parts = axum::http::request::Parts;
/// The request body, as generated code receives it.
pub type Body = axum::body::Body;

type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// A type-erased handler of one method: the closure `#[route]` generates (which gives the request
/// scope its headers itself before any user code runs), its future boxed in a [`Run`].
pub(crate) type HandlerFn<S> = Arc<dyn Fn(Parts, Body, S, RawParams) -> BoxFuture + Send + Sync>;

/// Puts the matched params in the request's extensions, where
/// [`RouteContext`](crate::RouteContext)'s extractor finds them. A handler whose only argument is
/// a `RouteContext` skips this round trip (see `generated::FromMatched`).
pub(crate) fn stash_params(parts: &mut Parts, params: RawParams) {
    // Extensions allocate on first insert: a route without params needs none.
    if !params.is_empty() {
        parts.extensions.insert(params);
    } else {
        params.discard();
    }
}

/// Generated code: collects a module's handlers and builds its router.
pub struct RouteBuilder<S> {
    info: &'static RouteInfo,
    handlers: Vec<(RouteMethod, HandlerFn<S>)>,
}

impl<S> RouteBuilder<S>
where
    S: Clone + Send + Sync + 'static,
{
    /// Starts the router of the route described by `info`.
    pub fn new(info: &'static RouteInfo) -> Self {
        RouteBuilder {
            info,
            handlers: Vec::new(),
        }
    }

    /// Adds the handler of `method`; `cookies()` and `headers()` see a copy of the request
    /// headers made before it runs, and [`RouteContext`](crate::RouteContext) extracts the
    /// matched params.
    pub fn handler<F, Fut>(self, method: RouteMethod, f: F) -> Self
    where
        F: Fn(Parts, Body, S) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        // Does what generated code does for itself: params where `RouteContext` finds them, and
        // the headers in the scope (once the future runs, inside it) before the handler's code.
        self.generated_handler(method, move |mut parts: Parts, body, state, params| {
            stash_params(&mut parts, params);
            let headers = parts.headers.clone();
            // `f` runs before the run's `catch_unwind` does: a panic in it is caught here.
            let future = std::panic::catch_unwind(AssertUnwindSafe(|| f(parts, body, state)));
            async move {
                crate::scope::provide_headers(headers);
                match future {
                    Ok(future) => future.await,
                    Err(panic) => panicked(&panic),
                }
            }
        })
    }

    /// Generated code: adds a handler that receives the matched params itself (see
    /// [`stash_params`]) and calls [`provide_headers`](crate::scope::provide_headers) before any
    /// user code runs.
    pub fn generated_handler<F, Fut>(mut self, method: RouteMethod, f: F) -> Self
    where
        F: Fn(Parts, Body, S, RawParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Response> + Send + 'static,
    {
        let info = self.info;
        // The handler's run is boxed (the one allocation a request makes here); what runs
        // around the handler is `Finish`'s, the same code for every handler.
        let call: HandlerFn<S> = Arc::new(move |mut parts: Parts, body, state, params| {
            // The box is allocated first, so the handler's future is built in it rather than on
            // the stack and copied there (`Box::pin` of the finished value): ~60 instructions
            // less. The finish is assembled last, in the box too, from the few words `Start`
            // reads of the head before the handler's closure takes it (-60 more).
            let start = Start::read(info, &mut parts);
            let run: Box<Run<Fut>> = Box::write(
                Box::new_uninit(),
                Run {
                    handler: f(parts, body, state, params),
                    finish: start.finish(),
                },
            );
            Box::into_pin(run) as BoxFuture
        });
        self.handlers.push((method, call));
        self
    }

    /// The axum router serving the route at its path(s), with Next.js's method semantics.
    pub fn build(self) -> Router<S> {
        let info = self.info;
        let allow = HeaderValue::from_str(&info.allow_header())
            .unwrap_or_else(|_| HeaderValue::from_static("OPTIONS"));
        let handler = |method| {
            self.handlers
                .iter()
                .find(|(m, _)| *m == method)
                .map(|(_, h)| Arc::clone(h))
        };
        // A static pattern's router only routes the exact, canonical path here: there is nothing
        // to check or match.
        let dynamic = info.segments.iter().any(|s| s.param_name().is_some());
        let mut methods: MethodRouter<S> = MethodRouter::new();
        for method in RouteMethod::ALL {
            // A `HEAD` without a handler of its own is served by the `GET` one.
            let served_by = match method {
                RouteMethod::Head if handler(RouteMethod::Head).is_none() => RouteMethod::Get,
                m => m,
            };
            if let Some(handler) = handler(served_by) {
                let endpoint = Endpoint(Arc::new(EndpointData {
                    info,
                    dynamic,
                    method,
                    fills_cache: served_by == RouteMethod::Get
                        && info.config.cache_lifetime().is_some(),
                    handler,
                }));
                methods = methods.on(method_filter(method), endpoint);
            }
        }
        if handler(RouteMethod::Options).is_none() {
            let allow = allow.clone();
            methods = methods.merge(on(MethodFilter::OPTIONS, move || {
                let response = methods::automatic_options(&allow);
                std::future::ready(response)
            }));
        }
        methods = methods.fallback(move |method: Method| {
            std::future::ready(methods::not_allowed(&method, &allow))
        });
        let mut router = Router::new();
        for path in axum_paths(info.segments) {
            router = router.route(&path, methods.clone());
        }
        router
    }
}

/// The axum handler of one method of a route.
///
/// A `Handler` of its own rather than a closure with `State` and `Request` extractors: those take
/// the request apart and put it back together, moving it (and the future) on every request.
///
/// One pointer wide: axum copies (and boxes) an endpoint on every request. A zero-sized endpoint
/// type per handler (its future unboxed too) saved that allocation and ~310 instructions a
/// request in all, but axum's routing stack is then compiled once per handler: the 200-route
/// crate's clean build took 2.8× the hand-written one's, its incremental rebuild 1.8× the rustc
/// instructions (2026-11-30); 2.2× and 1.5× with one boxed future type for all endpoints; 2.1×
/// and 1.46× with only `Handler::call` generic (see `BENCHMARKS.md`, eighth session).
#[derive(Clone)]
struct Endpoint<S>(Arc<EndpointData<S>>);

/// What an endpoint knows of its route, resolved when the router is built.
struct EndpointData<S> {
    info: &'static RouteInfo,
    /// Whether the pattern has a dynamic segment (else there are no params to match).
    dynamic: bool,
    /// The request method this endpoint serves.
    method: RouteMethod,
    /// Whether it is the `GET` handler of a cacheable route: only that one fills the cache (a
    /// `HEAD` without its own handler reads it); a module's own `HEAD` never writes an empty body
    /// under the `GET` key.
    fills_cache: bool,
    /// The handler serving it: the `GET` one for a `HEAD` without a handler of its own.
    handler: HandlerFn<S>,
}

impl<S> Handler<Endpoint<S>, S> for Endpoint<S>
where
    S: Clone + Send + Sync + 'static,
{
    type Future = BoxFuture;

    fn call(self, request: axum::extract::Request, state: S) -> Self::Future {
        dispatch(self.0, state, request)
    }
}

fn method_filter(method: RouteMethod) -> MethodFilter {
    match method {
        RouteMethod::Delete => MethodFilter::DELETE,
        RouteMethod::Get => MethodFilter::GET,
        RouteMethod::Head => MethodFilter::HEAD,
        RouteMethod::Options => MethodFilter::OPTIONS,
        RouteMethod::Patch => MethodFilter::PATCH,
        RouteMethod::Post => MethodFilter::POST,
        RouteMethod::Put => MethodFilter::PUT,
    }
}

/// Runs one request through the route's pipeline: synchronous checks, then the handler's run.
fn dispatch<S>(
    endpoint: Arc<EndpointData<S>>,
    state: S,
    request: axum::extract::Request,
) -> BoxFuture
where
    S: Clone + Send + Sync + 'static,
{
    let info = endpoint.info;
    let span = tracing::info_span!(
        "route",
        route = info.pattern,
        method = endpoint.method.as_str()
    );
    // Without a subscriber that wants the span, the handler's future runs bare.
    if span.is_disabled() {
        return start(&endpoint, state, request);
    }
    let work = span.in_scope(|| start(&endpoint, state, request));
    Box::pin(work.instrument(span))
}

/// The handler's run, or the early answer. (A `HEAD` response keeps its `Content-Length` and
/// loses its body in axum's method router.)
///
/// Inlined into both of `dispatch`'s paths: called from `in_scope`'s closure, the bare path copied
/// the request once more (~60 instructions a request).
#[inline(always)]
fn start<S>(endpoint: &EndpointData<S>, state: S, request: axum::extract::Request) -> BoxFuture
where
    S: Clone + Send + Sync + 'static,
{
    let info = endpoint.info;
    let (mut parts, body) = request.into_parts();
    match prepare(endpoint, &mut parts, body) {
        Ok((_, params)) if endpoint.fills_cache && cache::applies(info, &parts) => {
            let handler = Arc::clone(&endpoint.handler);
            let cache = cache::for_request(&parts);
            Box::pin(cache.serve(info, handler, parts, params, state))
        }
        Ok((body, params)) => (endpoint.handler)(parts, body, state, params),
        // Early answers (404, 308, 413) are rare enough to box.
        Err(response) => Box::pin(std::future::ready(*response)),
    }
}

/// The synchronous checks before a handler runs: the matched params and the body under the
/// route's limit; or the early answer (boxed: it is rare, and the common result stays small).
/// The head is checked in place (moving it costs a copy). Inlined into `start` (one copy per
/// state type): returning the ~90-byte result through memory cost ~30 instructions a request.
#[inline(always)]
fn prepare<S>(
    endpoint: &EndpointData<S>,
    parts: &mut Parts,
    body: Body,
) -> Result<(Body, RawParams), Box<Response>> {
    let info = endpoint.info;
    // Not assigned over a default: that dropped the empty default out of line (~23).
    let params = if endpoint.dynamic {
        // The router may have been mounted without `NormalizePath` in front: a catch-all still
        // matches `/blog/a/`, and `[id]` matches `..`, so check here too.
        match match_clean(info.segments, parts.uri.path()) {
            Some(matched) => matched,
            None => unclean_params(info.segments, parts)?,
        }
    } else {
        RawParams::default()
    };
    let limit = info.config.body_limit.unwrap_or(DEFAULT_BODY_LIMIT);
    if info.config.body_limit.is_some() {
        parts.extensions.insert(BodyLimit(limit));
        // The body is `Limited` below: axum's own 2 MB default must not cap a larger route limit.
        let mut marked = axum::http::Request::new(());
        axum::extract::DefaultBodyLimit::disable().apply(&mut marked);
        parts.extensions.extend(marked.into_parts().0.extensions);
    }
    // A GET or HEAD body is never handed to the handler (as in Next.js).
    let body = if matches!(endpoint.method, RouteMethod::Get | RouteMethod::Head) {
        Body::empty()
    } else if declared_length(&parts.headers).is_some_and(|n| n > limit as u64) {
        // Refused before a byte of the body is read.
        return Err(Box::new(too_large(limit).into_response()));
    } else {
        // The route's limit binds every reader of the body, axum extractors included: they
        // turn `LengthLimitError` into a 413.
        Body::new(http_body_util::Limited::new(body, limit))
    };
    Ok((body, params))
}

/// The params of a path that [`match_clean`] left (not canonical, not matching, or badly
/// encoded), or the early answer: the rare path, out of line (and without trying the clean
/// match again).
///
/// The redirect is built from the URI as the client sent it ([`OriginalUri`]): under `nest`, the
/// request's own URI has lost the mount's prefix.
#[cold]
fn unclean_params(segments: &[Segment], parts: &Parts) -> Result<RawParams, Box<Response>> {
    match match_unclean(segments, parts.uri.path()) {
        Ok(PathMatch::Matched(matched)) => Ok(matched),
        Ok(PathMatch::NotCanonical) => Err(Box::new(
            normalize::canonical_redirect(original_uri(parts))
                .unwrap_or_else(|| StatusCode::NOT_FOUND.into_response()),
        )),
        Ok(PathMatch::NoMatch) => Err(Box::new(StatusCode::NOT_FOUND.into_response())),
        Err(e) => Err(Box::new(RouteError::from_param_error(&e).into_response())),
    }
}

/// The URI the client sent: axum's [`OriginalUri`] (set by the outermost router, before `nest`
/// strips its prefix), or the request's own.
pub(crate) fn original_uri(parts: &Parts) -> &Uri {
    parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
}

pin_project_lite::pin_project! {
    /// A handler's run: its future and what happens around it, in one box with the request scope
    /// (a ~200-byte scope beside the box was copied at each move on the way into axum's future).
    /// Generic only to poll the future in place, which cost an incremental rebuild of 200 routes
    /// 1.7% more rustc instructions; the rest is [`Finish`]'s, compiled once (with a task-local
    /// and a panic-catching future per handler, it had cost 17%). The scope is entered for each
    /// poll; a handler dropped unfinished (timeout, client gone) is dropped outside it, where
    /// `try_cookies()` is an error.
    pub(crate) struct Run<F> {
        #[pin]
        handler: F,
        finish: Finish,
    }
}

impl<F: Future<Output = Response>> Future for Run<F> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let this = self.project();
        this.finish.poll(this.handler, cx)
    }
}

/// What a handler's run needs besides the handler: the request scope, the `MAX_DURATION`
/// deadline, and the work on its outcome (panics into 500, cookies set during the request).
pub(crate) struct Finish {
    info: &'static RouteInfo,
    /// The request scope, set for each poll of the handler (pointing here: no allocation).
    scope: ScopeSlot,
    /// Boxed: a timer is large, and only routes with `MAX_DURATION` need one.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// What a run's [`Finish`] takes from the request head before the handler's closure takes the
/// head: a few words, so that the finish (~220 bytes, most of it the scope's empty state) is
/// assembled in the run's box, not on the stack and copied there.
struct Start {
    info: &'static RouteInfo,
    method: Method,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Start {
    /// Reads the head (stripped first for `ForceStatic`) and starts the route's deadline.
    fn read(info: &'static RouteInfo, parts: &mut Parts) -> Self {
        if info.config.dynamic == Dynamic::ForceStatic {
            strip_request(parts);
        }
        Start {
            info,
            method: parts.method.clone(),
            deadline: info
                .config
                .max_duration()
                .map(|limit| Box::pin(tokio::time::sleep(limit))),
        }
    }

    /// The run's finish: its request scope (every handler gives the scope its headers itself,
    /// once its extractors are done with them) and the deadline.
    fn finish(self) -> Finish {
        Finish {
            info: self.info,
            scope: ScopeSlot::new(self.method, self.info.config.dynamic),
            deadline: self.deadline,
        }
    }
}

impl Finish {
    /// Polls the handler inside its request scope, with panics caught; then the deadline.
    fn poll(
        &mut self,
        handler: Pin<&mut dyn Future<Output = Response>>,
        cx: &mut Context<'_>,
    ) -> Poll<Response> {
        let mut polled = self
            .scope
            .enter(|| std::panic::catch_unwind(AssertUnwindSafe(|| handler.poll(cx))));
        // Completed where it lies: moved out and back into a `Poll`, it cost one more copy.
        if let Ok(Poll::Ready(response)) = &mut polled {
            self.complete(response);
        }
        match polled {
            Ok(Poll::Pending) => self.poll_deadline(cx),
            Ok(ready) => ready,
            Err(panic) => Poll::Ready(panicked(&panic)),
        }
    }

    /// `504` once the route's `MAX_DURATION` has passed (the handler is then dropped).
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<Response> {
        let Some(deadline) = &mut self.deadline else {
            return Poll::Pending;
        };
        ready!(deadline.as_mut().poll(cx));
        tracing::error!(
            max_duration_secs = self
                .info
                .config
                .max_duration()
                .unwrap_or_default()
                .as_secs(),
            "route handler exceeded MAX_DURATION; dropped"
        );
        Poll::Ready(StatusCode::GATEWAY_TIMEOUT.into_response())
    }

    /// Completes the handler's response in place (moving it in and out cost ~25 instructions):
    /// `500` for a forbidden read, otherwise the cookies set during the request.
    fn complete(&self, response: &mut Response) {
        let info = self.info;
        if let Some(outcome) = self.scope.outcome() {
            if let Some(what) = outcome.forbidden_read {
                tracing::error!(
                    read = what,
                    "route with `DYNAMIC = Dynamic::Error` read request data"
                );
                *response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                return;
            }
            append_set_cookies(response.headers_mut(), outcome.set_cookies.into_lines());
            // Only the cache reads the marks (and inserting one allocates the extensions).
            if info.config.cache_lifetime().is_some() {
                if outcome.read_request_data {
                    response
                        .extensions_mut()
                        .insert(crate::handler::ReadRequestData);
                }
                if !outcome.tags.is_empty() {
                    response
                        .extensions_mut()
                        .insert(crate::cache::RequestTags(outcome.tags));
                }
            }
        }
    }
}

/// The answer to a handler's panic: `500`, the panic logged (never sent to the client).
#[cold]
fn panicked(panic: &Box<dyn Any + Send>) -> Response {
    tracing::error!(panic = panic_message(panic), "route handler panicked");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// Marks a response whose handler read headers, cookies or the body: it must not be cached.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadRequestData;

/// `ForceStatic`: the handler sees no query, headers or cookies.
fn strip_request(parts: &mut Parts) {
    parts.headers.clear();
    let path = parts.uri.path().to_owned();
    if let Ok(uri) = path.parse() {
        parts.uri = uri;
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}
