//! The publisher side of the load: a thread that sends the clip as RTP to the
//! relay in real time. Pacing is plenum-loadtest's own media clock
//! ([`plenum_loadtest::publisher::Publisher`]), so frames leave at the same
//! moments as from the str0m publisher the SFU benchmark uses.
//!
//! Samples are taken while the sender waits just before a frame
//! ([`Sender::between_frames`]): a sample taken as a frame leaves would count it
//! as sent but not yet received, or the other way round (the window's ends fall
//! exactly on frame times), which showed as ±1 frame per receiver.

use std::io;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use plenum_loadtest::Clip;
use plenum_loadtest::publisher::Publisher;
use str0m::media::{MediaKind, Mid};

use crate::packetize::Packetizer;

/// The longest the thread sleeps before looking at its stop flag.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// What the sender has sent, readable from any thread.
#[derive(Debug, Default)]
pub struct SenderCounters {
    pub audio_packets: AtomicU64,
    pub video_frames: AtomicU64,
    /// RTP packets, audio and video.
    pub packets: AtomicU64,
    /// Packets the socket would not take.
    pub send_errors: AtomicU64,
}

/// Wait before the next frame: say so on `paused`, go on when `resume` is sent to or dropped.
struct Pause {
    paused: mpsc::Sender<()>,
    resume: mpsc::Receiver<()>,
}

pub struct Sender {
    pub counters: Arc<SenderCounters>,
    stop: Arc<AtomicBool>,
    pauses: mpsc::Sender<Pause>,
    thread: Option<JoinHandle<()>>,
}

impl Sender {
    /// Starts sending on `socket` (connected to the relay) at once.
    pub fn spawn(socket: UdpSocket, clip: Arc<Clip>) -> io::Result<Self> {
        let counters = Arc::new(SenderCounters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (pauses, pause_rx) = mpsc::channel();
        let thread = std::thread::Builder::new().name("udp-relay-sender".into()).spawn({
            let (counters, stop) = (counters.clone(), stop.clone());
            move || send_loop(&socket, clip, &counters, &stop, &pause_rx)
        })?;
        Ok(Self { counters, stop, pauses, thread: Some(thread) })
    }

    /// Runs `f` while the sender waits just before its next frame (at most one
    /// frame interval from now); runs it at once if the thread is gone.
    pub fn between_frames<T>(&self, f: impl FnOnce() -> T) -> T {
        let (paused, paused_rx) = mpsc::channel();
        let (resume, resume_rx) = mpsc::channel();
        if self.pauses.send(Pause { paused, resume: resume_rx }).is_ok() {
            // An error means the thread ended (and dropped the request).
            let _ = paused_rx.recv();
        }
        let value = f();
        drop(resume);
        value
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.halt();
    }
}

fn send_loop(
    socket: &UdpSocket,
    clip: Arc<Clip>,
    counters: &SenderCounters,
    stop: &AtomicBool,
    pauses: &mpsc::Receiver<Pause>,
) {
    let mut clock = Publisher::new(clip, Mid::from("a"), Mid::from("v"));
    clock.start(Instant::now());
    let mut packetizer = Packetizer::default();
    let mut packets = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        let next = clock.next_due().unwrap_or(now);
        if next > now {
            std::thread::sleep(next.saturating_duration_since(now).min(STOP_CHECK));
            continue;
        }
        // Something is due and nothing of it has left yet: the moment for a pause.
        while let Ok(pause) = pauses.try_recv() {
            let _ = pause.paused.send(());
            let _ = pause.resume.recv();
        }
        while let Some(due) = clock.take_due(Instant::now()) {
            // RTP timestamps are the low 32 bits of the clock's ever-growing media time.
            let timestamp = due.time.numer() as u32;
            match due.kind {
                MediaKind::Audio => {
                    packetizer.audio(timestamp, &due.data, &mut packets);
                    counters.audio_packets.fetch_add(1, Ordering::Relaxed);
                }
                MediaKind::Video => {
                    packetizer.video(timestamp, &due.data, &mut packets);
                    counters.video_frames.fetch_add(1, Ordering::Relaxed);
                }
            }
            for packet in &packets {
                match socket.send(packet) {
                    Ok(_) => counters.packets.fetch_add(1, Ordering::Relaxed),
                    Err(_) => counters.send_errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_the_clip_in_real_time_until_stopped() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(receiver.local_addr().unwrap()).unwrap();
        let started = Instant::now();
        let sender = Sender::spawn(socket, Arc::new(Clip::builtin())).unwrap();
        // Wait until 20 audio packets (400 ms of audio) have arrived.
        let mut buffer = [0u8; 2048];
        let mut audio = 0;
        while audio < 20 {
            let length = receiver.recv(&mut buffer).unwrap();
            let (header, _) = crate::rtp::Header::parse(&buffer[..length]).unwrap();
            audio += usize::from(header.ssrc == crate::packetize::AUDIO_SSRC);
        }
        let elapsed = started.elapsed();
        let counters = sender.counters.clone();
        sender.stop();
        assert!(elapsed >= Duration::from_millis(370), "paced: 20 packets took {elapsed:?}");
        assert!(counters.video_frames.load(Ordering::Relaxed) >= 11);
        assert_eq!(counters.send_errors.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn samples_wait_for_the_gap_before_a_frame() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect(receiver.local_addr().unwrap()).unwrap();
        let sender = Sender::spawn(socket, Arc::new(Clip::builtin())).unwrap();
        let counters = sender.counters.clone();
        let count = || counters.audio_packets.load(Ordering::Relaxed) + counters.video_frames.load(Ordering::Relaxed);
        for _ in 0..5 {
            // Nothing leaves while the sender is paused, however long the pause.
            let (before, after) = sender.between_frames(|| {
                let before = count();
                std::thread::sleep(Duration::from_millis(60));
                (before, count())
            });
            assert_eq!(before, after);
        }
        sender.stop();
        assert_eq!(sender_gone_runs_at_once(), 7);
    }

    fn sender_gone_runs_at_once() -> u32 {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.connect("127.0.0.1:9").unwrap();
        let mut sender = Sender::spawn(socket, Arc::new(Clip::builtin())).unwrap();
        sender.halt();
        sender.between_frames(|| 7)
    }
}
