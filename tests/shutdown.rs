//! `route_runtime::serve`'s default shutdown signal: SIGTERM as well as Ctrl-C.
//!
//! A separate test binary: the signal goes to the whole test process, and the handlers tokio
//! installs for it stay for the life of the process (a Ctrl-C would no longer stop the binary),
//! so nothing else runs here; and no other test can take the port the server frees.

use std::time::Duration;

use axum::routing::get;
use route_runtime::StatusCode;

#[allow(dead_code)]
#[path = "http/common.rs"]
mod common;

use common::client;

/// `docker stop` and Kubernetes send SIGTERM: the default `serve` stops accepting, lets the request
/// in flight finish, and returns.
///
/// The signal goes to this whole test process, so this test first installs a SIGTERM handler of
/// its own (tokio installs a process-wide handler that stays for the life of the process): from
/// then on SIGTERM no longer ends the process. The signal is sent again until the listener is
/// closed, so the test does not depend on when `serve` installs its own listener for it; with a
/// server that ignores SIGTERM, it fails at the deadline.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_accepting_and_lets_the_request_in_flight_finish() {
    use std::sync::{Arc, Mutex};
    use tokio::signal::unix::{signal, SignalKind};
    use tokio::sync::{oneshot, Notify};

    // First of all: with a handler installed, SIGTERM can no longer kill the test process.
    let _term = signal(SignalKind::terminate()).expect("install a SIGTERM handler");

    let (started_tx, started_rx) = oneshot::channel::<()>();
    let started_tx = Arc::new(Mutex::new(Some(started_tx)));
    let release = Arc::new(Notify::new());
    let app = axum::Router::new()
        .route("/fast", get(|| async { "fast" }))
        .route(
            "/slow",
            get({
                let release = release.clone();
                move || async move {
                    if let Some(started) = started_tx.lock().unwrap().take() {
                        let _ = started.send(());
                    }
                    release.notified().await;
                    "slow, but finished"
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let served = tokio::spawn(route_runtime::serve(listener, app));
    let url = |path: &str| format!("http://{addr}{path}");

    let fast = client().get(url("/fast")).send().await;
    assert_eq!(fast.expect("served").status(), StatusCode::OK);

    let in_flight = tokio::spawn({
        let url = url("/slow");
        async move {
            let response = client().get(url).send().await?;
            let status = response.status();
            Ok::<_, reqwest::Error>((status, response.text().await?))
        }
    });
    tokio::time::timeout(Duration::from_secs(5), started_rx)
        .await
        .expect("the slow handler starts")
        .expect("started");

    let pid = std::process::id().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        // The shell's own `kill`: no `kill` executable needed.
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -TERM {pid}")])
            .status()
            .expect("run sh");
        assert!(status.success(), "kill -TERM {pid}: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        match tokio::net::TcpStream::connect(addr).await {
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ => assert!(
                tokio::time::Instant::now() < deadline,
                "the server still accepts connections 5 s after SIGTERM"
            ),
        }
    }

    assert!(
        !in_flight.is_finished(),
        "the request in flight was cut off by the shutdown"
    );
    assert!(
        !served.is_finished(),
        "serve returned with a request in flight"
    );
    release.notify_one();
    let (status, body) = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .expect("the request in flight is answered")
        .expect("task")
        .expect("the request in flight completes after SIGTERM");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "slow, but finished");
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("serve returns once the request in flight is done")
        .expect("task")
        .expect("serve ends without an error");
}
