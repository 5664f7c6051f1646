//! The cache's bounds and exactness over real HTTP: a client that leaves mid-fill leaves nothing
//! behind in the cache (rule 7) while single flight still holds; a private response whose
//! `Cache-Control` is not plain ASCII is never shared (rule 3); distinct queries never share a
//! key, equivalent spellings still do (rule 10).
//!
//! Each test has its own routes, counters and `Cache`, so tests running in parallel share nothing.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use route_runtime::cache::Cache;
use route_runtime::{route, routes};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::{cached_get, client, eventually, TestServer};

pub static LEFT_STARTS: AtomicUsize = AtomicUsize::new(0);
pub static LEFT_DROPS: AtomicUsize = AtomicUsize::new(0);
pub static FLIGHT_RUNS: AtomicUsize = AtomicUsize::new(0);
pub static FLIGHT_OPEN: AtomicBool = AtomicBool::new(false);
pub static PRIVATE_RUNS: AtomicUsize = AtomicUsize::new(0);
pub static VARY_RUNS: AtomicUsize = AtomicUsize::new(0);
pub static QUERY_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Counts the handler futures dropped before they finished.
pub struct CountDrop(&'static AtomicUsize);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Never finishes within a test: every request to it is left by its client.
#[route("/bounds/left")]
mod left {
    use std::sync::atomic::Ordering;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> &'static str {
        let _dropped = super::CountDrop(&super::LEFT_DROPS);
        super::LEFT_STARTS.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        std::mem::forget(_dropped);
        "finished"
    }
}

/// Answers `render N` once `FLIGHT_OPEN` is set.
#[route("/bounds/flight")]
mod flight {
    use std::sync::atomic::Ordering;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> String {
        let n = super::FLIGHT_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        while !super::FLIGHT_OPEN.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        format!("render {n}")
    }
}

/// The reviewer's route: `private, no-store` beside a parameter in UTF-8.
#[route("/bounds/private")]
mod private {
    use route_runtime::{HeaderValue, IntoResponse, Response};
    use std::sync::atomic::Ordering;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> Response {
        let n = super::PRIVATE_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        let value = HeaderValue::from_bytes(b"private, no-store, x=\"caf\xc3\xa9\"").unwrap();
        ([("cache-control", value)], format!("private render {n}")).into_response()
    }
}

/// A `Vary` on a header named in UTF-8: not `Accept-Encoding`, so not shared.
#[route("/bounds/vary")]
mod vary {
    use route_runtime::{HeaderValue, IntoResponse, Response};
    use std::sync::atomic::Ordering;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET() -> Response {
        let n = super::VARY_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        let value = HeaderValue::from_bytes(b"x-caf\xc3\xa9").unwrap();
        ([("vary", value)], format!("vary render {n}")).into_response()
    }
}

/// Shows what a handler can read of the query: the values of `q` and `a`, in order.
#[route("/bounds/query")]
mod query {
    use route_runtime::Request;
    use std::sync::atomic::Ordering;
    pub const REVALIDATE: u64 = 60;
    pub async fn GET(request: Request) -> String {
        let n = super::QUERY_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
        let params = request.next_url().search_params();
        format!(
            "render {n} q={:?} a={:?}",
            params.get_all("q"),
            params.get_all("a")
        )
    }
}

async fn server(cache: &Cache) -> TestServer {
    let app = routes![left, flight, private, vary, query]
        .with_cache(cache.clone())
        .into_router();
    TestServer::start(app).await
}

async fn wait_until(what: &str, done: impl Fn() -> bool) {
    assert!(
        eventually(Duration::from_secs(5), done).await,
        "timed out waiting until {what}"
    );
}

/// The cache's count of in-flight fills, from its `Debug`.
fn in_flight(cache: &Cache) -> String {
    let debug = format!("{cache:?}");
    let start = debug
        .find("in_flight: ")
        .expect("Cache's Debug shows in_flight")
        + 11;
    let len = debug[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(debug.len() - start);
    debug[start..start + len].to_owned()
}

/// Opens a connection and sends `GET path`, without reading: dropping the stream is the client
/// going away.
async fn send_and_keep(server: &TestServer, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream
}

/// Rule 7: requests to a cached slow route whose clients disconnect before the handler finishes
/// leave no in-flight entry (before the fix, each left one for good: the reviewer's probe grew
/// 58 MB in 3000 such requests with long queries).
#[tokio::test]
async fn clients_leaving_mid_fill_leave_no_inflight_entry() {
    let cache = Cache::default();
    let server = server(&cache).await;
    let padding = "p".repeat(2000);
    let n = 40;
    let mut streams = Vec::new();
    for i in 0..n {
        streams.push(send_and_keep(&server, &format!("/bounds/left?k={i}&pad={padding}")).await);
    }
    wait_until("every handler started", || {
        LEFT_STARTS.load(Ordering::SeqCst) == n
    })
    .await;
    assert_eq!(in_flight(&cache), n.to_string());
    drop(streams);
    wait_until("every handler was dropped", || {
        LEFT_DROPS.load(Ordering::SeqCst) == n
    })
    .await;
    wait_until("the in-flight map is empty", || in_flight(&cache) == "0").await;
    // The same keys fill afresh: nothing half-done was left to join.
    let stream = send_and_keep(&server, "/bounds/left?k=0").await;
    wait_until("a new fill started", || {
        LEFT_STARTS.load(Ordering::SeqCst) == n + 1
    })
    .await;
    assert_eq!(in_flight(&cache), "1");
    drop(stream);
    wait_until("the new fill was dropped too", || in_flight(&cache) == "0").await;
}

/// Single flight still holds: when the client whose request runs the fill leaves, a request
/// waiting on that fill takes it over (the handler runs once more, never twice at once), a later
/// request waits on the new fill and gets it as a `HIT`, and nothing is left in flight.
#[tokio::test]
async fn a_waiting_client_still_gets_the_fill_after_the_filler_leaves() {
    let cache = Cache::default();
    let server = server(&cache).await;
    let url = server.url("/bounds/flight?x=1");
    let first = send_and_keep(&server, "/bounds/flight?x=1").await;
    wait_until("the first fill started", || {
        FLIGHT_RUNS.load(Ordering::SeqCst) == 1
    })
    .await;
    let second = tokio::spawn(client().get(url.clone()).send());
    tokio::time::sleep(Duration::from_millis(300)).await; // it joins the fill
    assert_eq!(in_flight(&cache), "1");
    assert_eq!(
        FLIGHT_RUNS.load(Ordering::SeqCst),
        1,
        "no second run at once"
    );
    drop(first);
    wait_until("the waiter took the fill over", || {
        FLIGHT_RUNS.load(Ordering::SeqCst) == 2
    })
    .await;
    let third = tokio::spawn(client().get(url.clone()).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    FLIGHT_OPEN.store(true, Ordering::SeqCst);
    let answer = |response: reqwest::Response| async move {
        let cache = response.headers()["x-nextjs-cache"]
            .to_str()
            .unwrap()
            .to_owned();
        (cache, response.text().await.unwrap())
    };
    let second = answer(second.await.unwrap().unwrap()).await;
    let third = answer(third.await.unwrap().unwrap()).await;
    assert_eq!(second, ("MISS".to_owned(), "render 2".to_owned()));
    assert_eq!(third, ("HIT".to_owned(), "render 2".to_owned()));
    assert_eq!(FLIGHT_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(in_flight(&cache), "0");
}

/// Rule 3 fails closed: `Cache-Control: private, no-store, x="café"` (bytes that are not ASCII)
/// and a `Vary` naming a non-ASCII header are never shared. Before the fix such values were
/// skipped, and the second client got the first one's private response as a `HIT`.
#[tokio::test]
async fn a_non_ascii_private_response_is_never_a_hit() {
    let cache = Cache::default();
    let server = server(&cache).await;
    for n in 1..=3 {
        let response = client()
            .get(server.url("/bounds/private"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["cache-control"].as_bytes(),
            b"private, no-store, x=\"caf\xc3\xa9\""
        );
        assert!(
            response.headers().get("x-nextjs-cache").is_none(),
            "request {n}: {:?}",
            response.headers()
        );
        assert_eq!(
            response.text().await.unwrap(),
            format!("private render {n}")
        );
    }
    assert_eq!(PRIVATE_RUNS.load(Ordering::SeqCst), 3);
    for n in 1..=2 {
        assert_eq!(
            cached_get(&server, "/bounds/vary").await,
            ("-".to_owned(), format!("vary render {n}"))
        );
    }
    assert_eq!(in_flight(&cache), "0");
}

/// Rule 10: the normalised query is exact. `%FF` and `%FE` (both U+FFFD through lossy UTF-8)
/// were one key: `?q=%FE` got the entry rendered for `?q=%FF`. Repeated names in another order
/// answer `get("a")` differently, so they are different keys too; `%2B` is not `+`. Equivalent
/// spellings still share a key.
#[tokio::test]
async fn distinct_queries_never_share_a_key_equivalent_ones_do() {
    let cache = Cache::default();
    let server = server(&cache).await;
    let mut runs = 0;
    let mut expect = |path: &str, cache: &str, body: String| {
        if cache == "MISS" {
            runs += 1;
        }
        (path.to_owned(), cache.to_owned(), body, runs)
    };
    let cases = [
        ("/bounds/query?q=%FF", "MISS", "q=[\"\u{fffd}\"] a=[]"),
        ("/bounds/query?q=%FE", "MISS", "q=[\"\u{fffd}\"] a=[]"),
        ("/bounds/query?q=%FE", "HIT", "q=[\"\u{fffd}\"] a=[]"),
        ("/bounds/query?q=%2B", "MISS", r#"q=["+"] a=[]"#),
        ("/bounds/query?q=+", "MISS", r#"q=[" "] a=[]"#),
        ("/bounds/query?q=%20", "HIT", r#"q=[" "] a=[]"#),
        ("/bounds/query?a=1&a=2", "MISS", r#"q=[] a=["1", "2"]"#),
        ("/bounds/query?a=2&a=1", "MISS", r#"q=[] a=["2", "1"]"#),
        ("/bounds/query?a=%31&a=2", "HIT", r#"q=[] a=["1", "2"]"#),
        ("/bounds/query?q=a%3Db", "MISS", r#"q=["a=b"] a=[]"#),
        ("/bounds/query?q=a&b", "MISS", r#"q=["a"] a=[]"#),
        ("/bounds/query?b&q=a", "HIT", r#"q=["a"] a=[]"#),
    ];
    for (path, status, shown) in cases {
        let (cache, body) = cached_get(&server, path).await;
        // A HIT shows the render that filled it; compare what the handler saw after `render N`.
        let seen = body.split_once(' ').unwrap().1.split_once(' ').unwrap().1;
        let runs_now = QUERY_RUNS.load(Ordering::SeqCst);
        assert_eq!(
            (path.to_owned(), cache, seen.to_owned(), runs_now),
            expect(path, status, shown.to_owned()),
            "{path}: {body}"
        );
    }
    assert_eq!(in_flight(&cache), "0");
}
