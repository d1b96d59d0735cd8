//! `plenum-media-node`: a media node process, driven by a master over the
//! Kurento protocol at `ws://<listen>/kurento`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use plenum_media_node::media::{MediaConfig, PortRange};
use plenum_media_node::node::{self, NodeConfig};
use plenum_media_node::transport::ControlConfig;

/// mimalloc instead of glibc's allocator: str0m allocates and frees a buffer per
/// packet and per subscriber, and glibc's malloc/free were ~8 % of a busy worker.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Plenum media node: a WebRTC SFU controlled over the Kurento JSON-RPC protocol.
///
/// On start it prints one line, `plenum-media-node listening on ws://ADDR/kurento`,
/// to standard output. Logs go to standard error, filtered by PLENUM_LOG as the
/// master's are (RUST_LOG is read when PLENUM_LOG is not set).
///
/// PLENUM_NODE_SECRET=<secret> lets the master pull finished recordings from
/// `/plenum/files/…` on the control port, with `Authorization: Bearer <secret>`
/// (the master uses its OPENVIDU_SECRET). Without it no file is served.
///
/// `GET /metrics` on the control port gives Prometheus metrics (`plenum_node_*`); with
/// PLENUM_NODE_SECRET set it needs the same Bearer token, without it is open.
///
/// Test only: PLENUM_TEST_CPU_LOAD_FILE=<path> makes getUsedCpu report the number
/// in that file (re-read every second) instead of measuring the machine's CPU.
/// Cluster tests use it to load nodes on demand; never set it in production.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address of the control websocket (path /kurento). Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8888", env = "PLENUM_MEDIA_LISTEN")]
    listen: SocketAddr,
    /// IP address announced in ICE host candidates; the media sockets bind to it,
    /// so it must belong to this machine.
    #[arg(long, default_value = "127.0.0.1", env = "PLENUM_MEDIA_RTC_ADDRESS")]
    rtc_address: IpAddr,
    /// UDP ports for media, FIRST-LAST (for example 40000-40999). Each worker binds
    /// the next free one. Without it the system picks the ports.
    #[arg(long, env = "PLENUM_MEDIA_RTC_PORTS")]
    rtc_ports: Option<PortRange>,
    /// Media worker threads (each with its own UDP port). Default: one per core.
    #[arg(long, env = "PLENUM_MEDIA_WORKERS")]
    workers: Option<usize>,
    /// Seconds a Kurento session may stay without a websocket before its objects are released.
    #[arg(long, default_value_t = 240, env = "PLENUM_MEDIA_SESSION_GRACE")]
    session_grace: u64,
    /// Seconds between sweeps for such sessions.
    #[arg(long, default_value_t = 240, env = "PLENUM_MEDIA_GC_PERIOD")]
    gc_period: u64,
    /// Folder that recordings must be written in (RecorderEndpoint URIs outside it are
    /// refused). A remote node keeps its recordings here until the master pulls them.
    /// Default: `plenum-media-node/recordings` in the system's temporary folder.
    #[arg(long, env = "PLENUM_MEDIA_RECORDING_ROOT")]
    recording_root: Option<PathBuf>,
    /// Serve Prometheus metrics at `/metrics` on the control port (`false`: 404). The per-stream
    /// statistics they read stay on either way: `getStats` needs them.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, env = "PLENUM_NODE_METRICS")]
    metrics: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(error) = plenum_log::init() {
        plenum_log::report(format_args!("plenum-media-node: {error}"));
        return ExitCode::from(2);
    }
    let defaults = MediaConfig::default();
    let recording_root =
        args.recording_root.unwrap_or_else(|| std::env::temp_dir().join("plenum-media-node").join("recordings"));
    if let Err(error) = std::fs::create_dir_all(&recording_root) {
        plenum_log::report(format_args!(
            "plenum-media-node: cannot create the recording root {}: {error}",
            recording_root.display()
        ));
        return ExitCode::from(2);
    }
    let secret = std::env::var("PLENUM_NODE_SECRET").ok().filter(|s| !s.is_empty());
    let config = NodeConfig {
        control: ControlConfig {
            listen: args.listen,
            gc_period: Duration::from_secs(args.gc_period.max(1)),
            session_grace: Duration::from_secs(args.session_grace),
            recording_root: Some(recording_root.clone()),
            secret,
            metrics: args.metrics,
        },
        media: MediaConfig {
            rtc_address: args.rtc_address,
            rtc_ports: args.rtc_ports,
            workers: args.workers.unwrap_or(defaults.workers).max(1),
            recording_root: Some(recording_root),
            metrics: args.metrics,
        },
    };
    let running = match node::start(config).await {
        Ok(running) => running,
        Err(error) => {
            plenum_log::report(format_args!("plenum-media-node: cannot start: {error}"));
            return ExitCode::from(2);
        }
    };
    plenum_log::print(format_args!("plenum-media-node listening on {}", running.uri()));
    let media = running.media.clone();
    let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(signal) => signal,
        Err(error) => {
            plenum_log::report(format_args!("plenum-media-node: cannot watch SIGTERM: {error}"));
            return ExitCode::from(2);
        }
    };
    let code = tokio::select! {
        _ = running.wait() => ExitCode::FAILURE,
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
        _ = terminate.recv() => ExitCode::SUCCESS,
    };
    // A stop (SIGINT or SIGTERM) finishes the files being written before the process goes.
    tokio::task::spawn_blocking(move || media.finish_recordings()).await.ok();
    code
}
