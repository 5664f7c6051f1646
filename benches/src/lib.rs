//! Benchmarks of the toolkit: the same routes written by hand in axum and with `#[route]`.
//!
//! - [`hand`]: idiomatic hand-written axum handlers.
//! - [`generated`]: the same routes as `#[route]` modules.
//! - [`stats`]: percentiles, medians and the small formatting helpers the binaries share.
//! - [`client`]: what the HTTP benchmarks (`load`, `http-instructions`) share: their scenario
//!   list, the `bench-server` child, the keep-alive client connection.
//!
//! The binaries (`bench-server`, `load`, `micro`, `scale`) and scripts are described in
//! `BENCHMARKS.md` at the repository root; `http-instructions` (server instructions per HTTP
//! request, under valgrind) in its own header. No benchmark asserts a timing: they print figures.

#![allow(missing_docs)]

use std::time::{Duration, Instant};

pub mod client;

/// Busy work standing in for a slow handler (the cached route's 2 ms).
pub fn spin(duration: Duration) {
    let start = Instant::now();
    let mut x = 0u64;
    while start.elapsed() < duration {
        for i in 0..1_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
    }
    std::hint::black_box(x);
}

/// The hand-written axum side.
pub mod hand {
    use axum::extract::Path;
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::{Json, Router};
    use serde::{Deserialize, Serialize};
    use serde_json::{json, Value};

    #[derive(Serialize, Deserialize)]
    pub struct UserParams {
        pub id: String,
    }

    #[derive(Serialize)]
    pub struct Slug {
        pub slug: Vec<String>,
    }

    pub async fn hello() -> Json<Value> {
        Json(json!({ "message": "Hello World" }))
    }

    /// What `#[route]` answers for `OPTIONS` on a GET-only route: `204` with `Allow`.
    pub async fn hello_options() -> impl IntoResponse {
        (
            StatusCode::NO_CONTENT,
            [(header::ALLOW, "GET, HEAD, OPTIONS")],
        )
    }

    pub async fn user(Path(params): Path<UserParams>) -> Json<UserParams> {
        Json(params)
    }

    pub async fn blog(Path(rest): Path<String>) -> Json<Slug> {
        Json(Slug {
            slug: rest.split('/').map(str::to_owned).collect(),
        })
    }

    /// Reads cookie `token` and sets it back with `Path=/`, as the generated route does.
    pub async fn cookies(headers: HeaderMap) -> impl IntoResponse {
        let token = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                (name == "token").then(|| value.to_owned())
            })
            .unwrap_or_default();
        (
            [(header::SET_COOKIE, format!("token={token}; Path=/"))],
            "Hello",
        )
    }

    /// The trivial handler the cached route is compared with.
    pub async fn cached() -> Json<Value> {
        Json(json!({ "message": "Hello World", "cached": true }))
    }

    pub async fn plain() -> &'static str {
        "ok"
    }

    pub async fn with_headers(headers: HeaderMap) -> &'static str {
        std::hint::black_box(headers.get("x-a"));
        "ok"
    }

    /// The hand-written router: the same paths as [`super::generated::router`].
    pub fn router() -> Router {
        Router::new()
            .route("/api/hello", get(hello).options(hello_options))
            .route("/users/{id}", get(user))
            .route("/blog/{*slug}", get(blog))
            .route("/api/cookies", get(cookies))
            .route("/api/cached", get(cached))
            .route("/micro/plain", get(plain))
            .route("/micro/headers", get(with_headers))
    }
}

/// The `#[route]` side.
pub mod generated {
    use route_runtime::{route, routes};

    #[route("/api/hello")]
    pub mod hello {
        use route_runtime::Json;
        use serde_json::{json, Value};

        pub async fn GET() -> Json<Value> {
            Json(json!({ "message": "Hello World" }))
        }
    }

    #[route("/users/[id]")]
    pub mod user {
        use route_runtime::{Json, RouteContext};

        pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
            Json(ctx.params)
        }
    }

    #[route("/blog/[...slug]")]
    pub mod blog {
        use route_runtime::{Json, RouteContext};

        pub async fn GET(ctx: RouteContext<Params>) -> Json<Params> {
            Json(ctx.params)
        }
    }

    #[route("/api/cookies")]
    pub mod cookie {
        use route_runtime::cookies::cookies;
        use route_runtime::RouteError;

        pub async fn GET() -> Result<&'static str, RouteError> {
            let jar = cookies();
            let token = jar.get("token").unwrap_or_default();
            jar.set("token", &token)?;
            Ok("Hello")
        }
    }

    /// 2 ms of work per render, cached for 60 s: requests are answered from the cache.
    #[route("/api/cached")]
    pub mod cached {
        use route_runtime::Json;
        use serde_json::{json, Value};

        pub const REVALIDATE: u64 = 60;

        pub async fn GET() -> Json<Value> {
            crate::spin(std::time::Duration::from_millis(2));
            Json(json!({ "message": "Hello World", "cached": true }))
        }
    }

    #[route("/micro/plain")]
    pub mod plain {
        pub async fn GET() -> &'static str {
            "ok"
        }
    }

    #[route("/micro/headers")]
    pub mod with_headers {
        use route_runtime::headers;

        pub async fn GET() -> &'static str {
            std::hint::black_box(headers().get("x-a"));
            "ok"
        }
    }

    #[route("/micro/cookies")]
    pub mod read_cookies {
        use route_runtime::cookies::cookies;

        pub async fn GET() -> &'static str {
            std::hint::black_box(cookies().get("token"));
            "ok"
        }
    }

    /// The generated router: the same paths as [`super::hand::router`] plus `/micro/cookies`.
    pub fn router() -> axum::Router {
        routes![
            hello,
            user,
            blog,
            cookie,
            cached,
            plain,
            with_headers,
            read_cookies
        ]
        .into_router()
    }
}

/// Small statistics and formatting helpers.
pub mod stats {
    use std::time::Duration;

    /// The `q`-quantile (0..=1) of sorted values.
    pub fn quantile(sorted: &[u64], q: f64) -> u64 {
        if sorted.is_empty() {
            return 0;
        }
        let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
        sorted[idx.min(sorted.len() - 1)]
    }

    /// The median of `values` (not necessarily sorted).
    pub fn median(values: &[f64]) -> f64 {
        if values.is_empty() {
            return f64::NAN;
        }
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    }

    /// A 95% confidence interval of the median of `values`, free of any assumption about their
    /// distribution: the order statistics whose ranks are n/2 ∓ 0.98·√n (a median's rank is
    /// binomial). `None` under 6 values, where it would be the whole range.
    pub fn median_interval(values: &[f64]) -> Option<(f64, f64)> {
        let n = values.len();
        if n < 6 {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        let half_width = 0.98 * (n as f64).sqrt();
        // 1-based ranks, as the textbook writes them.
        let low = ((n as f64 / 2.0 - half_width).floor() as usize).max(1);
        let high = ((1.0 + n as f64 / 2.0 + half_width).ceil() as usize).min(n);
        Some((v[low - 1], v[high - 1]))
    }

    /// A ratio with its interval: `0.965× (95%: 0.955–0.975)`.
    pub fn fmt_ratio(ratio: f64, interval: Option<(f64, f64)>) -> String {
        match interval {
            Some((low, high)) => format!("{ratio:.3}× (95%: {low:.3}–{high:.3})"),
            None => format!("{ratio:.3}×"),
        }
    }

    /// A nanosecond count as a short human duration (`812ns`, `3.4µs`, `1.20ms`, `2.5s`).
    pub fn fmt_ns(ns: f64) -> String {
        if ns < 1_000.0 {
            format!("{ns:.0}ns")
        } else if ns < 1_000_000.0 {
            format!("{:.1}µs", ns / 1_000.0)
        } else if ns < 1_000_000_000.0 {
            format!("{:.2}ms", ns / 1_000_000.0)
        } else {
            format!("{:.2}s", ns / 1_000_000_000.0)
        }
    }

    /// A duration in the same format as [`fmt_ns`].
    pub fn fmt_duration(d: Duration) -> String {
        fmt_ns(d.as_nanos() as f64)
    }

    /// `met` when `ok`, `NOT met` otherwise: a figure against its target (never an assertion).
    pub fn mark(ok: bool) -> &'static str {
        if ok {
            "met"
        } else {
            "NOT met"
        }
    }
}

/// Whether `--smoke` was passed or `BENCH_SMOKE` is set (to anything but `0`).
pub fn smoke_requested() -> bool {
    std::env::args().any(|a| a == "--smoke")
        || std::env::var("BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The value following `--name` on the command line, parsed.
pub fn arg<T: std::str::FromStr>(name: &str) -> Option<T> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// Every value following `--name` (the flag may be repeated).
pub fn args_all(name: &str) -> Vec<String> {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .filter(|w| w[0] == name)
        .map(|w| w[1].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::stats::{fmt_ratio, median_interval};

    #[test]
    fn median_interval_ranks() {
        assert_eq!(median_interval(&[1.0, 2.0, 3.0, 4.0, 5.0]), None);
        // n = 41: ranks 14 and 28 (1-based) of the sorted values, whatever their order.
        let values: Vec<f64> = (1..=41).rev().map(f64::from).collect();
        assert_eq!(median_interval(&values), Some((14.0, 28.0)));
        // n = 9: ranks 1 and 9 (the interval needs the whole range at 95%).
        let nine: Vec<f64> = (1..=9).map(f64::from).collect();
        assert_eq!(median_interval(&nine), Some((1.0, 9.0)));
        // n = 100: ranks 40 and 61.
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(median_interval(&hundred), Some((40.0, 61.0)));
    }

    #[test]
    fn ratio_with_and_without_interval() {
        assert_eq!(
            fmt_ratio(0.9654, Some((0.955, 0.9751))),
            "0.965× (95%: 0.955–0.975)"
        );
        assert_eq!(fmt_ratio(1.0, None), "1.000×");
    }
}
