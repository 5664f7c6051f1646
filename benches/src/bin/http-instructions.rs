//! Server user-space instructions per HTTP request, hand-written axum (A) vs `#[route]`-generated
//! (B), counted by valgrind: a deterministic companion to `load`'s requests/s, which a shared,
//! noisy machine moves by tens of percent from one round to the next.
//!
//! ```text
//! http-instructions [--smoke] [--requests N] [--only NAME]...
//! ```
//! Needs valgrind (`apt-get install -y valgrind`) and `bench-server` next to this binary
//! (`cargo build --release -p route-benches --bins`).
//!
//! Method. The pairs are `load`'s (same names, requests and expected statuses, from
//! [`route_benches::client::server_pairs`]; `--only NAME` keeps those whose name contains NAME).
//! For each side, `bench-server KIND --threads 1` runs under
//! `valgrind --tool=cachegrind --cache-sim=no`; once it has printed `LISTEN <addr>`, one HTTP/1.1
//! keep-alive connection over 127.0.0.1 sends the pair's request again and again, each after the
//! previous response (every status is checked, and gen's `/api/cached` must answer
//! `x-nextjs-cache: HIT` after the first 5 requests, the warm-up); the server is then left idle for
//! 200 ms and stopped with SIGTERM, on which valgrind still writes its total (the `summary:` line of
//! its out file; the binary fails when it is missing). Each side runs twice, with N1 and N1 + N
//! requests (N1 = 200, N = 2,000 or `--requests N`; `--smoke`: N1 = 20, N = 50), and
//!
//! ```text
//! instructions per request = (I(N1 + N) − I(N1)) / N
//! ```
//!
//! so that startup, the first requests (code paths run for the first time, the cache's MISS) and
//! shutdown cancel. The cached pair's gen side sends N × 10 requests instead of N: its first request
//! runs the 2 ms handler, a busy loop on the clock whose instruction count varies by hundreds of
//! thousands from run to run, which over N × 10 requests is tens per request. Server processes run
//! one at a time; a side that two pairs share (gen on `GET /api/hello`) is measured once. A default
//! run takes under a minute here, `--smoke` about half of one (30 valgrind runs either way: most of
//! the time is valgrind starting).
//!
//! Prints the machine, then per pair: each side's instructions per request (with both totals),
//! the difference B − A, the ratio B/A of instructions and its reciprocal A/B, the
//! "throughput-equivalent" ratio (req/s B/A if time were instructions), against `load`'s req/s
//! target where it has one (`met`, or `not shown by this bound`: see below); then a summary and
//! the time the run took. Like `load`, it asserts no figure: it fails only when a server answers
//! with the wrong status (or a cached answer is not a `HIT`), or valgrind cannot count.
//!
//! What it does not count: the kernel's work for the server (syscalls, loopback TCP; the client
//! runs outside valgrind and is no side's cost). That kernel work is the same for both sides of a
//! pair (the same request and response bytes through the same socket calls), so it would add the
//! same amount K to A and B: the whole-CPU ratio (B + K) / (A + K) lies between 1 and B/A. When
//! B costs more, the user-space throughput-equivalent A/B is thus a conservative (lower) bound of
//! the CPU one. Instructions are not time either (cache misses,
//! branch mispredictions), but they do not drift with the neighbours: from run to run a side's
//! figure moves by a few tens of instructions per request (about 0.2%), B/A by about 0.002.

use std::collections::HashMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use route_benches::client::{
    build, connect, machine_line, server_pairs, spawn_bench_server, Req, Sender, CACHED_PATH,
};
use route_benches::{arg, args_all, smoke_requested};

/// Requests at the start of every run that are not checked for a cache `HIT` (the first one
/// renders and fills the cache).
const WARMUP: u64 = 5;

/// The cached pair's gen side sends this many times N requests: its first request renders, i.e.
/// runs the 2 ms busy loop on the clock, whose instruction count (about 2 M under valgrind) varies
/// by hundreds of thousands from run to run; over 10 N requests that is tens per request.
const RENDER_FACTOR: u64 = 10;

/// How long the server is left idle after the last response, before SIGTERM: long enough for it
/// to finish that request's work and wait in `epoll_wait` under valgrind.
const SETTLE: Duration = Duration::from_millis(200);

/// A run's cachegrind output and valgrind log, removed when dropped.
struct TempFiles([PathBuf; 2]);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One side of one pair: a `bench-server` kind and the request it gets.
struct SideSpec<'a> {
    kind: &'a str,
    req: &'a Req,
    /// Whether its responses after the warm-up must carry `x-nextjs-cache: HIT`.
    expect_hit: bool,
}

impl SideSpec<'_> {
    fn describe(&self) -> String {
        format!("{} {} {}", self.kind, self.req.method, self.req.path)
    }
}

/// One side's measurement: total instructions of the two runs and the per-request difference.
#[derive(Clone, Copy)]
struct Measured {
    /// Requests of the two runs.
    n1: u64,
    n2: u64,
    /// Their total instructions.
    short: u64,
    long: u64,
    per_request: f64,
}

struct Runner {
    rt: tokio::runtime::Runtime,
    runs: usize,
    tmp: PathBuf,
}

impl Runner {
    /// Total instructions of `bench-server KIND --threads 1` under cachegrind, from its start to
    /// SIGTERM after `requests` requests on one keep-alive connection.
    fn instructions(&mut self, side: &SideSpec, requests: u64) -> Result<u64, String> {
        self.runs += 1;
        let stem = format!("http-instructions-{}-{}", std::process::id(), self.runs);
        let out = self.tmp.join(format!("{stem}.cachegrind.out"));
        let log = self.tmp.join(format!("{stem}.valgrind.log"));
        // Declared before the server: on every way out the server is stopped first.
        let _files = TempFiles([out.clone(), log.clone()]);
        let _ = std::fs::remove_file(&out);
        let mut out_opt = OsString::from("--cachegrind-out-file=");
        out_opt.push(&out);
        let mut log_opt = OsString::from("--log-file=");
        log_opt.push(&log);
        let wrapper = [
            OsString::from("valgrind"),
            OsString::from("--tool=cachegrind"),
            OsString::from("--cache-sim=no"),
            out_opt,
            log_opt,
        ];
        // Killed (SIGKILL) if dropped while still running, e.g. when a request failed.
        let (mut server, addr) = spawn_bench_server(&wrapper, side.kind, Some(1));
        let sent = self.rt.block_on(async {
            let sender = send(addr, side, requests).await?;
            tokio::time::sleep(SETTLE).await;
            Ok::<Sender, String>(sender)
        });
        let sender = sent?;
        let pid = server.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status();
        if !killed.as_ref().is_ok_and(|s| s.success()) {
            return Err(format!(
                "cannot send SIGTERM to valgrind (pid {pid}): {killed:?}"
            ));
        }
        let _ = server.child.wait();
        drop(sender);
        let summary = std::fs::read_to_string(&out).ok().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("summary:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        });
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        summary.ok_or_else(|| {
            format!(
                "valgrind wrote no instruction total for {} after SIGTERM ({}); its log:\n{log_text}",
                side.describe(),
                out.display()
            )
        })
    }

    fn measure(&mut self, side: &SideSpec, n1: u64, n: u64) -> Result<Measured, String> {
        let n = if side.expect_hit {
            n * RENDER_FACTOR
        } else {
            n
        };
        let short = self.instructions(side, n1)?;
        let long = self.instructions(side, n1 + n)?;
        Ok(Measured {
            n1,
            n2: n1 + n,
            short,
            long,
            per_request: (long as f64 - short as f64) / n as f64,
        })
    }
}

/// `requests` requests, one after the other on one keep-alive connection, each status checked
/// (and the cache header where `side.expect_hit`). Returns the still-open connection.
async fn send(addr: SocketAddr, side: &SideSpec<'_>, requests: u64) -> Result<Sender, String> {
    let host = addr.to_string();
    let req = side.req;
    let mut sender = connect(addr)
        .await
        .map_err(|e| format!("connect to {} ({addr}) failed: {e}", side.kind))?;
    for i in 1..=requests {
        sender
            .ready()
            .await
            .map_err(|e| format!("{}: connection closed: {e}", side.describe()))?;
        let response = sender
            .send_request(build(req, &host))
            .await
            .map_err(|e| format!("{}: request {i} failed: {e}", side.describe()))?;
        let status = response.status().as_u16();
        let cache = response
            .headers()
            .get("x-nextjs-cache")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{}: body of request {i} failed: {e}", side.describe()))?;
        if status != req.expect {
            return Err(format!(
                "{} answered {status}, expected {} (request {i})",
                side.describe(),
                req.expect
            ));
        }
        if side.expect_hit && i > WARMUP && cache.as_deref() != Some("HIT") {
            return Err(format!(
                "{} answered x-nextjs-cache: {} (request {i}), expected HIT: not served from the cache",
                side.describe(),
                cache.as_deref().unwrap_or("(none)")
            ));
        }
    }
    Ok(sender)
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn valgrind_version() -> Option<String> {
    let out = Command::new("valgrind").arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn main() {
    let started = Instant::now();
    let smoke = smoke_requested();
    let n1: u64 = if smoke { 20 } else { 200 };
    let n: u64 = arg("--requests").unwrap_or(if smoke { 50 } else { 2_000 });
    assert!(n > 0, "--requests must be at least 1");
    let only = args_all("--only");
    let Some(valgrind) = valgrind_version() else {
        eprintln!("http-instructions: valgrind is not installed (apt-get install -y valgrind)");
        std::process::exit(1);
    };

    let mut pairs = server_pairs();
    if !only.is_empty() {
        pairs.retain(|p| only.iter().any(|o| p.name.contains(o.as_str())));
    }

    println!(
        "# http-instructions: server user-space instructions per HTTP request (valgrind cachegrind), \
         HTTP/1.1 keep-alive over loopback"
    );
    println!("machine: {}", machine_line());
    println!(
        "method: {valgrind}, bench-server --threads 1, one connection, requests one after the other; \
         per side (I({}) − I({n1})) / {n} (the cached pair's gen side: N × {RENDER_FACTOR}){}",
        n1 + n,
        if smoke { " (smoke: figures rough)" } else { "" }
    );
    println!(
        "not counted: the server's kernel work (syscalls, loopback TCP), the same for both sides: \
         the whole-CPU ratio lies between 1 and the user-space one, so when B costs more, the \
         user-space throughput-equivalent A/B is a conservative (lower) bound"
    );
    println!();

    let mut runner = Runner {
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
        runs: 0,
        tmp: std::env::temp_dir(),
    };
    // A side two pairs share is measured once: kind, method, path and headers.
    let mut done: HashMap<String, (Measured, &'static str)> = HashMap::new();
    let mut summary = Vec::new();
    for pair in &pairs {
        println!("## {}", pair.name);
        let mut m = [None; 2];
        for (s, kind) in [pair.a, pair.b].into_iter().enumerate() {
            let side = SideSpec {
                kind,
                req: &pair.req,
                expect_hit: kind == "gen" && pair.req.path == CACHED_PATH,
            };
            let key = format!(
                "{kind} {} {} {:?}",
                pair.req.method, pair.req.path, pair.req.headers
            );
            let (measured, from) = match done.get(&key) {
                Some(&(measured, name)) => (measured, Some(name)),
                None => match runner.measure(&side, n1, n) {
                    Ok(measured) => {
                        done.insert(key, (measured, pair.name));
                        (measured, None)
                    }
                    Err(e) => {
                        eprintln!("BROKEN: {e}");
                        eprintln!("a server answered wrongly or could not be measured: no figures");
                        std::process::exit(1);
                    }
                },
            };
            let label = format!("{kind} ({})", if s == 0 { "A" } else { "B" });
            println!(
                "  {label:<16} {:>10.1} instructions/request   (I({}) {}, I({}) {}){}",
                measured.per_request,
                measured.n1,
                grouped(measured.short),
                measured.n2,
                grouped(measured.long),
                from.map(|name| format!(" (measured for \"{name}\")"))
                    .unwrap_or_default()
            );
            m[s] = Some(measured);
        }
        let (a, b) = (m[0].expect("A").per_request, m[1].expect("B").per_request);
        let ratio = b / a;
        let throughput = a / b;
        println!(
            "  {:<16} {:>+10.1} instructions/request   ({:+.2}%)",
            "B − A",
            b - a,
            (ratio - 1.0) * 100.0
        );
        let target = pair.rps_target.map(|t| {
            let verdict = if throughput >= t {
                "met"
            } else {
                "not shown by this bound"
            };
            format!("load's req/s target ≥ {t}: {verdict}")
        });
        println!(
            "  {:<16} {ratio:>10.3}× instructions   (throughput-equivalent A/B {throughput:.3}×{})",
            "ratio B/A",
            target
                .as_ref()
                .map(|t| format!("; {t}"))
                .unwrap_or_default()
        );
        println!();
        summary.push((pair.name, a, b, ratio, throughput, target));
    }

    println!("## summary: server user-space instructions per request (kernel not counted)");
    println!(
        "  {:<62} {:>9} {:>9} {:>8} {:>7} {:>7}",
        "pair", "A", "B", "B − A", "B/A", "A/B"
    );
    for (name, a, b, ratio, throughput, target) in &summary {
        let row = format!(
            "  {name:<62} {a:>9.1} {b:>9.1} {:>+8.1} {ratio:>7.3} {throughput:>7.3}  {}",
            b - a,
            target.as_deref().unwrap_or("")
        );
        println!("{}", row.trim_end());
    }
    println!();
    let took = started.elapsed().as_secs();
    println!(
        "took {}m {:02}s ({} valgrind runs, one server at a time)",
        took / 60,
        took % 60,
        runner.runs
    );
}
