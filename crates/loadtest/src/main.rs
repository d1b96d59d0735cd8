//! `plenum-loadtest`: publishes a looped VP8 + Opus clip to a media server and
//! subscribes to it many times (a fan-out, or a mesh of rooms whose participants
//! all receive each other), then reports what the subscribers received.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use plenum_loadtest::{
    Clip, JanusDriver, KurentoDriver, LoadConfig, MediaServerDriver, Mesh, OpenViduDriver, Report, Shape,
};

/// Load generator for Plenum media nodes (and any Kurento-protocol media server),
/// and for Janus's VideoRoom as a baseline (--janus).
///
/// By default (fan-out) creates one room (media pipeline, or Janus video room) per
/// publisher, each received by --subscribers subscribers. With --mesh ROOMSxSIZE
/// it creates ROOMS rooms of SIZE participants instead: each participant publishes,
/// and receives each of the SIZE-1 others through a subscription of its own (one
/// peer connection each, as OpenVidu's clients do).
/// Each publisher is a str0m WebRTC client that sends a looped VP8 + Opus clip in
/// real time; each subscriber is a str0m client that receives one publisher's
/// stream and counts RTP packets (loss from sequence gaps, frames its publisher
/// sent but it never received whole, RFC 3550 jitter, time to the first keyframe).
/// After every subscriber has connected and a warm-up, a window of --duration
/// seconds is measured. All traffic goes to the server's addresses; bind to a
/// loopback address for local runs.
///
/// Prints a summary (and with --json one JSON object on stdout). Exits 1 when no
/// media reached any subscriber, 2 when the run could not start.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Kurento-protocol websocket URL of the media server.
    #[arg(long, default_value = "ws://127.0.0.1:8888/kurento")]
    kurento: String,
    /// Drive Janus instead: WebSocket URL of its Janus API (e.g. ws://10.77.0.2:8188/), VideoRoom plugin.
    ///
    /// Janus ignores loopback interfaces for ICE, so it runs in a network namespace
    /// (bench/janus/) and --bind must be the host side of its veth pair (10.77.0.1).
    #[arg(long, value_name = "URL", conflicts_with = "kurento")]
    janus: Option<String>,
    /// Join an OpenVidu session of a master instead, as openvidu-browser participants: FILE holds one
    /// token per line (made with the REST API, all of one session), one for each publisher, then one for
    /// each subscriber.
    ///
    /// Every publisher then publishes into that one session (its "rooms" are the session), and each
    /// peer connection is a participant with its own signaling websocket. With --subscribers 0 the
    /// run succeeds when the publishers connected.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["kurento", "janus", "mesh"])]
    openvidu_tokens: Option<PathBuf>,
    /// Kurento protocol: every publisher in one media pipeline instead of one each (as the publishers of one
    /// OpenVidu session), so that another client can mix or record them there.
    #[arg(long, conflicts_with_all = ["janus", "openvidu_tokens"])]
    shared_room: bool,
    /// Publishers, each in its own room (fan-out).
    #[arg(long, default_value_t = 1)]
    publishers: usize,
    /// Subscribers per publisher (fan-out).
    #[arg(long, default_value_t = 10)]
    subscribers: usize,
    /// Mesh instead of fan-out: ROOMSxSIZE, e.g. 10x6 for 10 rooms of 6 participants who all publish.
    ///
    /// Each participant also subscribes to the SIZE-1 others of its room, so 10x6 makes
    /// 60 publishers and 300 subscriptions. Cannot be combined with --publishers or --subscribers.
    #[arg(long, value_name = "ROOMSxSIZE", conflicts_with_all = ["publishers", "subscribers"])]
    mesh: Option<Mesh>,
    /// Length of the measured window, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Seconds between the last subscriber connecting and the measured window.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Pid of the media server process, to report its CPU time per forwarded packet (from /proc/PID/stat).
    #[arg(long)]
    node_pid: Option<u32>,
    /// Local address the clients' UDP sockets bind to (their ICE host candidate).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Media threads for the subscribers (each drives a share of them); the publishers have one more.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Subscribers negotiating at the same time.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds the publishers, then the subscribers, may take to connect.
    #[arg(long, default_value_t = 30.0)]
    connect_timeout: f64,
    /// Do not let subscribers send PLIs while waiting for their first keyframe.
    #[arg(long)]
    no_keyframe_requests: bool,
    /// VP8 IVF file to publish instead of the built-in clip (needs --audio too).
    #[arg(long, requires = "audio")]
    video: Option<PathBuf>,
    /// Ogg Opus file to publish instead of the built-in clip (needs --video too).
    #[arg(long, requires = "video")]
    audio: Option<PathBuf>,
    /// Also print the report as one JSON object on stdout (the summary then goes to stderr).
    #[arg(long)]
    json: bool,
}

async fn load<S: MediaServerDriver>(driver: Arc<S>, config: &LoadConfig) -> Result<Report, String> {
    plenum_loadtest::run(driver, config).await.map_err(|e| e.to_string())
}

fn seconds(value: f64, name: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|_| format!("--{name} must be a non-negative number of seconds"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(error) = plenum_log::init() {
        plenum_log::report(format_args!("plenum-loadtest: {error}"));
        return ExitCode::from(2);
    }
    match run(args).await {
        Ok(code) => code,
        Err(message) => {
            plenum_log::report(format_args!("plenum-loadtest: {message}"));
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let clip = match (&args.video, &args.audio) {
        (Some(video), Some(audio)) => Clip::load(video, audio).map_err(|e| e.to_string())?,
        _ => Clip::builtin(),
    };
    let shape = match args.mesh {
        Some(mesh) => Shape::Mesh(mesh),
        None => Shape::FanOut { publishers: args.publishers, subscribers: args.subscribers },
    };
    let config = LoadConfig {
        shape,
        duration: seconds(args.duration, "duration")?,
        warmup: seconds(args.warmup, "warmup")?,
        bind: args.bind,
        node_pid: args.node_pid,
        threads: args.threads.max(1),
        concurrency: args.concurrency.max(1),
        connect_timeout: seconds(args.connect_timeout, "connect-timeout")?,
        auto_keyframe: !args.no_keyframe_requests,
        clip: Arc::new(clip),
    };
    let report = match &args.janus {
        Some(url) => {
            if args.bind.is_loopback() {
                tracing::warn!(bind = %args.bind, "Janus cannot use loopback for ICE; --bind the host side of its veth");
            }
            let driver = Arc::new(JanusDriver::connect(url).await.map_err(|e| e.to_string())?);
            let report = load(driver.clone(), &config).await;
            driver.close().await;
            report?
        }
        None if args.openvidu_tokens.is_some() => {
            let file = args.openvidu_tokens.as_ref().expect("checked");
            let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let tokens: Vec<String> = text.lines().map(str::to_string).collect();
            let driver = OpenViduDriver::new(&tokens).map_err(|e| format!("{}: {e}", file.display()))?;
            load(Arc::new(driver), &config).await?
        }
        None => {
            let mut driver = KurentoDriver::connect(&args.kurento).await.map_err(|e| e.to_string())?;
            if args.shared_room {
                driver = driver.share_room();
            }
            load(Arc::new(driver), &config).await?
        }
    };
    let summary = format!("{}\n{}", config.shape, report.summary());
    if args.json {
        plenum_log::report(format_args!("{summary}"));
        let mut json = report.to_json();
        json["shape"] = config.shape.to_json();
        plenum_log::print(format_args!("{json}"));
    } else {
        plenum_log::print(format_args!("{summary}"));
    }
    let publishers_only = config.shape.plan().subscriptions.is_empty() && report.publishers_connected > 0;
    if report.media_flowed() || publishers_only {
        Ok(ExitCode::SUCCESS)
    } else {
        plenum_log::report(format_args!("plenum-loadtest: no media reached any subscriber"));
        Ok(ExitCode::FAILURE)
    }
}
