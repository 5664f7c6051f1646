//! The deadlines hyper does not keep itself, per connection: its first request within the
//! header-read timeout (hyper-util's `auto` builder waits for the HTTP/2 preface with no timer),
//! an HTTP/2 connection's next request when none is in flight (HTTP/2 has no idle limit), and an
//! HTTP/2 response that waits on the client for longer than the write timeout. The socket's
//! `StallGuard` cannot see that one: a client that reads the socket but never opens its
//! flow-control window keeps the socket moving while hyper stops asking the body for frames.
//!
//! The watchdog waits in a task of its own; on the request path it costs an atomic load per request
//! (HTTP/1; hyper's own header-read timer closes an idle HTTP/1 connection once it has produced a
//! request, so the watchdog then steps aside) and the poll of a oneshot per wake of the
//! connection's task.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
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

/// A socket write at least this large moves a response (see `Activity::moved_ms`).
const MOVED_BYTES: usize = 1024;

/// What one connection has been doing.
pub(super) struct Activity {
    state: Mutex<ActivityState>,
    /// Set by its first HTTP/1 request: from then on, nothing here to watch (read without the
    /// lock, on every request and every wake of the watchdog's task).
    http1: AtomicBool,
    /// HTTP/2 response bodies with a frame to give that hyper has not asked for since.
    waiting: AtomicUsize,
    /// When a response last moved, in ms since `start`: hyper asked a body for a frame, or a
    /// write of at least `MOVED_BYTES` left on the socket (h2 drains what a body gave as the
    /// client's window opens; control frames such as a ping's answer do not count).
    moved_ms: AtomicU64,
    start: Instant,
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
    /// An HTTP/2 response has waited on the client (its flow-control window) for longer than the
    /// write timeout, and nothing else moved: close at once, as a stalled HTTP/1 write is.
    StalledHttp2,
}

/// Watches a connection from a task of its own until it must stop (or has ended: the receiver is
/// dropped with the connection's task).
pub(super) fn spawn(
    activity: Arc<Activity>,
    timeout: Duration,
    write_timeout: Duration,
    mut closing: watch::Receiver<()>,
) -> oneshot::Receiver<Stop> {
    let (mut tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let stop = tokio::select! {
            () = tx.closed() => return,
            _ = closing.changed() => Stop::Shutdown,
            stop = activity.idle(timeout, write_timeout) => stop,
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
            waiting: AtomicUsize::new(0),
            moved_ms: AtomicU64::new(0),
            start: Instant::now(),
        })
    }

    fn moved_now(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.moved_ms.store(ms, Ordering::Relaxed);
    }

    fn moved_at(&self) -> Instant {
        self.start + Duration::from_millis(self.moved_ms.load(Ordering::Relaxed))
    }

    /// Notes `written` bytes leaving on the socket (called by the connection's `StallGuard`).
    /// Not watched once HTTP/1 has produced a request: one load and a branch a write.
    #[inline]
    pub(super) fn wrote(&self, written: usize) {
        if written >= MOVED_BYTES && !self.http1.load(Ordering::Relaxed) {
            self.moved_now();
        }
    }

    /// Whether an HTTP/2 response has waited on the client, with nothing moving, for longer than
    /// `limit` at `now`.
    fn stalled(&self, now: Instant, limit: Duration) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
            && now.saturating_duration_since(self.moved_at()) > limit
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
    /// none at all since the accept, or (HTTP/2) none since its last one ended; or (HTTP/2) once
    /// a response has waited on the client for longer than `write_timeout`. It never completes
    /// for HTTP/1 once that has produced a request.
    fn idle(self: &Arc<Self>, timeout: Duration, write_timeout: Duration) -> Idle {
        let deadline = self.state().idle_since + timeout;
        Idle {
            activity: Arc::clone(self),
            timeout,
            write_timeout,
            sleep: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }
}

/// See [`Activity::idle`].
struct Idle {
    activity: Arc<Activity>,
    timeout: Duration,
    write_timeout: Duration,
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
                    if self.activity.stalled(now, self.write_timeout) {
                        return Poll::Ready(Stop::StalledHttp2);
                    }
                    // Busy: look again later (a timer per period, not per request).
                    now + self.timeout.min(self.write_timeout) / 2
                } else {
                    // A response hyper has let go of may still be leaving (h2 drains its buffer
                    // as the client's window opens): idle counts from the last move too.
                    let since = state.idle_since.max(self.activity.moved_at());
                    if since + self.timeout <= now {
                        return Poll::Ready(if state.answered {
                            Stop::IdleHttp2
                        } else {
                            Stop::NoRequest
                        });
                    }
                    since + self.timeout
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
            Some(in_flight) => response.map(|body| Body::new(TrackedBody::new(body, in_flight))),
        }))
    }
}

/// A response body that keeps its HTTP/2 request in flight until hyper drops it (sent, reset, or
/// the connection gone). Everything else is the body's own: its size hint too, by which hyper
/// frames it.
struct TrackedBody {
    body: Body,
    in_flight: InFlight,
    /// Counted in the connection's `waiting`: it has a frame to give and has not been asked.
    waiting: bool,
}

impl TrackedBody {
    fn new(body: Body, in_flight: InFlight) -> Self {
        let mut tracked = TrackedBody {
            body,
            in_flight,
            waiting: false,
        };
        // Waiting from the start: hyper asks for a first frame only when the window has room.
        // The clock starts now unless another body already waits: a new request is not progress
        // for the responses stalled before it.
        if !hyper::body::Body::is_end_stream(&tracked.body) {
            let activity = &tracked.in_flight.0;
            if activity.waiting.load(Ordering::Relaxed) == 0 {
                activity.moved_now();
            }
            tracked.set_waiting(true);
        }
        tracked
    }

    fn set_waiting(&mut self, waiting: bool) {
        if self.waiting != waiting {
            self.waiting = waiting;
            let count = &self.in_flight.0.waiting;
            if waiting {
                count.fetch_add(1, Ordering::Relaxed);
            } else {
                count.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.set_waiting(false);
    }
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        this.in_flight.0.moved_now();
        // Asked: from here, any wait is the body's own (its producer), not the client's.
        this.set_waiting(false);
        let frame = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(frame, Poll::Ready(Some(Ok(_))))
            && !hyper::body::Body::is_end_stream(&this.body)
        {
            this.set_waiting(true);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
