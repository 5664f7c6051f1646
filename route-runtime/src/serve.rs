//! Serving over TCP with every wait bounded.
//!
//! `axum::serve` configures no timer, so hyper's header-read timeout never fires and a client that
//! trickles header bytes holds its connection forever. [`serve`] sets a header-read timeout, a
//! total deadline on request bodies and a deadline on stalled response writes (hyper has none: a
//! client that stops reading held its connection for good), normalises paths before routing, and
//! shuts down gracefully on Ctrl-C or (on Unix) SIGTERM.
//!
//! hyper's header-read timeout only covers HTTP/1 heads, and only once hyper-util's `auto` builder
//! has picked the protocol: that step waits for the 24-byte HTTP/2 preface with no timer at all,
//! and HTTP/2 has no idle limit. So each connection also gets a watchdog (`watchdog`): a
//! connection that has produced no request within the header-read timeout (it sent nothing, part of
//! the preface, or a preface and SETTINGS but no HEADERS) is closed, and so is an HTTP/2 connection
//! with no request in flight for that long (after a GOAWAY). HTTP/1 after its first request is left
//! to hyper's own timer, which already closes an idle keep-alive connection at the same timeout.
//! The watchdog also closes an HTTP/2 connection whose response has waited on the client for
//! longer than the write timeout: a client that reads the socket but never opens its flow-control
//! window keeps the socket moving, and the socket's own stall guard never fires.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::http::Request;
use axum::response::Response;
use http_body_util::Either;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::Service;
use tower_http::timeout::DeadlineBody;

use crate::normalize::NormalizePath;

mod stall;
mod watchdog;

use stall::StallGuard;
use watchdog::{Activity, Stop, Watched};

/// The request body [`serve`] hands to the app: under the total body deadline
/// ([`ServeConfig::body_deadline`]), or as it came when the request has no body (most `GET`s:
/// there is nothing to wait for, and no timer to arm on every request).
///
/// An `axum::Router` takes any body: this type only matters to a service written for `serve`
/// by hand.
pub type ServeBody = Either<Incoming, DeadlineBody<Incoming>>;

/// Limits and shutdown for [`serve_with`].
///
/// ```
/// use std::time::Duration;
/// use route_runtime::ServeConfig;
///
/// let config = ServeConfig::default()
///     .header_read_timeout(Duration::from_secs(5))
///     .body_deadline(Duration::from_secs(20));
/// ```
pub struct ServeConfig {
    header_read_timeout: Duration,
    body_deadline: Duration,
    write_timeout: Duration,
    shutdown_grace: Duration,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Default for ServeConfig {
    /// Headers within 10 s, bodies within 30 s, no write stalled for 30 s, shutdown on Ctrl-C
    /// (SIGINT) or, on Unix, SIGTERM, with 10 s for requests in flight.
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(10),
            body_deadline: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            // Lazy: the handlers are installed when serving starts, never for a config whose
            // signal is replaced (an installed handler stays, and SIGTERM would no longer end the
            // process).
            shutdown: Box::pin(default_shutdown_signal()),
        }
    }
}

/// The default shutdown signal: Ctrl-C (SIGINT) or, on Unix, SIGTERM (what `docker stop` and
/// Kubernetes send before SIGKILL).
///
/// The handlers are installed on the first poll, and stay installed for the life of the process:
/// from then on these signals no longer end the process by themselves. A handler that cannot be
/// installed (no tokio signal driver, say) is logged, and that signal is not waited for; with
/// neither, the future never completes and the server runs until the process ends.
async fn default_shutdown_signal() {
    #[cfg(unix)]
    let terminate = {
        use tokio::signal::unix::{signal, SignalKind};
        let terminate = signal(SignalKind::terminate());
        async move {
            match terminate {
                // `recv` never yields `None` (tokio documents it); if it did, no signal came.
                Ok(mut terminate) => {
                    if terminate.recv().await.is_none() {
                        std::future::pending::<()>().await;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM: it will not shut the server down gracefully");
                    std::future::pending::<()>().await;
                }
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C: it will not shut the server down gracefully");
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = terminate => tracing::info!("SIGTERM received; shutting down gracefully"),
        () = interrupt => tracing::info!("Ctrl-C received; shutting down gracefully"),
    }
}

impl ServeConfig {
    /// How long a client may take to send a request head: on HTTP/1, each head, counted from the
    /// moment the connection is idle (so it also closes an idle keep-alive connection); on any
    /// connection, its first request, counted from the accept; on HTTP/2, the next request when
    /// none is in flight (an idle HTTP/2 connection gets a GOAWAY, then
    /// [`shutdown_grace`](Self::shutdown_grace) to close).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a client may take to send a whole request body; past it, body reads fail (the
    /// runtime's body readers answer 408 Request Timeout).
    pub fn body_deadline(mut self, deadline: Duration) -> Self {
        self.body_deadline = deadline;
        self
    }

    /// How long a response write may wait for the client to take bytes; past it, the connection
    /// is closed (a client that stops reading would otherwise hold it, and its response, for
    /// good). On HTTP/2, also how long a response may wait for the client's flow-control window.
    /// A stall deadline, not a minimum rate: each write that proceeds starts it afresh.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Stops accepting connections when `signal` completes, instead of on Ctrl-C (SIGINT) or, on
    /// Unix, SIGTERM. The requests in flight then get [`shutdown_grace`](Self::shutdown_grace) to
    /// finish.
    ///
    /// The default installs its signal handlers only once serving starts, and they stay for the
    /// life of the process; a config given its own signal installs none.
    pub fn shutdown_signal(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.shutdown = Box::pin(signal);
        self
    }

    /// How long requests in flight may take to finish after the shutdown signal (and how long an
    /// idle HTTP/2 connection may take to close after its GOAWAY).
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}

/// Serves `app` on `listener` with the default [`ServeConfig`] until Ctrl-C (SIGINT) or, on Unix,
/// SIGTERM, then shuts down gracefully.
///
/// On the signal, the listener is closed (new connections are refused), requests in flight get
/// 10 s to finish ([`ServeConfig::shutdown_grace`]), and idle connections are closed; SIGTERM is
/// what `docker stop` and Kubernetes send. A signal whose handler cannot be installed is logged
/// with `tracing` and not waited for. Paths are normalised before routing (see
/// [`NormalizePath`]); the asterisk-form `OPTIONS *` is answered by the server.
pub async fn serve<A: ServeApp>(listener: TcpListener, app: A) -> std::io::Result<()> {
    serve_with(listener, app, ServeConfig::default()).await
}

/// What [`serve`] runs: an `axum::Router` whose state is given (`Router<()>`, after
/// `.with_state(state)` when its handlers take `State<S>`), or any `tower::Service` of
/// `Request<ServeBody>` that answers a `Response`, never fails, and is `Clone + Send + 'static`
/// with a `Send` future. Implemented for every such service.
///
/// A trait of its own so that serving a router that still needs its state is one error saying
/// so, rather than three about `Service<Request<Either<Incoming, DeadlineBody<Incoming>>>>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be served as it is",
    label = "not an app `serve` can run",
    note = "a `Router<S>` whose handlers take `State<S>` is served after `.with_state(state)`; any other app must be a `tower::Service<Request<ServeBody>, Response = Response, Error = Infallible>` that is `Clone + Send + 'static`, with a `Send` future"
)]
pub trait ServeApp: sealed::Sealed + Clone + Send + 'static {
    #[doc(hidden)]
    type Future: Future<Output = Result<Response, Infallible>> + Send + 'static;

    #[doc(hidden)]
    fn poll_ready_app(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>>;

    #[doc(hidden)]
    fn call_app(&mut self, request: Request<ServeBody>) -> Self::Future;
}

impl<S> ServeApp for S
where
    S: Service<Request<ServeBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Future = S::Future;

    #[inline]
    fn poll_ready_app(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.poll_ready(cx)
    }

    #[inline]
    fn call_app(&mut self, request: Request<ServeBody>) -> S::Future {
        self.call(request)
    }
}

mod sealed {
    use super::*;

    /// Keeps `ServeApp` to the services it is implemented for: its items are the server's.
    pub trait Sealed {}

    impl<S> Sealed for S where S: Service<Request<ServeBody>, Response = Response, Error = Infallible> {}
}

/// A [`ServeApp`] as the service it is.
#[derive(Clone)]
struct Served<A>(A);

impl<A: ServeApp> Service<Request<ServeBody>> for Served<A> {
    type Response = Response;
    type Error = Infallible;
    type Future = A::Future;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready_app(cx)
    }

    #[inline]
    fn call(&mut self, request: Request<ServeBody>) -> A::Future {
        self.0.call_app(request)
    }
}

/// An `axum::Router` turns each handler into a service on every request until `with_state` has
/// done it once, as `axum::serve` does: do it here for the common case of a plain `Router`.
fn prepared<S: 'static>(app: S) -> S {
    let mut slot = Some(app);
    if let Some(router) = (&mut slot as &mut dyn Any).downcast_mut::<Option<axum::Router>>() {
        *router = router.take().map(|router| router.with_state(()));
    }
    slot.expect("the slot is refilled in place")
}

/// Serves `app` on `listener` with `config`.
pub async fn serve_with<A: ServeApp>(
    listener: TcpListener,
    app: A,
    config: ServeConfig,
) -> std::io::Result<()> {
    let body_deadline = config.body_deadline;
    let header_read_timeout = config.header_read_timeout;
    let grace = config.shutdown_grace;
    let write_timeout = config.write_timeout;
    let service = tower::ServiceBuilder::new()
        .map_request(move |request: Request<Incoming>| {
            request.map(|body| {
                if body.is_end_stream() {
                    Either::Left(body)
                } else {
                    Either::Right(DeadlineBody::new(body_deadline, body))
                }
            })
        })
        .service(NormalizePath::new(Served(prepared(app))));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    // Pings find a vanished HTTP/2 peer while a request is in flight (an idle connection is closed
    // by the watchdog anyway): a connection whose ping is not acknowledged in time is closed.
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(HTTP2_PING_INTERVAL)
        .keep_alive_timeout(HTTP2_PING_TIMEOUT);
    // Every connection task holds a receiver: `send` asks them all to shut down gracefully, and
    // `closed` completes once they have all ended (what hyper-util's `GracefulShutdown` does, but
    // leaving the connection in our hands so the watchdog can shut it down gracefully too).
    let (closing, closing_rx) = watch::channel(());
    let mut shutdown = config.shutdown;
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(error) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let hyper_service = TowerToHyperService::new(Watched {
            inner: service.clone(),
            activity: activity.clone(),
        });
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(StallGuard::new(stream, write_timeout, activity.clone())),
                hyper_service,
            )
            .into_owned();
        // The watchdog waits in a task of its own and stops the connection through a oneshot:
        // polled beside the connection on its every wake, the shutdown signal and the timer cost
        // ~150 instructions a request.
        let stop = watchdog::spawn(
            activity,
            header_read_timeout,
            write_timeout,
            closing_rx.clone(),
        );
        // Held until the connection ends: the shutdown waits for every one to be dropped.
        let closing_rx = closing_rx.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            tokio::select! {
                biased;
                result = connection.as_mut() => return log_end(result),
                stop = stop => match stop {
                    Ok(Stop::NoRequest) => {
                        // Nothing was ever answered here: close without further ado.
                        tracing::debug!("no request within the header-read timeout; closing");
                        return;
                    }
                    Ok(Stop::StalledHttp2) => {
                        // As a stalled HTTP/1 write: the client is not taking what it asked for.
                        tracing::debug!("HTTP/2 response stalled past the write timeout; closing");
                        return;
                    }
                    Ok(Stop::IdleHttp2) => tracing::debug!("idle HTTP/2 connection; sending GOAWAY"),
                    Ok(Stop::Shutdown) => {}
                    // The watchdog is gone: serve on without it.
                    Err(_) => return log_end(connection.await),
                },
            }
            // Finishes the requests in flight and tells the client to go (GOAWAY on HTTP/2), within
            // the grace period: a client that never lets the connection close is dropped.
            connection.as_mut().graceful_shutdown();
            match tokio::time::timeout(grace, connection).await {
                Ok(result) => log_end(result),
                Err(_) => tracing::debug!("connection still open after the grace period; closing"),
            }
            drop(closing_rx);
        });
    }
    drop(listener);
    drop(closing_rx);
    closing.send_replace(());
    if tokio::time::timeout(grace, closing.closed()).await.is_err() {
        tracing::warn!("requests still in flight after the shutdown grace period; closing");
    }
    Ok(())
}

/// Ping an HTTP/2 client that has sent nothing for this long...
const HTTP2_PING_INTERVAL: Duration = Duration::from_secs(20);
/// ...and close the connection if the ping is not acknowledged within this (hyper's default).
const HTTP2_PING_TIMEOUT: Duration = Duration::from_secs(20);

fn log_end(result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(error) = result {
        tracing::debug!(error = %error, "connection ended with an error");
    }
}
