//! A bounded soak test: serves the example app in-process on `127.0.0.1:0` and hammers a mix of
//! its routes over keep-alive connections for a set time, then reports what it saw.
//!
//! ```sh
//! cargo run --release --example soak                                  # 30 s, 32 connections
//! cargo run --release --example soak -- --seconds 60 --connections 32
//! SOAK_SECONDS=60 SOAK_CONNECTIONS=64 cargo run --release --example soak
//! ```
//!
//! Arguments win over the environment (`SOAK_SECONDS`, `SOAK_CONNECTIONS`, `SOAK_WARMUP`).
//! Loopback only, and it stops by itself (at most one hour). It prints the requests served, the
//! count of each status, every status that the request did not call for (target: 0), transport
//! errors (target: 0), latency percentiles, and the resident set size (`VmRSS` of this process,
//! server and load generator together) at the start, after warm-up and at the end, with its growth
//! after warm-up (target: under 5%). The exit status is 1 when a target is missed.

#[path = "app/routes.rs"]
mod routes;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use route_runtime::ServeConfig;

const USAGE: &str = "usage: soak [--seconds N (1..=3600, default 30)] \
                     [--connections N (1..=1024, default 32)] [--warmup N seconds (default a third of the run, at most 60)] \
                     (or SOAK_SECONDS, SOAK_CONNECTIONS, SOAK_WARMUP)";

struct Args {
    seconds: u64,
    connections: usize,
    warmup: u64,
}

/// `SOAK_<name>` as a whole number, if set.
fn env_number(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Ok(raw) => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{name}: `{raw}` is not a whole number")),
        Err(_) => Ok(None),
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: env_number("SOAK_SECONDS")?.unwrap_or(30),
        connections: env_number("SOAK_CONNECTIONS")?.unwrap_or(32) as usize,
        warmup: 0,
    };
    let mut warmup = env_number("SOAK_WARMUP")?;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let raw = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            raw.parse()
                .map_err(|_| format!("{name}: `{raw}` is not a whole number"))
        };
        match flag.as_str() {
            "--seconds" => args.seconds = value("--seconds")?,
            "--connections" => args.connections = value("--connections")? as usize,
            "--warmup" => warmup = Some(value("--warmup")?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if !(1..=3600).contains(&args.seconds) {
        return Err("--seconds must be between 1 and 3600".into());
    }
    if !(1..=1024).contains(&args.connections) {
        return Err("--connections must be between 1 and 1024".into());
    }
    // Warm-up: long enough for allocator pools, connection buffers and the cache to settle (on
    // the 2-core reference machine RSS climbs for 30-50 s under this load, then stays flat).
    args.warmup = warmup.unwrap_or((args.seconds / 3).clamp(1, 60));
    if args.warmup >= args.seconds {
        return Err("--warmup must be shorter than --seconds".into());
    }
    Ok(args)
}

/// One kind of request, and the statuses it may get.
struct Case {
    weight: u32,
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Body,
    expect: &'static [u16],
}

enum Body {
    None,
    Text(&'static str),
    Form(&'static [(&'static str, &'static str)]),
    Multipart,
}

const JSON: (&str, &str) = ("content-type", "application/json");
const TEXT: (&str, &str) = ("content-type", "text/plain");

/// Every route of the example app, the happy paths weighted up, plus the client errors the
/// runtime must answer cleanly under load.
const CASES: &[Case] = &[
    case(40, "GET", "/api/hello", &[], Body::None, &[200]),
    case(5, "HEAD", "/api/hello", &[], Body::None, &[200]),
    case(5, "OPTIONS", "/api/hello", &[], Body::None, &[204]),
    case(3, "PUT", "/api/hello", &[], Body::None, &[405]),
    case(3, "FOO", "/api/hello", &[], Body::None, &[400]),
    case(2, "GET", "/api/methods", &[], Body::None, &[200]),
    case(2, "POST", "/api/methods", &[], Body::None, &[200]),
    case(2, "PUT", "/api/methods", &[], Body::None, &[200]),
    case(2, "DELETE", "/api/methods", &[], Body::None, &[200]),
    case(2, "PATCH", "/api/methods", &[], Body::None, &[200]),
    case(2, "HEAD", "/api/methods", &[], Body::None, &[200]),
    case(2, "OPTIONS", "/api/methods", &[], Body::None, &[200]),
    case(20, "GET", "/dashboard/acme", &[], Body::None, &[200]),
    case(5, "GET", "/dashboard/a%20b", &[], Body::None, &[200]),
    case(3, "GET", "/dashboard/%zz", &[], Body::None, &[400]),
    case(3, "GET", "/dashboard/1/?q=2", &[], Body::None, &[308]),
    case(3, "GET", "/api//hello", &[], Body::None, &[308]),
    case(10, "GET", "/shop/shoes/42", &[], Body::None, &[200]),
    case(10, "GET", "/blog/a/b%2Fc/d%20e", &[], Body::None, &[200]),
    case(2, "GET", "/blog", &[], Body::None, &[404]),
    case(5, "GET", "/docs", &[], Body::None, &[200]),
    case(5, "GET", "/docs/x/y", &[], Body::None, &[200]),
    case(5, "GET", "/items/x", &[], Body::None, &[200]),
    case(10, "GET", "/users/42", &[], Body::None, &[200]),
    case(3, "GET", "/users/abc", &[], Body::None, &[400]),
    case(
        10,
        "GET",
        "/api/cookies",
        &[("cookie", "token=abc; other=1")],
        Body::None,
        &[200],
    ),
    case(
        10,
        "GET",
        "/api/headers",
        &[("referer", "http://localhost/")],
        Body::None,
        &[200],
    ),
    case(
        10,
        "POST",
        "/api/echo",
        &[JSON],
        Body::Text(r#"{"a":[1,2],"b":"c"}"#),
        &[200],
    ),
    case(
        3,
        "POST",
        "/api/echo",
        &[JSON],
        Body::Text(r#"{"a":"#),
        &[400],
    ),
    case(
        2,
        "POST",
        "/api/echo",
        &[TEXT],
        Body::Text(r#"{"a":1}"#),
        &[415],
    ),
    case(
        5,
        "POST",
        "/api/form",
        &[],
        Body::Form(&[("name", "Ada"), ("email", "ada@example.com")]),
        &[200],
    ),
    case(2, "POST", "/api/form", &[], Body::Multipart, &[200]),
    case(
        10,
        "GET",
        "/api/search?query=hello",
        &[],
        Body::None,
        &[200],
    ),
    case(5, "GET", "/api/redirect", &[], Body::None, &[307]),
    case(1, "GET", "/api/stream", &[], Body::None, &[200]),
    case(5, "GET", "/api/cors", &[], Body::None, &[200]),
    case(2, "OPTIONS", "/api/cors", &[], Body::None, &[204]),
    case(
        5,
        "POST",
        "/api/webhook",
        &[TEXT],
        Body::Text("payload"),
        &[200],
    ),
    case(5, "GET", "/rss.xml", &[], Body::None, &[200]),
    case(20, "GET", "/api/posts", &[], Body::None, &[200]),
    case(3, "GET", "/nope", &[], Body::None, &[404]),
];

/// Sent every [`REVALIDATE_EVERY`] by its own task: makes `/api/posts` regenerate now and then,
/// so the cache fill path (single flight, 300 ms upstream) runs under load. Sent at a fixed
/// interval rather than as a share of requests, so that the upstream's simulated latency does
/// not decide the throughput figure.
const REVALIDATE: Case = case(
    0,
    "POST",
    "/api/revalidate?tag=posts",
    &[],
    Body::None,
    &[200],
);

const fn case(
    weight: u32,
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Body,
    expect: &'static [u16],
) -> Case {
    Case {
        weight,
        method,
        path,
        headers,
        body,
        expect,
    }
}

/// A fixed-size latency histogram (powers of two of microseconds): no allocation while running,
/// so the soak's own bookkeeping does not show up as growth.
#[derive(Clone)]
struct Histogram([u64; 32]);

impl Histogram {
    fn record(&mut self, elapsed: Duration) {
        let micros = elapsed.as_micros().max(1) as u64;
        let bucket = (63 - micros.leading_zeros() as usize).min(31);
        self.0[bucket] += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    /// The upper bound of the bucket holding quantile `q`.
    fn quantile(&self, q: f64) -> Duration {
        let total: u64 = self.0.iter().sum();
        let target = ((total as f64) * q).ceil() as u64;
        let mut seen = 0;
        for (bucket, count) in self.0.iter().enumerate() {
            seen += count;
            if seen >= target.max(1) {
                return Duration::from_micros(1u64 << (bucket + 1));
            }
        }
        Duration::ZERO
    }
}

#[derive(Clone)]
struct Stats {
    requests: u64,
    statuses: BTreeMap<u16, u64>,
    unexpected: u64,
    transport_errors: u64,
    samples: Vec<String>,
    latency: Histogram,
}

impl Stats {
    fn new() -> Stats {
        Stats {
            requests: 0,
            statuses: BTreeMap::new(),
            unexpected: 0,
            transport_errors: 0,
            samples: Vec::with_capacity(10),
            latency: Histogram([0; 32]),
        }
    }

    fn sample(&mut self, what: String) {
        if self.samples.len() < 10 {
            self.samples.push(what);
        }
    }

    /// Counts one request's outcome.
    fn record(&mut self, case: &Case, outcome: Result<u16, reqwest::Error>) {
        self.requests += 1;
        match outcome {
            Ok(status) => {
                *self.statuses.entry(status).or_default() += 1;
                if !case.expect.contains(&status) {
                    self.unexpected += 1;
                    self.sample(format!(
                        "{} {} → {status} (expected {:?})",
                        case.method, case.path, case.expect
                    ));
                }
            }
            Err(error) => {
                self.transport_errors += 1;
                self.sample(format!("{} {} → {error}", case.method, case.path));
            }
        }
    }

    fn merge(&mut self, other: Stats) {
        self.requests += other.requests;
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.unexpected += other.unexpected;
        self.transport_errors += other.transport_errors;
        for sample in other.samples {
            self.sample(sample);
        }
        self.latency.merge(&other.latency);
    }
}

/// xorshift64*: a tiny deterministic generator, one per connection.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn pick(rng: &mut Rng, total_weight: u64) -> &'static Case {
    let mut at = rng.next() % total_weight;
    for case in CASES {
        if at < u64::from(case.weight) {
            return case;
        }
        at -= u64::from(case.weight);
    }
    &CASES[0]
}

async fn send(http: &reqwest::Client, base: &str, case: &Case) -> Result<u16, reqwest::Error> {
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).expect("valid method token");
    let mut request = http.request(method, format!("{base}{}", case.path));
    for (name, value) in case.headers {
        request = request.header(*name, *value);
    }
    request = match &case.body {
        Body::None => request,
        Body::Text(text) => request.body(*text),
        Body::Form(pairs) => request.form(pairs),
        Body::Multipart => request.multipart(
            reqwest::multipart::Form::new()
                .text("name", "Ada")
                .text("email", "ada@example.com"),
        ),
    };
    let response = request.send().await?;
    let status = response.status().as_u16();
    // Read the whole body, so that the connection is reused and streaming runs to its end.
    response.bytes().await?;
    Ok(status)
}

/// One keep-alive connection, sending requests back to back until `end`.
async fn connection(base: String, seed: u64, end: Instant) -> Stats {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client");
    let total_weight: u64 = CASES.iter().map(|c| u64::from(c.weight)).sum();
    let mut rng = Rng(seed | 1);
    let mut stats = Stats::new();
    while Instant::now() < end {
        let case = pick(&mut rng, total_weight);
        let started = Instant::now();
        let outcome = send(&http, &base, case).await;
        stats.latency.record(started.elapsed());
        stats.record(case, outcome);
    }
    stats
}

const REVALIDATE_EVERY: Duration = Duration::from_secs(2);

/// Revalidates `/api/posts` every [`REVALIDATE_EVERY`] until `end`.
async fn revalidator(base: String, end: Instant) -> Stats {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("HTTP client");
    let mut stats = Stats::new();
    loop {
        tokio::time::sleep(REVALIDATE_EVERY).await;
        if Instant::now() >= end {
            return stats;
        }
        let started = Instant::now();
        let outcome = send(&http, &base, &REVALIDATE).await;
        stats.latency.record(started.elapsed());
        stats.record(&REVALIDATE, outcome);
    }
}

/// This process's resident set size in KiB, from `/proc/self/status`.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: Option<u64>) -> String {
    kib.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

#[tokio::main]
async fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("soak: {message}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    // Only warnings: a soak logs what went wrong, not every request.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let app = routes::routes().into_prerendered_router().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = ServeConfig::default().shutdown_signal(async {
        let _ = stopped.await;
    });
    let server = tokio::spawn(route_runtime::serve_with(listener, app, config));

    println!(
        "soak: {} connections for {} s (warm-up {} s) against http://{addr}",
        args.connections, args.seconds, args.warmup
    );
    let rss_start = rss_kib();
    let started = Instant::now();
    let end = started + Duration::from_secs(args.seconds);
    let base = format!("http://{addr}");
    let mut workers: Vec<_> = (0..args.connections)
        .map(|i| {
            let seed = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1);
            tokio::spawn(connection(base.clone(), seed, end))
        })
        .collect();
    workers.push(tokio::spawn(revalidator(base.clone(), end)));

    // Sample RSS once a second; the warm-up figure is the one the growth is measured against.
    // The midpoint of the measured part: a leak keeps growing in the second half too, settling
    // allocator pools do not.
    let mid = args.warmup + (args.seconds - args.warmup) / 2;
    let mut rss_warm = None;
    let mut rss_mid = None;
    let mut rss_max = rss_start.unwrap_or(0);
    let mut next_report = 10;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let elapsed = started.elapsed().as_secs();
        let rss = rss_kib();
        rss_max = rss_max.max(rss.unwrap_or(0));
        if rss_warm.is_none() && elapsed >= args.warmup {
            rss_warm = rss;
            println!("  warm-up done at {elapsed} s: RSS {}", mib(rss));
        }
        if rss_mid.is_none() && elapsed >= mid {
            rss_mid = rss;
        }
        if elapsed >= next_report {
            println!("  {elapsed:>4} s: RSS {}", mib(rss));
            next_report += 10;
        }
    }

    let mut stats = Stats::new();
    for worker in workers {
        match worker.await {
            Ok(s) => stats.merge(s),
            Err(error) => {
                stats.transport_errors += 1;
                stats.sample(format!("connection task failed: {error}"));
            }
        }
    }
    let elapsed = started.elapsed();
    let rss_end = rss_kib();
    rss_max = rss_max.max(rss_end.unwrap_or(0));
    let _ = stop.send(());
    match tokio::time::timeout(Duration::from_secs(15), server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(error))) => eprintln!("soak: server error: {error}"),
        Ok(Err(error)) => eprintln!("soak: server task failed: {error}"),
        Err(_) => eprintln!("soak: the server did not shut down within 15 s"),
    }

    let percent = |from: Option<u64>, to: Option<u64>| match (from, to) {
        (Some(from), Some(to)) if from > 0 => Some((to as f64 - from as f64) * 100.0 / from as f64),
        _ => None,
    };
    let growth = percent(rss_warm, rss_end);
    let second_half = percent(rss_mid, rss_end);
    println!();
    println!("requests served     {}", stats.requests);
    println!(
        "throughput          {:.0} requests/s",
        stats.requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency (≤)         p50 {:?}, p99 {:?}, p99.9 {:?}",
        stats.latency.quantile(0.50),
        stats.latency.quantile(0.99),
        stats.latency.quantile(0.999)
    );
    println!("statuses");
    for (status, count) in &stats.statuses {
        println!("  {status}  {count}");
    }
    println!(
        "upstream calls      {} (/api/posts fills: prerender + one per revalidation)",
        routes::upstream::CALLS.load(std::sync::atomic::Ordering::SeqCst)
    );
    println!("unexpected statuses {} (target 0)", stats.unexpected);
    println!("transport errors    {} (target 0)", stats.transport_errors);
    for sample in &stats.samples {
        println!("  e.g. {sample}");
    }
    println!("RSS at start        {}", mib(rss_start));
    println!("RSS after warm-up   {}", mib(rss_warm));
    println!("RSS at {mid:>3} s (mid)  {}", mib(rss_mid));
    println!("RSS at the end      {}", mib(rss_end));
    println!("RSS peak            {}", mib(Some(rss_max)));
    match growth {
        Some(g) => println!("RSS growth          {g:+.2}% after warm-up (target < 5%)"),
        None => println!("RSS growth          n/a (no /proc/self/status)"),
    }
    if let Some(g) = second_half {
        println!("RSS growth          {g:+.2}% over the second half (a leak keeps growing here)");
    }

    let failed = stats.unexpected > 0
        || stats.transport_errors > 0
        || stats.requests == 0
        || growth.is_some_and(|g| g >= 5.0);
    if failed {
        println!("\nsoak: FAILED");
        std::process::exit(1);
    }
    println!("\nsoak: ok");
}
