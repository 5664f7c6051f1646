//! One benchmark server, run as a child process of `load` so that its peak memory can be read.
//!
//! `bench-server hand|gen|axum-serve [--threads N]`: binds 127.0.0.1:0, prints `LISTEN <addr>` on
//! stdout, and serves until killed.
//! - `hand`: the hand-written axum router, served by `route_runtime::serve` (same connection loop
//!   and path normalisation as `gen`: the pair isolates what `#[route]` generates);
//! - `gen`: the `#[route]` router, served by `route_runtime::serve`;
//! - `axum-serve`: the hand-written router served by plain `axum::serve` (what an axum app without
//!   this toolkit runs).

use std::io::Write;

use route_benches::{arg, generated, hand};

fn main() -> std::io::Result<()> {
    let kind = std::env::args().nth(1).unwrap_or_default();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(threads) = arg::<usize>("--threads") {
        rt.worker_threads(threads.max(1));
    }
    let rt = rt.build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "LISTEN {addr}")?;
            out.flush()?;
        }
        match kind.as_str() {
            "hand" => route_runtime::serve(listener, hand::router()).await,
            "gen" => route_runtime::serve(listener, generated::router()).await,
            "axum-serve" => {
                use axum::serve::ListenerExt;
                let listener = listener.tap_io(|tcp| {
                    let _ = tcp.set_nodelay(true);
                });
                axum::serve(listener, hand::router()).await
            }
            other => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("unknown server kind {other:?}: expected hand, gen or axum-serve"),
            )),
        }
    })
}
