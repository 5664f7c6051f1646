//! The deadlines hyper does not keep itself, per connection: its first request within the
//! header-read timeout (hyper-util's `auto` builder waits for the HTTP/2 preface with no timer),
//! and an HTTP/2 connection's next request when none is in flight (HTTP/2 has no idle limit).
//!
//! The watchdog waits in a task of its own; on the request path it costs an atomic load per request
//! (HTTP/1; hyper's own header-read timer closes an idle HTTP/1 connection once it has produced a
//! request, so the watchdog then steps aside) and the poll of a oneshot per wake of the
//! connection's task.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Version};
use axum::response::Response;
use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::sync::{oneshot, watch};
use tokio::time::{Instant, Sleep};
use tower::Service;

/// What one connection has been doing.
pub(super) struct Activity {
    state: Mutex<ActivityState>,
    /// Set by its first HTTP/1 request: from then on, nothing here to watch (read without the
    /// lock, on every request and every wake of the watchdog's task).
    http1: AtomicBool,
}

struct ActivityState {
    /// Whether the connection has produced a request yet.
    answered: bool,
    /// HTTP/2 requests whose response body hyper has not dropped yet.
    in_flight: usize,
    /// Since when `in_flight` has been 0 (the accept, at first).
    idle_since: Instant,
}

/// Why the watchdog stops a connection.
pub(super) enum Stop {
    /// No request at all within the header-read timeout: nothing was ever answered, close at once.
    NoRequest,
    /// An HTTP/2 connection idle for the header-read timeout: shut it down gracefully (GOAWAY).
    IdleHttp2,
    /// The server is shutting down: shut it down gracefully.
    Shutdown,
}

/// Watches a connection from a task of its own until it must stop (or has ended: the receiver is
/// dropped with the connection's task).
pub(super) fn spawn(
    activity: Arc<Activity>,
    timeout: Duration,
    mut closing: watch::Receiver<()>,
) -> oneshot::Receiver<Stop> {
    let (mut tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let stop = tokio::select! {
            () = tx.closed() => return,
            _ = closing.changed() => Stop::Shutdown,
            stop = activity.idle(timeout) => stop,
        };
        let _ = tx.send(stop);
    });
    rx
}

impl Activity {
    pub(super) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            state: Mutex::new(ActivityState {
                answered: false,
                in_flight: 0,
                idle_since: Instant::now(),
            }),
            http1: AtomicBool::new(false),
        })
    }

    fn state(&self) -> MutexGuard<'_, ActivityState> {
        // Nothing panics while holding the lock; a poisoned state is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a request; on HTTP/2, the guard that keeps it in flight until its body is done.
    fn enter(self: &Arc<Self>, version: Version) -> Option<InFlight> {
        if version != Version::HTTP_2 {
            if !self.http1.load(Ordering::Relaxed) {
                self.state().answered = true;
                self.http1.store(true, Ordering::Relaxed);
            }
            return None;
        }
        let mut state = self.state();
        state.answered = true;
        state.in_flight += 1;
        Some(InFlight(Arc::clone(self)))
    }

    /// A future that completes once the connection has had no request in flight for `timeout`:
    /// none at all since the accept, or (HTTP/2) none since its last one ended. It never
    /// completes for HTTP/1 once that has produced a request.
    fn idle(self: &Arc<Self>, timeout: Duration) -> Idle {
        let deadline = self.state().idle_since + timeout;
        Idle {
            activity: Arc::clone(self),
            timeout,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

/// See [`Activity::idle`].
struct Idle {
    activity: Arc<Activity>,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl Future for Idle {
    type Output = Stop;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Stop> {
        loop {
            // Once HTTP/1 has produced a request there is nothing left to watch: pending for good
            // (the timer, no longer polled, wakes this task once more at most).
            if self.activity.http1.load(Ordering::Relaxed) {
                return Poll::Pending;
            }
            std::task::ready!(self.sleep.as_mut().poll(cx));
            let next = {
                let state = self.activity.state();
                let now = Instant::now();
                if state.in_flight > 0 {
                    // Busy: look again later (a timer per `timeout`, not per request).
                    now + self.timeout
                } else if state.idle_since + self.timeout <= now {
                    return Poll::Ready(if state.answered {
                        Stop::IdleHttp2
                    } else {
                        Stop::NoRequest
                    });
                } else {
                    state.idle_since + self.timeout
                }
            };
            self.sleep.as_mut().reset(next);
        }
    }
}

/// An HTTP/2 request in flight on its connection, until dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.in_flight -= 1;
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
        }
    }
}

/// The app on one connection: each request noted on the connection's [`Activity`].
#[derive(Clone)]
pub(super) struct Watched<S> {
    pub(super) inner: S,
    pub(super) activity: Arc<Activity>,
}

impl<S, B> Service<Request<B>> for Watched<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = WatchedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let in_flight = self.activity.enter(request.version());
        WatchedFuture {
            inner: self.inner.call(request),
            in_flight,
        }
    }
}

pin_project_lite::pin_project! {
    /// The app's answer; on HTTP/2, its body carries the request's [`InFlight`].
    pub(super) struct WatchedFuture<F> {
        #[pin]
        inner: F,
        in_flight: Option<InFlight>,
    }
}

impl<F> Future for WatchedFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.inner.poll(cx))?;
        // HTTP/1 answers keep their body type: hyper's writer is then the one it was, and the
        // tracking (a box) is paid by HTTP/2 alone.
        Poll::Ready(Ok(match this.in_flight.take() {
            None => response,
            Some(in_flight) => response.map(|body| {
                Body::new(TrackedBody {
                    body,
                    _in_flight: in_flight,
                })
            }),
        }))
    }
}

/// A response body that keeps its HTTP/2 request in flight until hyper drops it (sent, reset, or
/// the connection gone). Everything else is the body's own: its size hint too, by which hyper
/// frames it.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
