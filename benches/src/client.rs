//! What the HTTP benchmark binaries (`load`, `http-instructions`) share: the hand vs gen scenario
//! list, the request description, starting a `bench-server` child (optionally under a wrapper
//! such as valgrind), the HTTP/1.1 keep-alive client connection and the machine line.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::Empty;
use hyper::header::{HeaderName, HeaderValue, HOST};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

/// One request, sent again and again, and the status it must answer.
#[derive(Clone)]
pub struct Req {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub expect: u16,
}

impl Req {
    /// `GET path`, expecting `200`.
    pub fn get(path: &str) -> Self {
        Req {
            method: Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            expect: 200,
        }
    }

    /// The same path with another method, expecting `expect`.
    pub fn method(mut self, method: Method, expect: u16) -> Self {
        self.method = method;
        self.expect = expect;
        self
    }

    /// One more request header.
    pub fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.headers.push((
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
        self
    }
}

/// One comparison of two `bench-server` kinds (A the baseline, B the measured one) on the same
/// request.
#[derive(Clone)]
pub struct Pair {
    pub name: &'static str,
    /// `bench-server` kinds: `hand`, `gen` or `axum-serve`.
    pub a: &'static str,
    pub b: &'static str,
    pub req: Req,
    /// `load`'s targets for B/A requests/s and B/A p99 (None: not a target).
    pub rps_target: Option<f64>,
    pub p99_target: Option<f64>,
}

/// The path whose `gen` side is served from the cache (`REVALIDATE = 60`): after the first
/// request, its responses carry `x-nextjs-cache: HIT`.
pub const CACHED_PATH: &str = "/api/cached";

/// The pairs `load` runs against its own servers, in its order.
pub fn server_pairs() -> Vec<Pair> {
    let pair = |name, req: Req, rps, p99| Pair {
        name,
        a: "hand",
        b: "gen",
        req,
        rps_target: Some(rps),
        p99_target: p99,
    };
    vec![
        pair("hello JSON", Req::get("/api/hello"), 0.97, Some(1.1)),
        pair("dynamic param", Req::get("/users/42"), 0.97, Some(1.1)),
        pair(
            "catch-all",
            Req::get("/blog/2024/rust/route-handlers"),
            0.97,
            Some(1.1),
        ),
        pair(
            "cookies() read+set",
            Req::get("/api/cookies").header("cookie", "token=abc123; theme=dark"),
            0.97,
            Some(1.1),
        ),
        pair(
            "auto OPTIONS",
            Req::get("/api/hello").method(Method::OPTIONS, 204),
            0.97,
            Some(1.1),
        ),
        pair(
            "HEAD from GET",
            Req::get("/api/hello").method(Method::HEAD, 200),
            0.97,
            Some(1.1),
        ),
        pair(
            "REVALIDATE=60, 2ms handler (cached) vs trivial",
            Req::get(CACHED_PATH),
            0.9,
            None,
        ),
        Pair {
            name: "hello JSON: axum::serve (A) vs gen + route_runtime::serve (B)",
            a: "axum-serve",
            b: "gen",
            req: Req::get("/api/hello"),
            rps_target: None,
            p99_target: None,
        },
    ]
}

/// The `bench-server` binary next to the running one.
pub fn bench_server_exe() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.with_file_name("bench-server")
}

/// A `bench-server` child process, killed (and reaped) when dropped unless it has exited already:
/// a benchmark that stops midway, by an error or a panic, leaves no server behind.
pub struct ServerProcess {
    pub child: Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `bench-server KIND [--threads T]` (run by `wrapper`, e.g. valgrind and its options,
/// when it is not empty) and waits for its `LISTEN <addr>` line. Its stderr is inherited.
pub fn spawn_bench_server<W: AsRef<OsStr>>(
    wrapper: &[W],
    kind: &str,
    threads: Option<usize>,
) -> (ServerProcess, SocketAddr) {
    let server = bench_server_exe();
    let mut cmd = match wrapper.split_first() {
        Some((program, args)) => {
            let mut cmd = Command::new(program);
            cmd.args(args).arg(&server);
            cmd
        }
        None => Command::new(&server),
    };
    cmd.arg(kind)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(t) = threads {
        cmd.arg("--threads").arg(t.to_string());
    }
    let child = cmd.spawn().unwrap_or_else(|e| {
        let program = match wrapper.first() {
            Some(program) => PathBuf::from(program.as_ref()),
            None => server.clone(),
        };
        panic!(
            "cannot start {} (build it with `cargo build --release -p route-benches`): {e}",
            program.display()
        )
    });
    let mut process = ServerProcess { child };
    let stdout = process.child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("bench-server output");
    let addr: SocketAddr = match line
        .trim()
        .strip_prefix("LISTEN ")
        .and_then(|a| a.parse().ok())
    {
        Some(addr) => addr,
        None => panic!("bench-server {kind} printed {line:?}"),
    };
    (process, addr)
}

/// The sending half of one HTTP/1.1 keep-alive client connection.
pub type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

/// Opens one HTTP/1.1 connection to `addr` (`TCP_NODELAY`), its driver spawned on the current
/// Tokio runtime.
pub async fn connect(addr: SocketAddr) -> std::io::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// `req` as a hyper request with `Host: host`.
pub fn build(req: &Req, host: &str) -> Request<Empty<Bytes>> {
    let mut builder = Request::builder()
        .method(req.method.clone())
        .uri(req.path.as_str())
        .header(HOST, host);
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    builder.body(Empty::new()).expect("valid request")
}

/// Cores, CPU model and load average.
pub fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cores} cores, {cpu}, load average {}", loadavg())
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
