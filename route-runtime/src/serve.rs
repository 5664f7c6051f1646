//! Serving over TCP with every wait bounded.
//!
//! `axum::serve` configures no timer, so hyper's header-read timeout never fires and a client that
//! trickles header bytes holds its connection forever. [`serve`] sets a header-read timeout and a
//! total deadline on request bodies, normalises paths before routing, and shuts down gracefully.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::http::Request;
use axum::response::Response;
use http_body_util::Either;
use hyper::body::{Body as _, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;
use tower_http::timeout::DeadlineBody;

use crate::normalize::NormalizePath;

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
    shutdown_grace: Duration,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Default for ServeConfig {
    /// Headers within 10 s, bodies within 30 s, shutdown on Ctrl-C with 10 s for requests in flight.
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(10),
            body_deadline: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            shutdown: Box::pin(async {
                if tokio::signal::ctrl_c().await.is_err() {
                    // No signal handler available: run until the process ends.
                    std::future::pending::<()>().await;
                }
            }),
        }
    }
}

impl ServeConfig {
    /// How long a client may take to send the request head (per request, HTTP/1).
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a client may take to send a whole request body; past it, body reads fail (400).
    pub fn body_deadline(mut self, deadline: Duration) -> Self {
        self.body_deadline = deadline;
        self
    }

    /// Stops accepting connections when `signal` completes (instead of Ctrl-C).
    pub fn shutdown_signal(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.shutdown = Box::pin(signal);
        self
    }

    /// How long requests in flight may take to finish after the shutdown signal.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }
}

/// Serves `app` on `listener` with the default [`ServeConfig`] until Ctrl-C.
///
/// Paths are normalised before routing (see [`NormalizePath`]).
pub async fn serve<S>(listener: TcpListener, app: S) -> std::io::Result<()>
where
    S: Service<Request<ServeBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    serve_with(listener, app, ServeConfig::default()).await
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
pub async fn serve_with<S>(
    listener: TcpListener,
    app: S,
    config: ServeConfig,
) -> std::io::Result<()>
where
    S: Service<Request<ServeBody>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let body_deadline = config.body_deadline;
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
        .service(NormalizePath::new(prepared(app)));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
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
        let service = service.clone();
        let hyper_service = TowerToHyperService::new(service);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), hyper_service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace period; closing");
    }
    Ok(())
}
