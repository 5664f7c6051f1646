//! Route-count scale: routers of 10, 1,000 and 10,000 routes built at run time, hand-written axum
//! (`Router::route`) vs the runtime (`RouteBuilder` + `Routes`, what `#[route]` + `routes!`
//! generate, with leaked `RouteInfo`s). Prints build time and per-request time (oneshot, body
//! collected, requests spread over the whole table), and the ratio 10,000 vs 10.
//!
//! Two layouts: `spread` (`/r{i}/[id]`: every route its own first segment) and `shared`
//! (`/api/v1/res{i}/[id]`: one common prefix, the common case of an API).
//!
//! `scale [--smoke] [--iters N] [--rounds N] [--sizes 10,1000,10000]`

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use route_benches::stats::{fmt_duration, fmt_ns, mark, median};
use route_benches::{arg, smoke_requested};
use route_runtime::__private::{
    RouteBuilder, RouteConfig, RouteInfo, RouteMethod, Routes, Segment,
};
use tower::ServiceExt;

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Spread,
    Shared,
}

impl Layout {
    fn name(self) -> &'static str {
        match self {
            Layout::Spread => "spread /r{i}/[id]",
            Layout::Shared => "shared /api/v1/res{i}/[id]",
        }
    }
    fn axum_path(self, i: usize) -> String {
        match self {
            Layout::Spread => format!("/r{i}/{{id}}"),
            Layout::Shared => format!("/api/v1/res{i}/{{id}}"),
        }
    }
    fn request_path(self, i: usize) -> String {
        match self {
            Layout::Spread => format!("/r{i}/42"),
            Layout::Shared => format!("/api/v1/res{i}/42"),
        }
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn infos(layout: Layout, n: usize) -> Vec<&'static RouteInfo> {
    (0..n)
        .map(|i| {
            let (pattern, segments): (String, Vec<Segment>) = match layout {
                Layout::Spread => (
                    format!("/r{i}/[id]"),
                    vec![
                        Segment::Static(leak(format!("r{i}"))),
                        Segment::Dynamic("id"),
                    ],
                ),
                Layout::Shared => (
                    format!("/api/v1/res{i}/[id]"),
                    vec![
                        Segment::Static("api"),
                        Segment::Static("v1"),
                        Segment::Static(leak(format!("res{i}"))),
                        Segment::Dynamic("id"),
                    ],
                ),
            };
            let info: &'static RouteInfo = Box::leak(Box::new(RouteInfo {
                pattern: leak(pattern),
                segments: Box::leak(segments.into_boxed_slice()),
                methods: &[RouteMethod::Get],
                config: RouteConfig::DEFAULT,
            }));
            info
        })
        .collect()
}

fn axum_router(layout: Layout, n: usize) -> Router {
    let mut router = Router::new();
    for i in 0..n {
        router = router.route(&layout.axum_path(i), get(|| async { "ok" }));
    }
    router
}

fn runtime_router(infos: &[&'static RouteInfo]) -> Router {
    let mut routes = Routes::new();
    for info in infos {
        let router = RouteBuilder::<()>::new(info)
            // What `#[route]` generates for `pub async fn GET() -> &'static str`.
            .no_args(RouteMethod::Get, || async { "ok" })
            .build();
        routes = routes.add(info, router);
    }
    routes.into_router()
}

async fn time(router: &Router, paths: &[String], iters: usize) -> f64 {
    let start = Instant::now();
    for k in 0..iters {
        let request = Request::get(paths[k % paths.len()].as_str())
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        debug_assert_eq!(response.status(), 200);
        std::hint::black_box(response.into_body().collect().await.unwrap().to_bytes());
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn main() {
    let smoke = smoke_requested();
    let sizes: Vec<usize> = arg::<String>("--sizes")
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| {
            if smoke {
                vec![10, 100]
            } else {
                vec![10, 1_000, 10_000]
            }
        });
    let iters: usize = arg("--iters").unwrap_or(if smoke { 500 } else { 20_000 });
    let rounds: usize = arg("--rounds").unwrap_or(if smoke { 2 } else { 7 });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    println!("# scale: route count vs router build time and per-request time");
    println!(
        "{iters} requests per round over 64 routes spread across the table, {rounds} rounds alternating; figure = median{}",
        if smoke { " (smoke: figures meaningless)" } else { "" }
    );
    let mut broken = false;
    for layout in [Layout::Spread, Layout::Shared] {
        println!();
        println!("## layout {}", layout.name());
        println!(
            "{:>7} {:>12} {:>12} {:>12} {:>12} {:>9}",
            "routes", "axum build", "rt build", "axum ns/req", "rt ns/req", "rt/axum"
        );
        let mut per_req: Vec<(usize, f64, f64)> = Vec::new();
        for &n in &sizes {
            let repeats = if n <= 1_000 { 5 } else { 1 };
            let mut axum_builds = Vec::new();
            let mut rt_builds = Vec::new();
            let mut axum = None;
            let mut runtime = None;
            for _ in 0..repeats {
                let t = Instant::now();
                axum = Some(axum_router(layout, n));
                axum_builds.push(t.elapsed().as_secs_f64());
                // RouteInfo values are made outside the timing: `#[route]` makes them at compile time.
                let infos = infos(layout, n);
                let t = Instant::now();
                runtime = Some(runtime_router(&infos));
                rt_builds.push(t.elapsed().as_secs_f64());
            }
            let (axum, runtime) = (axum.unwrap(), runtime.unwrap());
            let paths: Vec<String> = (0..64)
                .map(|k| layout.request_path(k * n / 64 % n.max(1)))
                .collect();
            let (mut a, mut b) = (Vec::new(), Vec::new());
            rt.block_on(async {
                for (router, label) in [(&axum, "axum"), (&runtime, "runtime")] {
                    for p in &paths {
                        let status = router
                            .clone()
                            .oneshot(Request::get(p.as_str()).body(Body::empty()).unwrap())
                            .await
                            .unwrap()
                            .status();
                        if status != 200 {
                            broken = true;
                            eprintln!("BROKEN: {label} GET {p} answered {status}");
                        }
                    }
                }
                time(&axum, &paths, iters / 10 + 1).await;
                time(&runtime, &paths, iters / 10 + 1).await;
                for round in 0..rounds {
                    if round % 2 == 0 {
                        a.push(time(&axum, &paths, iters).await);
                        b.push(time(&runtime, &paths, iters).await);
                    } else {
                        b.push(time(&runtime, &paths, iters).await);
                        a.push(time(&axum, &paths, iters).await);
                    }
                }
            });
            let (ma, mb) = (median(&a), median(&b));
            println!(
                "{:>7} {:>12} {:>12} {:>12} {:>12} {:>8.3}×",
                n,
                fmt_duration(Duration::from_secs_f64(median(&axum_builds))),
                fmt_duration(Duration::from_secs_f64(median(&rt_builds))),
                fmt_ns(ma),
                fmt_ns(mb),
                mb / ma
            );
            per_req.push((n, ma, mb));
        }
        if let (Some(first), Some(last)) = (per_req.first(), per_req.last()) {
            if first.0 != last.0 {
                let (ra, rb) = (last.1 / first.1, last.2 / first.2);
                println!(
                    "per-request time at {} vs {} routes: axum {ra:.3}×, runtime {rb:.3}× (target ≤ 1.2: {})",
                    last.0,
                    first.0,
                    mark(rb <= 1.2)
                );
            }
        }
    }
    if broken {
        std::process::exit(1);
    }
}
