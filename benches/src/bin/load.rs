//! HTTP/1.1 keep-alive load generator: hand-written axum vs `#[route]`-generated handlers, run as
//! child processes (`bench-server`), alternating A B / B A rounds in one run, printing requests/s,
//! p50, p99, ratios, each server's CPU time per request and peak resident memory (VmHWM). A ratio
//! (req/s, p99 or requests per server CPU-second) is the median of the rounds' ratios: steadier
//! on a shared machine than a ratio of pooled figures.
//!
//! ```text
//! load [--smoke] [--duration SECS] [--rounds N] [--connections C] [--client-threads T]
//!      [--server-threads T (default 1; 0 = one per core)] [--processes N] [--only NAME]...
//!      [--no-pin] [--control]
//! load --url http://127.0.0.1:3000/api/hello [--label next] [--pid PID]
//!      [--against gen|hand|axum-serve] [--against-path /api/hello]
//! ```
//! The second form loads an external server (Next.js, see `benches/scripts/nextjs.sh`), optionally
//! alternating with one of our servers on the same path. No figure is ever asserted; the process
//! fails only when a server answers with the wrong status (a broken benchmark, not a slow one).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use route_benches::client::{
    build, connect, loadavg, machine_line, server_pairs, spawn_bench_server, Req, ServerProcess,
};
use route_benches::stats::{fmt_ns, fmt_ratio, mark, median, median_interval, quantile};
use route_benches::{arg, args_all, smoke_requested};

/// Processes per server in a full run (`--processes`). Several, because with one process each,
/// runs of the `OPTIONS` control (nearly the same code on both sides) landed ~±2% apart while each
/// run's own interval was ~±0.5%; four, because each process warms up for each pair (0.5 s).
const DEFAULT_PROCESSES: usize = 4;

/// One server under load.
struct Target {
    label: String,
    addr: SocketAddr,
    host: String,
    pid: Option<u32>,
    /// Ours, stopped when the target is dropped; `None` for an external server.
    _process: Option<ServerProcess>,
}

struct Scenario {
    name: &'static str,
    /// The processes (indices in the targets) of the baseline server (A) and of the measured one
    /// (B), taken in turn every two rounds.
    a: Vec<usize>,
    b: Vec<usize>,
    req_a: Req,
    req_b: Req,
    /// Target for B/A requests/s, and for B/A p99 (None: not a target).
    rps_target: Option<f64>,
    p99_target: Option<f64>,
}

#[derive(Default)]
struct Side {
    rps: Vec<f64>,
    /// Server CPU time per request in each round (ns), when the server's pid is known.
    cpu_per_req: Vec<f64>,
    /// How busy the server was in each round: its CPU-seconds per second (1 when it never
    /// waited for the client).
    busy: Vec<f64>,
    latencies: Vec<u64>,
    requests: u64,
    errors: u64,
    bad_status: u64,
}

struct RoundResult {
    requests: u64,
    errors: u64,
    bad_status: u64,
    elapsed: Duration,
    latencies: Vec<u64>,
}

/// Whether the client and our servers are pinned to a core each.
enum Pinning {
    /// The client's core and the servers' core.
    On {
        client: usize,
        servers: usize,
    },
    Off(&'static str),
}

/// Pins this process (the client, all its threads, before its runtime is built) to the first
/// core it may run on, for the servers to get the second, if there are two and `taskset` runs.
/// Unpinned on a 2-core machine, the scheduler now and then puts the client and the server on one
/// core: rounds swing between ~90k and ~50k req/s and per-round ratios spread over 0.6–1.7;
/// pinned, no round is halved.
fn pin() -> Pinning {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let allowed = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|list| first_cpus(list.trim(), 2))
        .unwrap_or_default();
    let [client, servers] = allowed[..] else {
        return Pinning::Off("fewer than two cores");
    };
    let pinned = std::process::Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &client.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if pinned {
        Pinning::On { client, servers }
    } else {
        Pinning::Off("taskset failed or missing")
    }
}

/// The first `n` CPUs of a list as `/proc` writes it (`0-3,8,10-11`).
fn first_cpus(list: &str, n: usize) -> Vec<usize> {
    let mut cpus = Vec::new();
    for range in list.split(',') {
        let (low, high) = range.split_once('-').unwrap_or((range, range));
        let (Ok(low), Ok(high)) = (low.trim().parse::<usize>(), high.trim().parse::<usize>())
        else {
            return Vec::new();
        };
        cpus.extend((low..=high).take(n - cpus.len()));
        if cpus.len() >= n {
            break;
        }
    }
    cpus.truncate(n);
    cpus
}

fn spawn_server(kind: &str, threads: Option<usize>, wrapper: &[&str]) -> Target {
    let (process, addr) = spawn_bench_server(wrapper, kind, threads);
    Target {
        label: kind.to_owned(),
        addr,
        host: addr.to_string(),
        pid: Some(process.child.id()),
        _process: Some(process),
    }
}

fn external_target(url: &str, label: &str, pid: Option<u32>) -> (Target, String) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("--url must be http://host:port/path, got {url}"));
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let authority = authority.replace("localhost", "127.0.0.1");
    let addr: SocketAddr = authority
        .parse()
        .unwrap_or_else(|_| panic!("--url needs a numeric loopback address and a port: {url}"));
    assert!(
        addr.ip().is_loopback(),
        "load only targets loopback addresses, not {addr}"
    );
    (
        Target {
            label: label.to_owned(),
            addr,
            host: authority,
            pid,
            _process: None,
        },
        path.to_owned(),
    )
}

/// Peak and current resident memory of `pid` and its descendants, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let mut hwm = 0;
    let mut rss = 0;
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) {
            for line in status.lines() {
                let value = |l: &str| -> u64 {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                };
                if line.starts_with("VmHWM:") {
                    hwm += value(line);
                } else if line.starts_with("VmRSS:") {
                    rss += value(line);
                }
            }
        }
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
            for task in tasks.flatten() {
                if let Ok(children) = std::fs::read_to_string(task.path().join("children")) {
                    stack.extend(
                        children
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
        }
    }
    (hwm, rss)
}

/// CPU time `pid` has run so far, in ns: the sum over its threads of the scheduler's
/// `sum_exec_runtime` (`/proc/PID/task/TID/schedstat`, first field), user and kernel time alike.
fn cpu_ns(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// One round: `connections` keep-alive connections sending back to back for `duration`.
async fn run_round(
    target: &Target,
    req: &Req,
    connections: usize,
    duration: Duration,
) -> RoundResult {
    let mut senders = Vec::with_capacity(connections);
    for _ in 0..connections {
        match connect(target.addr).await {
            Ok(s) => senders.push(s),
            Err(e) => eprintln!("connect to {} failed: {e}", target.addr),
        }
    }
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::with_capacity(senders.len());
    for mut sender in senders {
        let req = req.clone();
        let host = target.host.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let (mut errors, mut bad) = (0u64, 0u64);
            while Instant::now() < deadline {
                if sender.ready().await.is_err() {
                    errors += 1;
                    break;
                }
                let request = build(&req, &host);
                let t = Instant::now();
                let response = match sender.send_request(request).await {
                    Ok(r) => r,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                };
                let status = response.status().as_u16();
                if response.into_body().collect().await.is_err() {
                    errors += 1;
                    break;
                }
                latencies.push(t.elapsed().as_nanos() as u64);
                if status != req.expect {
                    bad += 1;
                }
            }
            (latencies, errors, bad)
        }));
    }
    let mut result = RoundResult {
        requests: 0,
        errors: 0,
        bad_status: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (lat, errors, bad) = task.await.expect("load task");
        result.requests += lat.len() as u64;
        result.latencies.extend(lat);
        result.errors += errors;
        result.bad_status += bad;
    }
    result.elapsed = start.elapsed();
    result
}

/// One request, to check the status (and show the cache header where there is one).
async fn probe(target: &Target, req: &Req) -> Result<(u16, Option<String>), String> {
    let mut sender = connect(target.addr).await.map_err(|e| e.to_string())?;
    sender.ready().await.map_err(|e| e.to_string())?;
    let response = sender
        .send_request(build(req, &target.host))
        .await
        .map_err(|e| e.to_string())?;
    let cache = response
        .headers()
        .get("x-nextjs-cache")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    Ok((status, cache))
}

fn main() {
    let smoke = smoke_requested();
    let duration =
        Duration::from_secs_f64(arg("--duration").unwrap_or(if smoke { 0.2 } else { 3.0 }));
    // Three in a smoke run: the third round is the second pair of processes' turn.
    let rounds: usize = arg("--rounds").unwrap_or(if smoke { 3 } else { 5 });
    let connections: usize = arg("--connections").unwrap_or(if smoke { 4 } else { 32 });
    let client_threads: usize = arg("--client-threads").unwrap_or(1);
    // One server worker + one client thread on a 2-core machine: no oversubscription, and
    // per-round ratios an order of magnitude steadier than with the default (one per core).
    // `--server-threads 0` keeps Tokio's default.
    let server_threads: Option<usize> = match arg::<usize>("--server-threads").unwrap_or(1) {
        0 => None,
        n => Some(n),
    };
    let warmup = if smoke {
        Duration::from_millis(50)
    } else {
        Duration::from_millis(500)
    };
    let only = args_all("--only");
    // Each kept pair as A against A (two sets of A's processes): the benchmark's own noise floor.
    let control = std::env::args().any(|a| a == "--control");
    // Several processes of each server, taken in turn every two rounds: a process's own luck
    // (where its code and heap landed) then varies inside a run instead of between runs.
    // (Two in a smoke run, to run the turn-taking too.)
    let processes: usize = arg("--processes")
        .unwrap_or(if smoke { 2 } else { DEFAULT_PROCESSES })
        .max(1);
    // Read before pinning, which narrows what this process sees to one core.
    let machine = machine_line();
    // Our servers on one core, the client on the other (external servers are left alone).
    let pinning = if std::env::args().any(|a| a == "--no-pin") || arg::<String>("--url").is_some() {
        Pinning::Off("--no-pin or --url")
    } else {
        pin()
    };
    let server_cpu = match pinning {
        Pinning::On { servers, .. } => Some(servers.to_string()),
        Pinning::Off(_) => None,
    };
    let wrapper: Vec<&str> = match &server_cpu {
        Some(cpu) => vec!["taskset", "-c", cpu],
        None => Vec::new(),
    };

    let mut targets: Vec<Target> = Vec::new();
    let mut scenarios: Vec<Scenario> = Vec::new();
    if let Some(url) = arg::<String>("--url") {
        let label: String = arg("--label").unwrap_or_else(|| "external".into());
        let (ext, path) = external_target(&url, &label, arg("--pid"));
        targets.push(ext);
        let against: Option<String> = arg("--against");
        let (b, req_b) = match &against {
            Some(kind) => {
                for _ in 0..processes {
                    targets.push(spawn_server(kind, server_threads, &wrapper));
                }
                let p: String = arg("--against-path").unwrap_or_else(|| path.clone());
                ((1..targets.len()).collect(), Req::get(&p))
            }
            None => (vec![0], Req::get(&path)),
        };
        let name: &'static str = Box::leak(
            format!(
                "hello: {label} (A) vs {} (B)",
                against.as_deref().unwrap_or(&label)
            )
            .into_boxed_str(),
        );
        scenarios.push(Scenario {
            name,
            a: vec![0],
            b,
            req_a: Req::get(&path),
            req_b,
            rps_target: None,
            p99_target: None,
        });
    } else {
        let mut pairs = server_pairs();
        if !only.is_empty() {
            pairs.retain(|p| only.iter().any(|o| p.name.contains(o.as_str())));
        }
        if control {
            for p in &mut pairs {
                p.b = p.a;
                (p.rps_target, p.p99_target) = (None, None);
                p.name = Box::leak(format!("{} (control: A/A)", p.name).into_boxed_str());
            }
        }
        // Only the kinds the kept pairs use are started (idle ones would still hold memory). A
        // control's B side is a second set of processes of A's kind, with its own luck.
        let mut slots: Vec<(&str, usize)> = Vec::new();
        for p in &pairs {
            for slot in [(p.a, 0), (p.b, usize::from(control))] {
                if !slots.contains(&slot) {
                    slots.push(slot);
                }
            }
        }
        for (kind, _) in &slots {
            for _ in 0..processes {
                targets.push(spawn_server(kind, server_threads, &wrapper));
            }
        }
        // A pair's side is the processes of its slot.
        let index = |slot: (&str, usize)| -> Vec<usize> {
            let k = slots
                .iter()
                .position(|s| *s == slot)
                .unwrap_or_else(|| panic!("no {} server", slot.0));
            (k * processes..(k + 1) * processes).collect()
        };
        for p in pairs {
            scenarios.push(Scenario {
                name: p.name,
                a: index((p.a, 0)),
                b: index((p.b, usize::from(control))),
                req_a: p.req.clone(),
                req_b: p.req,
                rps_target: p.rps_target,
                p99_target: p.p99_target,
            });
        }
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(client_threads.max(1))
        .enable_all()
        .build()
        .expect("runtime");

    println!("# load: HTTP/1.1 keep-alive over loopback, alternating A B / B A rounds");
    println!("machine: {machine}");
    println!(
        "rounds: {rounds} × {:.1}s per side, {connections} connections, client threads {client_threads}, server threads {}, {processes} process(es) per server taken in turn{}",
        duration.as_secs_f64(),
        server_threads.map_or("default".to_string(), |t| t.to_string()),
        if smoke { " (smoke: figures meaningless)" } else { "" }
    );
    match pinning {
        Pinning::On { client, servers } => {
            println!("pinned: client on CPU {client}, servers on CPU {servers}")
        }
        Pinning::Off(why) => println!("not pinned ({why})"),
    }
    for t in &targets {
        println!("server {:<11} {} pid {:?}", t.label, t.addr, t.pid);
    }
    println!();

    let mut broken = false;
    let mut summary = Vec::new();
    rt.block_on(async {
        for sc in &scenarios {
            let every = sc.a.iter().map(|&i| (i, &sc.req_a)).chain(sc.b.iter().map(|&i| (i, &sc.req_b)));
            // Correctness first: every process of both sides answers the expected status.
            for (i, req) in every.clone() {
                // Twice: a cached route shows MISS then HIT.
                let _ = probe(&targets[i], req).await;
                match probe(&targets[i], req).await {
                    Ok((status, cache)) => {
                        if status != req.expect {
                            broken = true;
                            eprintln!(
                                "BROKEN: {} {} {} answered {status}, expected {}",
                                targets[i].label, req.method, req.path, req.expect
                            );
                        }
                        if let Some(cache) = cache {
                            println!("  ({} {} → x-nextjs-cache: {cache})", targets[i].label, req.path);
                        }
                    }
                    Err(e) => {
                        broken = true;
                        eprintln!("BROKEN: {} {}: {e}", targets[i].label, req.path);
                    }
                }
            }
            // Warm-up, not recorded.
            for (i, req) in every {
                run_round(&targets[i], req, connections, warmup).await;
            }
            let mut sides = [Side::default(), Side::default()];
            let mut ratios = Vec::new();
            let mut p99_ratios = Vec::new();
            // Requests per server CPU-second, B over A: what each side would serve on a core of
            // its own. Steadier than req/s when neighbours take the core away for a while.
            let mut cpu_ratios = Vec::new();
            // The processes change every two rounds, so that each pair of them runs in both
            // orders (A B, then B A). Ratios are also kept by pair, to show a process's own luck.
            let turns = sc.a.len().max(sc.b.len());
            let mut by_turn = vec![Vec::new(); turns];
            for round in 0..rounds {
                let turn = (round / 2) % turns;
                let pairs = [
                    (sc.a[turn % sc.a.len()], &sc.req_a),
                    (sc.b[turn % sc.b.len()], &sc.req_b),
                ];
                let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
                let mut rps = [0.0; 2];
                let mut p99 = [0u64; 2];
                let mut cpu = [0.0; 2];
                for s in order {
                    let (i, req) = pairs[s];
                    let pid = targets[i].pid;
                    let cpu_before = pid.and_then(cpu_ns);
                    let r = run_round(&targets[i], req, connections, duration).await;
                    let cpu_after = pid.and_then(cpu_ns);
                    rps[s] = r.requests as f64 / r.elapsed.as_secs_f64();
                    let side = &mut sides[s];
                    side.rps.push(rps[s]);
                    if let (Some(before), Some(after)) = (cpu_before, cpu_after) {
                        if r.requests > 0 {
                            cpu[s] = (after - before) as f64 / r.requests as f64;
                            side.cpu_per_req.push(cpu[s]);
                            side.busy.push((after - before) as f64 / 1e9 / r.elapsed.as_secs_f64());
                        }
                    }
                    side.requests += r.requests;
                    side.errors += r.errors;
                    side.bad_status += r.bad_status;
                    let mut latencies = r.latencies;
                    latencies.sort_unstable();
                    p99[s] = quantile(&latencies, 0.99);
                    side.latencies.extend(latencies);
                }
                if rps[0] > 0.0 {
                    ratios.push(rps[1] / rps[0]);
                    by_turn[turn].push(rps[1] / rps[0]);
                }
                if p99[0] > 0 {
                    p99_ratios.push(p99[1] as f64 / p99[0] as f64);
                }
                if cpu[0] > 0.0 && cpu[1] > 0.0 {
                    cpu_ratios.push(cpu[0] / cpu[1]);
                }
            }
            for side in &mut sides {
                side.latencies.sort_unstable();
            }
            println!("## {}", sc.name);
            println!(
                "  {:<12} {:>11} {:>10} {:>10} {:>10} {:>8} {:>9}",
                "server", "req/s", "p50", "p99", "requests", "errors", "CPU/req"
            );
            let mut p = [(0u64, 0u64); 2];
            for (s, i) in [sc.a[0], sc.b[0]].iter().enumerate() {
                let side = &sides[s];
                p[s] = (quantile(&side.latencies, 0.5), quantile(&side.latencies, 0.99));
                println!(
                    "  {:<12} {:>11.0} {:>10} {:>10} {:>10} {:>8} {:>9}",
                    if targets[sc.a[0]].label == targets[sc.b[0]].label { format!("{} ({})", targets[*i].label, if s == 0 { "A" } else { "B" }) } else { targets[*i].label.clone() },
                    median(&side.rps),
                    fmt_ns(p[s].0 as f64),
                    fmt_ns(p[s].1 as f64),
                    side.requests,
                    side.errors + side.bad_status,
                    if side.cpu_per_req.is_empty() { "-".to_string() } else { fmt_ns(median(&side.cpu_per_req)) }
                );
                if side.bad_status > 0 {
                    broken = true;
                    eprintln!("BROKEN: {} answered {} wrong statuses", targets[*i].label, side.bad_status);
                }
            }
            let rps_ratio = median(&ratios);
            let p50_ratio = p[1].0 as f64 / p[0].0.max(1) as f64;
            // Like req/s, the median of the rounds' ratios: one noisy round (the machine is shared)
            // moves a pooled p99 a lot and a median little.
            let p99_ratio = median(&p99_ratios);
            let rps_note = sc
                .rps_target
                .map(|t| format!(" (target ≥ {t}: {})", mark(rps_ratio >= t)))
                .unwrap_or_default();
            let p99_note = sc
                .p99_target
                .map(|t| format!(" (target ≤ {t}: {})", mark(p99_ratio <= t)))
                .unwrap_or_default();
            // Each median with its interval, for this pair's lines and the summary.
            let rps_text = fmt_ratio(rps_ratio, median_interval(&ratios));
            let p99_text = fmt_ratio(p99_ratio, median_interval(&p99_ratios));
            println!(
                "  ratio B/A    req/s {rps_text}{rps_note}  p50 {p50_ratio:.3}×  p99 {p99_text}{p99_note}  (per-round req/s ratios: {}; p99 ratios: {})",
                ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(" "),
                p99_ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(" ")
            );
            if turns > 1 {
                println!(
                    "  ratio B/A    req/s by pair of processes (each takes two rounds in turn): {}",
                    by_turn
                        .iter()
                        .map(|r| if r.is_empty() { "-".to_string() } else { format!("{:.3}", median(r)) })
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            println!(
                "  per-round req/s (k)  A: {}  B: {}",
                sides[0].rps.iter().map(|r| format!("{:.1}", r / 1e3)).collect::<Vec<_>>().join(" "),
                sides[1].rps.iter().map(|r| format!("{:.1}", r / 1e3)).collect::<Vec<_>>().join(" ")
            );
            if !sides[0].busy.is_empty() {
                println!(
                    "  per-round server busy (CPU-s/s)  A: {}  B: {}",
                    sides[0].busy.iter().map(|b| format!("{b:.2}")).collect::<Vec<_>>().join(" "),
                    sides[1].busy.iter().map(|b| format!("{b:.2}")).collect::<Vec<_>>().join(" ")
                );
            }
            let cpu_ratio = median(&cpu_ratios);
            if !cpu_ratios.is_empty() {
                let cpu_note = sc
                    .rps_target
                    .map(|t| format!(" (target ≥ {t}: {})", mark(cpu_ratio >= t)))
                    .unwrap_or_default();
                println!(
                    "  ratio B/A    requests per server CPU-second {cpu_ratio:.3}×{cpu_note}  (per-round: {})",
                    cpu_ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(" ")
                );
            }
            println!();
            summary.push((sc.name, rps_text, p99_text, cpu_ratio, rps_note, p99_note));
        }
    });

    println!("## summary (B/A)");
    for (name, rps, p99, cpu, rps_note, p99_note) in &summary {
        println!("  {name:<62} req/s {rps}{rps_note}  p99 {p99}{p99_note}  req/CPU-s {cpu:.3}×");
    }
    println!();
    println!("## peak resident memory (VmHWM, process and descendants; the highest of a server's processes)");
    let mut labels: Vec<&str> = targets.iter().map(|t| t.label.as_str()).collect();
    labels.dedup();
    for label in labels {
        let memory: Vec<(u64, u64)> = targets
            .iter()
            .filter(|t| t.label == label)
            .filter_map(|t| t.pid.map(memory_kib))
            .collect();
        match memory.iter().max() {
            Some(&(hwm, rss)) => println!(
                "  {label:<12} peak {:>8.1} MiB   now {:>8.1} MiB   ({} process(es))",
                hwm as f64 / 1024.0,
                rss as f64 / 1024.0,
                memory.len()
            ),
            None => println!("  {label:<12} (no --pid given: not read)"),
        }
    }
    println!("load average at end: {}", loadavg());
    drop(targets);
    if broken {
        eprintln!("some server answered wrongly: the figures above are not comparable");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::first_cpus;

    #[test]
    fn first_cpus_of_proc_lists() {
        assert_eq!(first_cpus("0-1", 2), [0, 1]);
        assert_eq!(first_cpus("0-63", 2), [0, 1]);
        assert_eq!(first_cpus("3,5-7", 2), [3, 5]);
        assert_eq!(first_cpus("2", 2), [2]);
        assert_eq!(first_cpus("4-4,9", 2), [4, 9]);
        assert_eq!(first_cpus("", 2), Vec::<usize>::new());
        assert_eq!(first_cpus("x", 2), Vec::<usize>::new());
    }
}
