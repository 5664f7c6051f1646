//! The harness: a real server on 127.0.0.1:0 and clients for it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use route_runtime::ServeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A server running `app` on an ephemeral loopback port; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl TestServer {
    /// Serves `app` (through `route_runtime::serve_with`, so with path normalisation and timeouts).
    pub async fn start(app: axum::Router) -> TestServer {
        Self::start_with(app, ServeConfig::default()).await
    }

    /// Same, with `config` (its shutdown signal is replaced by the server's own).
    pub async fn start_with(app: axum::Router, config: ServeConfig) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel::<()>();
        let config = config.shutdown_signal(async {
            let _ = rx.await;
        });
        tokio::spawn(async move {
            route_runtime::serve_with(listener, app, config)
                .await
                .expect("serve");
        });
        TestServer {
            addr,
            shutdown: Some(tx),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// `method path` with the shared client; `method` is any token, standard or not.
    pub async fn send(&self, method: &str, path: &str) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method token");
        client()
            .request(method, self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// `GET path` with the shared client.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send("GET", path).await
    }

    /// Sends raw bytes on a new connection and returns everything the server sent until it
    /// closed the connection or `wait` passed.
    pub async fn raw(&self, request: &[u8], wait: Duration) -> String {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(request).await.expect("write");
        let mut out = Vec::new();
        let _ = tokio::time::timeout(wait, stream.read_to_end(&mut out)).await;
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client that follows no redirects and uses no proxy, as curl does by default.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("client")
}

/// The value of header `name` as text (panics when absent, with the header list).
pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no `{name}` header in {:?}", response.headers()))
        .to_str()
        .expect("header is text")
}

/// Polls `condition` for up to `within`.
#[allow(dead_code)] // used by tests/http, not by every binary that includes this harness
pub async fn eventually(within: Duration, condition: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    condition()
}

/// `(x-nextjs-cache, body)` of a `GET path` that must answer 200 (the header as `-` when absent).
#[allow(dead_code)] // used by tests/http, not by every binary that includes this harness
pub async fn cached_get(server: &TestServer, path: &str) -> (String, String) {
    let response = client()
        .get(server.url(path))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200, "{path}");
    let cache = response
        .headers()
        .get("x-nextjs-cache")
        .map_or("-".to_owned(), |v| v.to_str().unwrap().to_owned());
    (cache, response.text().await.expect("body"))
}

/// How often a route counted by `counter` has run.
#[allow(dead_code)] // used by tests/http, not by every binary that includes this harness
pub fn runs(counter: &std::sync::atomic::AtomicUsize) -> usize {
    counter.load(std::sync::atomic::Ordering::SeqCst)
}

/// A `tracing` writer that captures what is logged, for tests that check the logs.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures what this thread logs until the guard is dropped (a current-thread runtime's
    /// server tasks log here too).
    #[allow(dead_code)] // used by tests/http, not by every binary that includes this harness
    pub fn start() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (logs, guard)
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// The captured lines containing `needle`.
    #[allow(dead_code)] // used by tests/tracing_spans.rs
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}
