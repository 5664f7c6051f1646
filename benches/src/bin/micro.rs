//! Per-request cost without a network: `tower::ServiceExt::oneshot` on the router, body collected,
//! in a timing loop on a current-thread runtime. Alternating A B / B A rounds; the figure of a side
//! is the median of its rounds' ns/request.
//!
//! `micro [--smoke] [--iters N] [--rounds N] [--only TEXT] [--side a|b]` (`--only`: the cases
//! whose name contains TEXT; `--side`: time one side only. Both are for profiling one case with
//! `perf record` or `valgrind --tool=callgrind`.)

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use route_benches::stats::{fmt_ns, mark, median};
use route_benches::{arg, generated, hand, smoke_requested};
use tower::ServiceExt;

#[derive(Clone)]
struct Case {
    path: &'static str,
    method: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    expect: u16,
}

fn get(path: &'static str) -> Case {
    Case {
        path,
        method: "GET",
        headers: Vec::new(),
        expect: 200,
    }
}

impl Case {
    fn with(mut self, headers: &[(&'static str, &'static str)]) -> Self {
        self.headers.extend_from_slice(headers);
        self
    }
    fn method(mut self, method: &'static str, expect: u16) -> Self {
        self.method = method;
        self.expect = expect;
        self
    }
    fn request(&self) -> Request<Body> {
        let mut b = Request::builder().method(self.method).uri(self.path);
        for (n, v) in &self.headers {
            b = b.header(*n, *v);
        }
        b.body(Body::empty()).unwrap()
    }
}

/// ns per request over `iters` requests.
async fn time(router: &Router, case: &Case, iters: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        let response = router.clone().oneshot(case.request()).await.unwrap();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        std::hint::black_box(bytes);
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

async fn check(router: &Router, case: &Case, label: &str) -> bool {
    let status = router
        .clone()
        .oneshot(case.request())
        .await
        .unwrap()
        .status()
        .as_u16();
    if status != case.expect {
        eprintln!(
            "BROKEN: {label} {} {} answered {status}, expected {}",
            case.method, case.path, case.expect
        );
    }
    status == case.expect
}

const MANY_HEADERS: &[(&str, &str)] = &[
    (
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
    ),
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ),
    ("accept-language", "en-US,en;q=0.9,fr;q=0.8"),
    ("accept-encoding", "gzip, deflate, br"),
    (
        "cookie",
        "token=abc123; theme=dark; session=0123456789abcdef; consent=yes",
    ),
    ("referer", "https://example.com/some/page"),
    ("x-request-id", "9f1c2a7e-5b1d-4c1e-9a3f-2b7c8d9e0f11"),
    ("x-forwarded-for", "203.0.113.7"),
    ("x-a", "1"),
    ("cache-control", "no-cache"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-site", "same-origin"),
];

fn main() {
    let smoke = smoke_requested();
    let iters: usize = arg("--iters").unwrap_or(if smoke { 200 } else { 20_000 });
    let rounds: usize = arg("--rounds").unwrap_or(if smoke { 2 } else { 9 });
    let only: Option<String> = arg("--only");
    let side: Option<String> = arg("--side");
    let (time_a, time_b) = (side.as_deref() != Some("b"), side.as_deref() != Some("a"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // As served: `with_state` turns the handlers into services once (`axum::serve` and
    // `route_runtime::serve` do it), instead of on every request.
    let hand = hand::router().with_state(());
    let gen = generated::router().with_state(());

    // (name, A label, A router, A case, B label, B router, B case)
    type Pair<'a> = (
        &'static str,
        &'static str,
        &'a Router,
        Case,
        &'static str,
        &'a Router,
        Case,
    );
    let pairs: Vec<Pair> = vec![
        (
            "hello JSON",
            "hand",
            &hand,
            get("/api/hello"),
            "gen",
            &gen,
            get("/api/hello"),
        ),
        (
            "dynamic param",
            "hand",
            &hand,
            get("/users/42"),
            "gen",
            &gen,
            get("/users/42"),
        ),
        (
            "catch-all",
            "hand",
            &hand,
            get("/blog/2024/rust/route-handlers"),
            "gen",
            &gen,
            get("/blog/2024/rust/route-handlers"),
        ),
        (
            "cookies() read+set",
            "hand",
            &hand,
            get("/api/cookies").with(&[("cookie", "token=abc123; theme=dark")]),
            "gen",
            &gen,
            get("/api/cookies").with(&[("cookie", "token=abc123; theme=dark")]),
        ),
        (
            "auto OPTIONS",
            "hand",
            &hand,
            get("/api/hello").method("OPTIONS", 204),
            "gen",
            &gen,
            get("/api/hello").method("OPTIONS", 204),
        ),
        (
            "HEAD from GET",
            "hand",
            &hand,
            get("/api/hello").method("HEAD", 200),
            "gen",
            &gen,
            get("/api/hello").method("HEAD", 200),
        ),
        (
            "cached (2ms handler) vs trivial",
            "hand",
            &hand,
            get("/api/cached"),
            "gen",
            &gen,
            get("/api/cached"),
        ),
        (
            "text, no helpers",
            "hand",
            &hand,
            get("/micro/plain"),
            "gen",
            &gen,
            get("/micro/plain"),
        ),
        (
            "text, no helpers, 12 request headers",
            "hand",
            &hand,
            get("/micro/plain").with(MANY_HEADERS),
            "gen",
            &gen,
            get("/micro/plain").with(MANY_HEADERS),
        ),
        // The cost of the helpers: the same generated route, helper used (B) vs not (A).
        (
            "headers() used vs not (gen)",
            "gen-unused",
            &gen,
            get("/micro/plain").with(MANY_HEADERS),
            "gen-used",
            &gen,
            get("/micro/headers").with(MANY_HEADERS),
        ),
        (
            "cookies() used vs not (gen)",
            "gen-unused",
            &gen,
            get("/micro/plain").with(MANY_HEADERS),
            "gen-used",
            &gen,
            get("/micro/cookies").with(MANY_HEADERS),
        ),
    ];

    println!("# micro: tower::ServiceExt::oneshot, current-thread runtime, body collected");
    println!(
        "{iters} requests per round, {rounds} rounds alternating A B / B A; figure = median ns/request{}",
        if smoke { " (smoke: figures meaningless)" } else { "" }
    );
    println!();
    let mut broken = false;
    let mut results: Vec<(&str, f64, f64)> = Vec::new();
    rt.block_on(async {
        println!(
            "{:<40} {:>24} {:>11} {:>11} {:>9} {:>11}",
            "case", "A", "A ns/req", "B ns/req", "B/A", "B−A"
        );
        for (name, la, ra, ca, lb, rb, cb) in &pairs {
            if only.as_deref().is_some_and(|only| !name.contains(only)) {
                continue;
            }
            broken |= !check(ra, ca, la).await;
            broken |= !check(rb, cb, lb).await;
            let (mut a, mut b) = (Vec::new(), Vec::new());
            // Warm-up, then the rounds.
            for round in 0..=rounds {
                let n = if round == 0 { iters / 10 + 1 } else { iters };
                let (a_first, timed) = (round % 2 == 1, round > 0);
                for is_a in [a_first, !a_first] {
                    let (router, case, out, on) = if is_a {
                        (ra, ca, &mut a, time_a)
                    } else {
                        (rb, cb, &mut b, time_b)
                    };
                    if on {
                        let ns = time(router, case, n).await;
                        if timed {
                            out.push(ns);
                        }
                    }
                }
            }
            let (ma, mb) = (median(&a), median(&b));
            println!(
                "{:<40} {:>24} {:>11} {:>11} {:>8.3}× {:>11}",
                name,
                format!("{la} vs {lb}"),
                fmt_ns(ma),
                fmt_ns(mb),
                mb / ma,
                if mb >= ma {
                    fmt_ns(mb - ma)
                } else {
                    format!("-{}", fmt_ns(ma - mb))
                }
            );
            results.push((name, ma, mb));
        }
    });
    let find = |n: &str| results.iter().find(|r| r.0 == n).map(|r| (r.1, r.2));
    println!();
    if let (Some((h0, g0)), Some((h12, g12))) = (
        find("text, no helpers"),
        find("text, no helpers, 12 request headers"),
    ) {
        let hand_extra = h12 - h0;
        let gen_extra = g12 - g0;
        let scope_cost = gen_extra - hand_extra;
        println!(
            "helpers not used: 12 request headers add {} per request to hand, {} to gen; gen − hand = {} ({:.1}% of a hand request): what carrying the request for cookies()/headers() costs when they are never called (target zero: {})",
            fmt_ns(hand_extra),
            fmt_ns(gen_extra),
            if scope_cost >= 0.0 { fmt_ns(scope_cost) } else { format!("-{}", fmt_ns(-scope_cost)) },
            100.0 * scope_cost / h12,
            mark(scope_cost <= 0.03 * h12)
        );
        println!(
            "whole generated pipeline, no helper used: {} per request over hand-written ({:.3}×)",
            fmt_ns(g12 - h12),
            g12 / h12
        );
    }
    if broken {
        eprintln!("some route answered wrongly");
        std::process::exit(1);
    }
}
