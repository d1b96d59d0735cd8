//! `plenum-udp-relay`: the raw UDP relay (`relay`) and its load generator
//! (`load`), the physical-limit baseline of the SFU benchmark. See the library
//! documentation (src/lib.rs) for what each does and how to run them.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use plenum_loadtest::Clip;
use plenum_udp_relay::{LoadConfig, Relay, RelayConfig, relay, signal};

#[derive(Debug, Parser)]
#[command(version, about = "Raw UDP relay (recvmmsg/sendmmsg, no SRTP, no RTCP) and its load generator")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Forward every datagram of the publisher to every receiver, on one thread.
    ///
    /// Receivers join by sending `JOIN` (answered `JOINED`) and leave with `LEAVE`;
    /// the publisher is the address that sent `PUBLISH` (or, before any did, the
    /// first non-receiver to send anything else). Prints `listening on ADDRESS`
    /// once bound; on SIGTERM or SIGINT prints its counters to stderr and exits 0.
    Relay {
        /// UDP address to bind (port 0: any free port, printed).
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: SocketAddr,
        /// Datagrams read per recvmmsg call.
        #[arg(long, default_value_t = 64)]
        batch: usize,
        /// Most receivers kept; further JOINs are not answered.
        #[arg(long, default_value_t = 100_000)]
        max_receivers: usize,
    },
    /// One publisher and N receivers through a relay; reports like plenum-loadtest.
    ///
    /// Prints a one-line summary (and with --json one JSON object on stdout, the
    /// keys of `plenum-loadtest --json` plus forwarded_pps, published_pps,
    /// node_rss_kib, node_rss_peak_kib, node_cpu_seconds_per_packet,
    /// window_udp_rcvbuf_errors). Exits 1 when no media reached any receiver, 2
    /// when the run could not start.
    Load {
        /// The relay's address.
        #[arg(long, default_value = "127.0.0.1:9000")]
        relay: SocketAddr,
        /// Receivers (subscribers), each with its own UDP socket.
        #[arg(long, default_value_t = 10)]
        subscribers: usize,
        /// Length of the measured window, in seconds.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds between the start of the media and the measured window.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Pid of the relay, for its CPU time per forwarded packet and its RSS (from /proc).
        #[arg(long)]
        node_pid: Option<u32>,
        /// Local address of the load generator's sockets.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Seconds the receivers' joins and the publisher's PUBLISH may take.
        #[arg(long, default_value_t = 30.0)]
        connect_timeout: f64,
        /// Also print the report as one JSON object on stdout (the summary then goes to stderr).
        #[arg(long)]
        json: bool,
    },
}

fn seconds(value: f64, name: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|_| format!("--{name} must be a non-negative number of seconds"))
}

fn main() -> ExitCode {
    let result = match Args::parse().command {
        Command::Relay { listen, batch, max_receivers } => run_relay(listen, RelayConfig { batch, max_receivers }),
        Command::Load { relay, subscribers, duration, warmup, node_pid, bind, connect_timeout, json } => (|| {
            let config = LoadConfig {
                relay,
                subscribers,
                duration: seconds(duration, "duration")?,
                warmup: seconds(warmup, "warmup")?,
                node_pid,
                bind,
                connect_timeout: seconds(connect_timeout, "connect-timeout")?,
                clip: Arc::new(Clip::builtin()),
            };
            run_load(&config, json)
        })(),
    };
    result.unwrap_or_else(|message| {
        eprintln!("plenum-udp-relay: {message}");
        ExitCode::from(2)
    })
}

fn run_relay(listen: SocketAddr, config: RelayConfig) -> Result<ExitCode, String> {
    signal::install().map_err(|e| format!("cannot install the signal handlers: {e}"))?;
    let socket = relay::bind(listen).map_err(|e| format!("cannot bind {listen}: {e}"))?;
    let mut relay = Relay::new(socket, &config);
    let address = relay.local_addr().map_err(|e| e.to_string())?;
    // Scripts (and the integration test) wait for this line before starting the load.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {address}").and_then(|()| stdout.flush());
    relay.run(signal::stop_requested).map_err(|e| format!("relay: {e}"))?;
    eprintln!("plenum-udp-relay: stopped with {} receivers; {:?}", relay.receivers(), relay.counters());
    Ok(ExitCode::SUCCESS)
}

fn run_load(config: &LoadConfig, json: bool) -> Result<ExitCode, String> {
    let report = plenum_udp_relay::run(config).map_err(|e| e.to_string())?;
    if json {
        eprintln!("{}", report.summary());
        println!("{}", report.to_json());
    } else {
        println!("{}", report.summary());
    }
    Ok(if report.report.media_flowed() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
