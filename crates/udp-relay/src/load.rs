//! One load run against the relay: N receivers join, a publisher sends the clip,
//! and after a warm-up a window is measured exactly as plenum-loadtest measures
//! an SFU (two samples of every counter and of the relay's CPU time, then
//! [`plenum_loadtest::Report::compute`]).

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use plenum_loadtest::Clip;
use plenum_loadtest::cpu;
use plenum_loadtest::metrics::Sample;
use plenum_loadtest::stats::PeerStats;

use crate::control::Control;
use crate::receiver::{Event, ReceiverPool};
use crate::report::RelayReport;
use crate::sender::Sender;

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub relay: SocketAddr,
    pub subscribers: usize,
    pub duration: Duration,
    pub warmup: Duration,
    /// The relay's pid, for its CPU time and memory.
    pub node_pid: Option<u32>,
    /// Local address of every socket of the load generator.
    pub bind: IpAddr,
    /// How long the receivers' joins and the publisher's `PUBLISH` may take.
    pub connect_timeout: Duration,
    pub clip: Arc<Clip>,
}

#[derive(Debug)]
pub enum LoadError {
    Io(&'static str, io::Error),
    /// The relay answered no `JOIN` (or no `PUBLISH`) in time.
    NoAnswer(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(what, error) => write!(f, "{what}: {error}"),
            LoadError::NoAnswer(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for LoadError {}

fn io_error(what: &'static str) -> impl FnOnce(io::Error) -> LoadError {
    move |error| LoadError::Io(what, error)
}

/// How long the publisher waits for `PUBLISHING` before asking again.
const PUBLISH_RETRY: Duration = Duration::from_millis(250);

pub fn run(config: &LoadConfig) -> Result<RelayReport, LoadError> {
    // The receivers, the publisher, stdio and a margin.
    let wanted = u64::try_from(config.subscribers).unwrap_or(u64::MAX).saturating_add(64);
    if let Err(error) = crate::limits::raise_open_files(wanted) {
        eprintln!("plenum-udp-relay: cannot raise the open-file limit: {error}");
    }
    let sockets = (0..config.subscribers)
        .map(|_| UdpSocket::bind((config.bind, 0)))
        .collect::<io::Result<Vec<_>>>()
        .map_err(io_error("cannot bind a receiver socket"))?;
    let (receivers, events) =
        ReceiverPool::spawn(sockets, config.relay).map_err(io_error("cannot start the receivers"))?;
    let joined = config.subscribers == 0 || events.recv_timeout(config.connect_timeout) == Ok(Event::AllJoined);
    if !joined {
        let connected = receivers.snapshot().map_err(io_error("receivers"))?;
        let count = connected.iter().filter(|s| s.connected_at.is_some()).count();
        if count == 0 {
            return Err(LoadError::NoAnswer(format!("the relay at {} answered no JOIN", config.relay)));
        }
        eprintln!("plenum-udp-relay: only {count} of {} receivers joined; measuring them", config.subscribers);
    }

    let publisher = publish(config)?;
    let published_at = Instant::now();
    let sender = Sender::spawn(publisher, config.clip.clone()).map_err(io_error("cannot start the sender"))?;
    let counters = sender.counters.clone();
    std::thread::sleep(config.warmup);

    let sample = |receivers: &ReceiverPool| -> Result<(Sample, u64), LoadError> {
        let at = Instant::now();
        let node_cpu = config.node_pid.and_then(cpu::process_cpu_seconds);
        let own_cpu = cpu::own_cpu_seconds();
        let publisher = PeerStats {
            connected_at: Some(published_at),
            audio_packets_sent: counters.audio_packets.load(Ordering::Relaxed),
            video_frames_sent: counters.video_frames.load(Ordering::Relaxed),
            write_errors: counters.send_errors.load(Ordering::Relaxed),
            ..PeerStats::default()
        };
        let packets = counters.packets.load(Ordering::Relaxed);
        let subscribers = receivers.snapshot().map_err(io_error("receivers"))?;
        let publisher_of = vec![0; subscribers.len()];
        Ok((Sample { at, publishers: vec![publisher], subscribers, publisher_of, node_cpu, own_cpu }, packets))
    };
    let drops_before = crate::procfs::udp_rcvbuf_errors();
    let (start, packets_before) = sender.between_frames(|| sample(&receivers))?;
    std::thread::sleep(config.duration);
    let (end, packets_after) = sender.between_frames(|| sample(&receivers))?;
    let drops_after = crate::procfs::udp_rcvbuf_errors();
    let (rss, peak) = config.node_pid.map_or((None, None), crate::procfs::memory_kib);

    sender.stop();
    receivers.stop().map_err(io_error("receivers"))?;

    let mut report = RelayReport::new(plenum_loadtest::Report::compute(&start, &end, config.subscribers));
    report.published_pps = packets_after.saturating_sub(packets_before) as f64 / report.report.window_secs.max(1e-9);
    report.node_rss_kib = rss;
    report.node_rss_peak_kib = peak;
    report.window_udp_rcvbuf_errors = drops_before.zip(drops_after).map(|(a, b)| b.saturating_sub(a));
    Ok(report)
}

/// A socket connected to the relay whose `PUBLISH` was answered.
fn publish(config: &LoadConfig) -> Result<UdpSocket, LoadError> {
    let socket = UdpSocket::bind((config.bind, 0)).map_err(io_error("cannot bind the publisher socket"))?;
    socket.connect(config.relay).map_err(io_error("cannot connect the publisher socket"))?;
    socket.set_read_timeout(Some(PUBLISH_RETRY)).map_err(io_error("publisher socket"))?;
    let deadline = Instant::now() + config.connect_timeout;
    let mut buffer = [0u8; 64];
    while Instant::now() < deadline {
        // Errors (the relay not there yet: ECONNREFUSED) only mean: ask again.
        let _ = socket.send(Control::Publish.bytes());
        let asked = Instant::now();
        while asked.elapsed() < PUBLISH_RETRY {
            match socket.recv(&mut buffer) {
                Ok(length) if Control::parse(&buffer[..length]) == Some(Control::Publishing) => {
                    socket.set_read_timeout(None).map_err(io_error("publisher socket"))?;
                    return Ok(socket);
                }
                Ok(_) => {}
                Err(error) if matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => break,
                Err(_) => {
                    // Refused at once (no relay there yet): wait out the retry interval.
                    std::thread::sleep(PUBLISH_RETRY.saturating_sub(asked.elapsed()));
                    break;
                }
            }
        }
    }
    Err(LoadError::NoAnswer(format!("the relay at {} did not answer PUBLISH", config.relay)))
}
