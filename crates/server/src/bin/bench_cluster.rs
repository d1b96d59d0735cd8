//! `plenum-bench-cluster`: the measuring half of `bench/cluster.sh`.
//!
//! For each node count N it starts a master in this process, registers the
//! first N media nodes listed in `--uris` (running processes, started by the
//! caller) with `POST /openvidu/api/media-nodes`, then grows the number of
//! sessions through `--sessions`: each session is created with
//! `POST /openvidu/api/sessions` and placed with `Registry::place_session`,
//! which spreads them over the nodes. At every step it measures:
//!
//! - one placement decision: `Registry::check_placeable(None)`, the
//!   least-loaded scan over the nodes that `Registry::place_session` makes,
//!   against a floor timed in the same run: a min-scan over N `f64` loads in a
//!   `Vec` (the least work any least-loaded choice has to do);
//! - `GET /openvidu/api/media-nodes?sessions=true` over loopback HTTP/1.1,
//!   against `GET /openvidu/api/status` (the cost of HTTP, routing and
//!   authentication), with two references: `GET /openvidu/api/sessions` (the
//!   same Session objects, serialized straight from the model) and
//!   `GET /openvidu/api/media-nodes` (the nodes alone). The requests are
//!   interleaved in rounds, so drift hits them alike; each round ends with one
//!   more `/status` sent right after the listing, which shows the server work
//!   the listing leaves behind once its answer is sent.
//!
//! Prints a Markdown report on stdout, progress on stderr. Exits with 1 when a
//! placement decision at the largest node count takes longer than
//! `--placement-target-us`.

use std::error::Error;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use base64::Engine;
use clap::Parser;
use plenum::api::AppState;
use plenum::config::Config;
use plenum::server::RunningServer;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

const SECRET: &str = "BENCH_SECRET";

#[derive(Parser)]
struct Cli {
    /// File with one media node URI (`ws://127.0.0.1:PORT/kurento`) per line; at least max(--nodes) lines.
    #[arg(long)]
    uris: PathBuf,
    /// Node counts; each gets a fresh master that registers the first N URIs.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100")]
    nodes: Vec<usize>,
    /// Session counts, reached in increasing order on each master.
    #[arg(long, value_delimiter = ',', default_value = "0,1000,3000,10000")]
    sessions: Vec<usize>,
    /// Placement decisions per timed run.
    #[arg(long, default_value_t = 100_000)]
    decisions: u32,
    /// Timed runs of the decisions (and of the floor); the median is reported.
    #[arg(long, default_value_t = 11)]
    repeats: usize,
    /// Timed requests per endpoint and step, after a few unmeasured ones.
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// Upper bound for one placement decision at the largest node count, in µs.
    #[arg(long, default_value_t = 50.0)]
    placement_target_us: f64,
}

/// Median, 95th percentile and body size of one endpoint's requests.
#[derive(Clone, Copy, Default)]
struct Timing {
    median_us: f64,
    p95_us: f64,
    bytes: usize,
}

struct Row {
    nodes: usize,
    sessions: usize,
    decision_ns: f64,
    floor_ns: f64,
    /// Mean `place_session` time (decision and bookkeeping, lock included) over the sessions added for this row.
    place_ns: Option<f64>,
    /// Fewest and most sessions on one node.
    spread: (usize, usize),
    gets: Gets,
    local: Local,
}

/// Median times of the same handlers called in this process, without HTTP: request in, whole body out and dropped.
#[derive(Clone, Copy)]
struct Local {
    status_us: f64,
    sessions_us: f64,
    embedded_us: f64,
}

/// The request timings of one configuration.
#[derive(Clone, Copy)]
struct Gets {
    /// `GET /openvidu/api/status`, the baseline, sent after another `/status`.
    status: Timing,
    /// `GET /openvidu/api/sessions`.
    sessions: Timing,
    /// `GET /openvidu/api/media-nodes`.
    nodes: Timing,
    /// `GET /openvidu/api/media-nodes?sessions=true`, what is measured.
    embedded: Timing,
    /// `GET /openvidu/api/status` sent right after the answer to `embedded` arrived.
    after: Timing,
}

const STATUS: &str = "/openvidu/api/status";
const SESSIONS: &str = "/openvidu/api/sessions";
const MEDIA_NODES: &str = "/openvidu/api/media-nodes";
const MEDIA_NODES_SESSIONS: &str = "/openvidu/api/media-nodes?sessions=true";
/// One round, in order; the last `/status` follows the listing at once.
const ROUND: [&str; 5] = [STATUS, SESSIONS, MEDIA_NODES, MEDIA_NODES_SESSIONS, STATUS];

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("plenum-bench-cluster: {error}");
            ExitCode::from(2)
        }
    }
}

/// Measures every configuration and prints the report; `Ok(false)` when the placement target is missed.
fn run(cli: &Cli) -> Result<bool> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let uris: Vec<String> = std::fs::read_to_string(&cli.uris)?
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect();
    let mut nodes = cli.nodes.clone();
    nodes.sort_unstable();
    nodes.dedup();
    let mut sessions = cli.sessions.clone();
    sessions.sort_unstable();
    sessions.dedup();
    let most = nodes.last().copied().unwrap_or(0);
    if nodes.first() == Some(&0) || most > uris.len() {
        return Err(format!("node counts must be 1..={} (the URIs in {})", uris.len(), cli.uris.display()).into());
    }
    if cli.decisions == 0 || cli.repeats == 0 || cli.requests == 0 {
        return Err("--decisions, --repeats and --requests must be positive".into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut rows = Vec::new();
    for &count in &nodes {
        let server = runtime.block_on(start_master())?;
        let measured = measure_cluster(cli, &runtime, &server, &uris[..count], &sessions);
        let stopping = Instant::now();
        runtime.block_on(server.shutdown())?;
        eprintln!("[{count} nodes] master shut down in {:.0} ms", stopping.elapsed().as_secs_f64() * 1e3);
        rows.extend(measured?);
    }
    Ok(report(cli, &rows))
}

async fn start_master() -> Result<RunningServer> {
    let env = [
        ("SERVER_ADDRESS", "127.0.0.1"),
        ("SERVER_PORT", "0"),
        ("OPENVIDU_SECRET", SECRET),
        ("OPENVIDU_PRO_CLUSTER", "true"),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
        ("OPENVIDU_PRO_CLUSTER_AUTODISCOVERY", "false"),
        // The load monitor polls every node in turn; kept out of the measurements.
        ("OPENVIDU_PRO_STATS_MONITORING_INTERVAL", "3600"),
    ];
    let lookup = move |key: &str| env.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string());
    let config = Config::load(None, &lookup).map_err(|e| format!("configuration: {e}"))?.config;
    Ok(plenum::server::start(config).await?)
}

/// Registers `uris`, then measures at each session count.
fn measure_cluster(
    cli: &Cli,
    runtime: &tokio::runtime::Runtime,
    server: &RunningServer,
    uris: &[String],
    sessions: &[usize],
) -> Result<Vec<Row>> {
    let state = &server.state;
    let mut client = Client::connect(server.local_addr)?;
    let started = Instant::now();
    for uri in uris {
        let body = serde_json::json!({ "uri": uri }).to_string();
        client.expect_ok("POST", MEDIA_NODES, Some(&body))?;
    }
    state.cluster().registry().check_placeable(None).map_err(|e| format!("after registering: {e}"))?;
    eprintln!("[{} nodes] registered in {:.0} ms", uris.len(), started.elapsed().as_secs_f64() * 1e3);

    let mut rows = Vec::new();
    let mut created = 0;
    for &target in sessions {
        let mut placing = Duration::ZERO;
        let started = Instant::now();
        for i in created..target {
            let id = format!("bench_{i:06}");
            client.expect_ok("POST", SESSIONS, Some(&format!("{{\"customSessionId\":\"{id}\"}}")))?;
            let start = Instant::now();
            state.cluster().registry().place_session(&id, None).map_err(|e| format!("placing {id}: {e}"))?;
            placing += start.elapsed();
        }
        let place_ns = (target > created).then(|| placing.as_nanos() as f64 / (target - created) as f64);
        if target > created {
            eprintln!(
                "[{} nodes] {} sessions created and placed in {:.1} s",
                uris.len(),
                target - created,
                started.elapsed().as_secs_f64()
            );
        }
        created = target;

        let (decision_ns, floor_ns, spread) = decisions(state, cli.decisions, cli.repeats)?;
        let gets = requests(&mut client, cli.requests, uris.len(), target)?;
        eprintln!(
            "[{} nodes, {target} sessions] decision {decision_ns:.0} ns (floor {floor_ns:.1} ns); \
             GET media-nodes?sessions=true median {:.0} µs, /status {:.0} µs, /status after it {:.0} µs",
            uris.len(),
            gets.embedded.median_us,
            gets.status.median_us,
            gets.after.median_us
        );
        let local = in_process(runtime, state, cli.requests)?;
        rows.push(Row { nodes: uris.len(), sessions: target, decision_ns, floor_ns, place_ns, spread, gets, local });
    }
    Ok(rows)
}

/// The median time of one placement decision and of the floor, in ns, and the session spread over the nodes.
fn decisions(state: &AppState, count: u32, repeats: usize) -> Result<(f64, f64, (usize, usize))> {
    let registry = state.cluster().registry();
    let hosted: Vec<usize> = registry.nodes().map(|node| registry.sessions_of(&node.id).len()).collect();
    let loads: Vec<f64> = hosted.iter().map(|&n| n as f64).collect();
    let spread = (hosted.iter().copied().min().unwrap_or(0), hosted.iter().copied().max().unwrap_or(0));
    let mut decided = Vec::with_capacity(repeats);
    let mut floor = Vec::with_capacity(repeats);
    let mut placeable = 0u64;
    let mut found = 0u64;
    for _ in 0..repeats {
        let start = Instant::now();
        for _ in 0..count {
            placeable += u64::from(black_box(registry.check_placeable(black_box(None))).is_ok());
        }
        decided.push(start.elapsed().as_nanos() as f64 / f64::from(count));
        let start = Instant::now();
        for _ in 0..count {
            found += u64::from(black_box(least_loaded(black_box(&loads))).is_some());
        }
        floor.push(start.elapsed().as_nanos() as f64 / f64::from(count));
    }
    let total = u64::from(count) * repeats as u64;
    if placeable != total || found != total {
        return Err(format!("{} of {total} placement decisions failed", total - placeable).into());
    }
    Ok((median(&mut decided), median(&mut floor), spread))
}

/// The floor: index of the smallest load.
fn least_loaded(loads: &[f64]) -> Option<usize> {
    loads.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i)
}

/// Times `count` [`ROUND`]s (after 3 unmeasured ones) on one keep-alive connection.
fn requests(client: &mut Client, count: usize, nodes: usize, sessions: usize) -> Result<Gets> {
    let embedded = client.expect_ok("GET", MEDIA_NODES_SESSIONS, None)?;
    check_media_nodes(&embedded, nodes, sessions)?;
    for _ in 0..3 {
        for path in ROUND {
            client.expect_ok("GET", path, None)?;
        }
    }
    let mut samples: [Vec<f64>; ROUND.len()] = Default::default();
    let mut bytes = [0; ROUND.len()];
    for _ in 0..count {
        for (k, path) in ROUND.into_iter().enumerate() {
            let start = Instant::now();
            let body = client.expect_ok("GET", path, None)?;
            samples[k].push(start.elapsed().as_nanos() as f64 / 1e3);
            bytes[k] = body.len();
        }
    }
    let [status, sessions, nodes, embedded, after] = std::array::from_fn(|k| Timing {
        median_us: median(&mut samples[k]),
        p95_us: percentile(&mut samples[k], 0.95),
        bytes: bytes[k],
    });
    Ok(Gets { status, sessions, nodes, embedded, after })
}

/// Times `count` rounds of `/status`, `/sessions` and `/media-nodes?sessions=true` through the API router in
/// this process, on this thread: the server's work without the network.
fn in_process(runtime: &tokio::runtime::Runtime, state: &AppState, count: usize) -> Result<Local> {
    let router = plenum::api::router(state.clone(), plenum::signaling::routes());
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("OPENVIDUAPP:{SECRET}"));
    let authorization = format!("Basic {credentials}");
    let call = |path: &str| -> Result<Duration> {
        let request = Request::get(path).header(header::AUTHORIZATION, &authorization).body(Body::empty())?;
        let start = Instant::now();
        let response = runtime.block_on(tower::ServiceExt::oneshot(router.clone(), request))?;
        if !response.status().is_success() {
            return Err(format!("GET {path} answered {} in process", response.status()).into());
        }
        let body = runtime.block_on(axum::body::to_bytes(response.into_body(), usize::MAX))?;
        drop(black_box(body));
        Ok(start.elapsed())
    };
    let paths = [STATUS, SESSIONS, MEDIA_NODES_SESSIONS];
    let mut samples: [Vec<f64>; 3] = Default::default();
    for round in 0..count + 3 {
        for (k, path) in paths.into_iter().enumerate() {
            let took = call(path)?;
            if round >= 3 {
                samples[k].push(took.as_nanos() as f64 / 1e3);
            }
        }
    }
    let [status_us, sessions_us, embedded_us] = std::array::from_fn(|k| median(&mut samples[k]));
    Ok(Local { status_us, sessions_us, embedded_us })
}

/// The answer lists every node and, over all of them, every session.
fn check_media_nodes(body: &[u8], nodes: usize, sessions: usize) -> Result<()> {
    let json: serde_json::Value = serde_json::from_slice(body)?;
    let listed = json["content"].as_array().map_or(0, Vec::len);
    let embedded: usize =
        json["content"].as_array().into_iter().flatten().map(|n| n["sessions"].as_array().map_or(0, Vec::len)).sum();
    if json["numberOfElements"] != nodes || listed != nodes || embedded != sessions {
        return Err(format!(
            "{MEDIA_NODES_SESSIONS} lists {listed} nodes and {embedded} sessions, expected {nodes} and {sessions}"
        )
        .into());
    }
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    percentile(values, 0.5)
}

/// Nearest-rank percentile (the median of an even count is the mean of the middle two).
fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if p == 0.5 && n.is_multiple_of(2) {
        return (values[n / 2 - 1] + values[n / 2]) / 2.0;
    }
    values[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
}

/// A minimal HTTP/1.1 client on one keep-alive loopback connection, authenticated as `OPENVIDUAPP`.
struct Client {
    stream: BufReader<TcpStream>,
    authorization: String,
    host: String,
}

impl Client {
    fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!("OPENVIDUAPP:{SECRET}"));
        Ok(Self {
            stream: BufReader::with_capacity(64 * 1024, stream),
            authorization: format!("Basic {credentials}"),
            host: addr.to_string(),
        })
    }

    /// Sends a request and returns the body of its answer; anything but 200 is an error.
    fn expect_ok(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<Vec<u8>> {
        let (status, answer) = self.call(method, path, body)?;
        if status != 200 {
            let text = String::from_utf8_lossy(&answer[..answer.len().min(300)]).into_owned();
            return Err(format!("{method} {path} answered {status}: {text}").into());
        }
        Ok(answer)
    }

    fn call(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<(u16, Vec<u8>)> {
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {}\r\n", self.host, self.authorization);
        if let Some(body) = body {
            request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        request.push_str(body.unwrap_or(""));
        self.stream.get_mut().write_all(request.as_bytes())?;

        let mut line = String::new();
        self.stream.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.stream.read_line(&mut line)? == 0 {
                return Err("connection closed in the headers".into());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.parse::<usize>()?);
                } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                }
            }
        }
        let mut answer = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.stream.read_line(&mut line)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)?;
                if size == 0 {
                    // Trailers (none expected) up to the empty line.
                    while {
                        line.clear();
                        self.stream.read_line(&mut line)? > 0 && !line.trim_end().is_empty()
                    } {}
                    break;
                }
                let start = answer.len();
                answer.resize(start + size, 0);
                self.stream.read_exact(&mut answer[start..])?;
                self.stream.read_exact(&mut [0; 2])?;
            }
        } else if let Some(length) = length {
            answer.resize(length, 0);
            self.stream.read_exact(&mut answer)?;
        }
        Ok((status, answer))
    }
}

/// Prints the Markdown tables; whether the placement target is met.
fn report(cli: &Cli, rows: &[Row]) -> bool {
    let Some(first) = rows.first() else { return false };
    println!("## Placement decision");
    println!();
    println!(
        "`Registry::check_placeable(None)` ({} decisions per timed run, median of {} runs) against the floor: \
         a min-scan over N `f64` loads in a `Vec`, timed in the same runs. Growth is relative to the first row. \
         `place_session` is the mean time of the real placements that created the row's sessions (lock, decision \
         and bookkeeping).",
        cli.decisions, cli.repeats
    );
    println!();
    println!(
        "| nodes | sessions | decision ns | floor ns | ratio decision/floor | growth | ns per node | \
         place_session ns | sessions per node (min–max) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        println!(
            "| {} | {} | {:.0} | {:.1} | {:.1} | {:.2} | {:.1} | {} | {}–{} |",
            row.nodes,
            row.sessions,
            row.decision_ns,
            row.floor_ns,
            row.decision_ns / row.floor_ns,
            row.decision_ns / first.decision_ns,
            row.decision_ns / row.nodes as f64,
            row.place_ns.map_or_else(|| "–".to_string(), |ns| format!("{ns:.0}")),
            row.spread.0,
            row.spread.1
        );
    }
    println!();
    println!("## GET /openvidu/api/media-nodes?sessions=true");
    println!();
    println!(
        "{} timed rounds per row on one keep-alive loopback HTTP/1.1 connection, each round \
         `/status`, `/sessions`, `/media-nodes`, `/media-nodes?sessions=true`, `/status`. Latency: the listing's \
         median and p95. Baseline: the round's first `GET /openvidu/api/status` (HTTP, routing and \
         authentication). Leftover: how much longer than the baseline the round's last `/status` takes, sent as \
         soon as the listing's answer arrived: work the listing leaves on the server after answering. Cost = \
         latency median + leftover; growth (relative to the first row) and µs per session ((cost − /status) / \
         sessions) are computed from it. References: `GET /openvidu/api/sessions` (the same Session objects, \
         serialized straight from the model) and `GET /openvidu/api/media-nodes` (the nodes alone).",
        cli.requests
    );
    println!();
    println!(
        "| nodes | sessions | latency median µs | p95 µs | /status median µs | ratio latency / status | leftover µs | \
         cost µs | growth | µs per session | body bytes | /sessions median µs | ratio cost / sessions | \
         /media-nodes median µs |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let gets = row.gets;
        let per_session = per_session_us(row).map_or_else(|| "–".to_string(), |us| format!("{us:.2}"));
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} | {:.0} | {:.1} | {} | {} | {:.0} | {:.2} | {:.0} |",
            row.nodes,
            row.sessions,
            gets.embedded.median_us,
            gets.embedded.p95_us,
            gets.status.median_us,
            gets.embedded.median_us / gets.status.median_us,
            leftover_us(row),
            cost_us(row),
            cost_us(row) / cost_us(first),
            per_session,
            gets.embedded.bytes,
            gets.sessions.median_us,
            cost_us(row) / gets.sessions.median_us,
            gets.nodes.median_us
        );
    }
    println!();
    println!("## The same handlers in process");
    println!();
    println!(
        "`plenum::api::router` called on the measuring thread (`tower::ServiceExt::oneshot`), with no socket: \
         from the request to the whole body, dropped inside the timed region (so the listing's leftover work \
         is included). Median of {} rounds of `/status`, `/sessions`, `/media-nodes?sessions=true`. \
         Growth is relative to the first row; µs per session = (listing − /status) / sessions.",
        cli.requests
    );
    println!();
    println!(
        "| nodes | sessions | listing µs | growth | µs per session | /status µs | ratio listing / status | \
         /sessions µs | ratio listing / sessions | share of HTTP cost |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let local = row.local;
        let per_session = local_per_session_us(row).map_or_else(|| "–".to_string(), |us| format!("{us:.2}"));
        println!(
            "| {} | {} | {:.0} | {:.1} | {} | {:.1} | {:.1} | {:.0} | {:.2} | {:.2} |",
            row.nodes,
            row.sessions,
            local.embedded_us,
            local.embedded_us / first.local.embedded_us,
            per_session,
            local.status_us,
            local.embedded_us / local.status_us,
            local.sessions_us,
            local.embedded_us / local.sessions_us,
            local.embedded_us / cost_us(row)
        );
    }
    println!();
    println!("## Verdict");
    println!();
    let most = rows.iter().map(|r| r.nodes).max().unwrap_or(0);
    let worst = rows.iter().filter(|r| r.nodes == most).map(|r| r.decision_ns).fold(0.0, f64::max);
    let met = worst < cli.placement_target_us * 1e3;
    println!(
        "- Placement at {most} nodes: {:.2} µs per decision (slowest row), target < {} µs: {}.",
        worst / 1e3,
        cli.placement_target_us,
        if met { "met" } else { "**NOT met**" }
    );
    let per_node: Vec<f64> = rows.iter().filter(|r| r.nodes > 1).map(|r| r.decision_ns / r.nodes as f64).collect();
    if let (Some(low), Some(high)) = (min(&per_node), max(&per_node)) {
        println!(
            "- Placement cost per node (rows with more than 1 node): {low:.1}–{high:.1} ns; constant per node \
             means linear growth in nodes."
        );
    }
    for (what, per_session) in [
        ("over HTTP", rows.iter().filter_map(per_session_us).collect::<Vec<f64>>()),
        ("in process", rows.iter().filter_map(local_per_session_us).collect()),
    ] {
        if let (Some(low), Some(high)) = (min(&per_session), max(&per_session)) {
            println!(
                "- GET cost per embedded session {what} (rows with sessions): {low:.2}–{high:.2} µs ({:.2}× \
                 spread); constant per session means linear growth in sessions.",
                high / low
            );
        }
    }
    // Growth in sessions at a fixed node count: the smallest and the largest session count above 0.
    let mut node_counts: Vec<usize> = rows.iter().map(|r| r.nodes).collect();
    node_counts.dedup();
    for nodes in node_counts {
        let with: Vec<&Row> = rows.iter().filter(|r| r.nodes == nodes && r.sessions > 0).collect();
        if let [low, .., high] = with[..] {
            let above = |r: &Row| cost_us(r) - r.gets.status.median_us;
            let local = |r: &Row| r.local.embedded_us - r.local.status_us;
            println!(
                "- {nodes} node(s): {:.1}× the sessions ({} → {}) cost {:.2}× as much over HTTP, {:.2}× in process \
                 (above /status).",
                high.sessions as f64 / low.sessions as f64,
                low.sessions,
                high.sessions,
                above(high) / above(low),
                local(high) / local(low)
            );
        }
    }
    met
}

/// What the round's second `/status` took beyond the first: work the listing left behind.
fn leftover_us(row: &Row) -> f64 {
    (row.gets.after.median_us - row.gets.status.median_us).max(0.0)
}

/// The listing's latency plus its leftover.
fn cost_us(row: &Row) -> f64 {
    row.gets.embedded.median_us + leftover_us(row)
}

fn per_session_us(row: &Row) -> Option<f64> {
    (row.sessions > 0).then(|| (cost_us(row) - row.gets.status.median_us) / row.sessions as f64)
}

fn local_per_session_us(row: &Row) -> Option<f64> {
    (row.sessions > 0).then(|| (row.local.embedded_us - row.local.status_us) / row.sessions as f64)
}

fn min(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::min)
}

fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}
