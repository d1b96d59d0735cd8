//! Media threads. Each engine thread owns a set of [`Peer`]s (their `Rtc`s and
//! UDP sockets), waits on the sockets with mio, keeps one timer per peer in a
//! heap, and takes commands (new peer, trickled candidate, keyframe request,
//! close) over a channel with a mio waker. The async side only ever holds a
//! [`PeerHandle`]: a key and the peer's shared counters.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};
use str0m::Candidate;

use crate::peer::{Peer, RECEIVE_BUFFER};
use crate::stats::{PeerStats, SharedStats};

const WAKER: Token = Token(0);
/// The shortest wait after a timer that asked to be called again at once.
const MIN_TIMER_STEP: Duration = Duration::from_micros(500);

enum Command {
    Add(usize, Box<Peer>),
    Candidate(usize, Candidate),
    Keyframe(usize),
    Close(usize),
    Stop,
}

/// A way to hand peers to one engine thread and to reach them afterwards.
#[derive(Clone)]
pub struct EngineHandle {
    sender: Sender<Command>,
    waker: Arc<Waker>,
    next_key: Arc<AtomicUsize>,
}

impl EngineHandle {
    fn send(&self, command: Command) {
        if self.sender.send(command).is_ok() {
            let _ = self.waker.wake();
        }
    }

    /// Moves a peer to the engine thread, which starts driving it at once.
    pub fn add(&self, peer: Peer, stats: SharedStats) -> PeerHandle {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.send(Command::Add(key, Box::new(peer)));
        PeerHandle { engine: self.clone(), key, stats }
    }
}

/// The async side's view of a peer living on an engine thread.
#[derive(Clone)]
pub struct PeerHandle {
    engine: EngineHandle,
    key: usize,
    stats: SharedStats,
}

impl PeerHandle {
    pub fn stats(&self) -> PeerStats {
        self.stats.snapshot()
    }

    pub fn shared_stats(&self) -> &SharedStats {
        &self.stats
    }

    pub fn add_remote_candidate(&self, candidate: Candidate) {
        self.engine.send(Command::Candidate(self.key, candidate));
    }

    /// Makes a subscriber send a PLI to the server.
    pub fn request_keyframe(&self) {
        self.engine.send(Command::Keyframe(self.key));
    }

    /// Stops the peer and closes its socket.
    pub fn close(&self) {
        self.engine.send(Command::Close(self.key));
    }
}

/// One engine thread; stops (closing its peers) when dropped.
pub struct Engine {
    handle: Option<EngineHandle>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    pub fn start(name: &str) -> std::io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (sender, receiver) = std::sync::mpsc::channel();
        // The thread keeps the waker alive: closing its eventfd would drop a wake-up not yet collected.
        let kept = waker.clone();
        let thread = std::thread::Builder::new().name(name.to_string()).spawn(move || {
            let _waker = kept;
            Loop::new(poll).run(receiver)
        })?;
        let handle = EngineHandle { sender, waker, next_key: Arc::new(AtomicUsize::new(0)) };
        Ok(Self { handle: Some(handle), thread: Some(thread) })
    }

    pub fn handle(&self) -> EngineHandle {
        self.handle.clone().expect("running engine")
    }
}

impl Drop for Engine {
    /// Stops the thread (its peers are closed) and waits for it.
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.send(Command::Stop);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Several engine threads; peers are spread over them in turn.
pub struct EnginePool {
    engines: Vec<Engine>,
    next: AtomicUsize,
}

impl EnginePool {
    pub fn start(threads: usize) -> std::io::Result<Self> {
        let engines =
            (0..threads.max(1)).map(|i| Engine::start(&format!("loadtest-media-{i}"))).collect::<Result<_, _>>()?;
        Ok(Self { engines, next: AtomicUsize::new(0) })
    }

    pub fn pick(&self) -> EngineHandle {
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.engines.len();
        self.engines[index].handle()
    }
}

struct Loop {
    poll: Poll,
    peers: Vec<Option<Box<Peer>>>,
    /// The time of each peer's live heap entry, if it has one.
    scheduled: Vec<Option<Instant>>,
    timers: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl Loop {
    fn new(poll: Poll) -> Self {
        Self { poll, peers: Vec::new(), scheduled: Vec::new(), timers: BinaryHeap::new() }
    }

    fn run(mut self, commands: Receiver<Command>) {
        let mut events = Events::with_capacity(1024);
        let mut buffer = vec![0u8; RECEIVE_BUFFER];
        loop {
            let timeout = self.timers.peek().map(|Reverse((at, _))| at.saturating_duration_since(Instant::now()));
            if let Err(error) = self.poll.poll(&mut events, timeout)
                && error.kind() != std::io::ErrorKind::Interrupted
            {
                tracing::error!(%error, "engine cannot poll; stopping");
                return;
            }
            for event in events.iter() {
                if event.token() != WAKER {
                    let key = event.token().0 - 1;
                    self.with_peer(key, |peer| peer.receive_all(&mut buffer));
                }
            }
            if !self.take_commands(&commands) {
                return;
            }
            self.run_timers();
        }
    }

    /// Handles queued commands; false once every handle is gone.
    fn take_commands(&mut self, commands: &Receiver<Command>) -> bool {
        loop {
            match commands.try_recv() {
                Ok(Command::Add(key, mut peer)) => {
                    if let Err(error) =
                        self.poll.registry().register(peer.socket_mut(), Token(key + 1), Interest::READABLE)
                    {
                        peer.fail(format!("cannot watch the socket: {error}"));
                        continue;
                    }
                    if self.peers.len() <= key {
                        self.peers.resize_with(key + 1, || None);
                        self.scheduled.resize(key + 1, None);
                    }
                    self.peers[key] = Some(peer);
                    self.with_peer(key, |peer| peer.on_timeout(Instant::now()));
                }
                Ok(Command::Candidate(key, candidate)) => {
                    self.with_peer(key, |peer| peer.add_remote_candidate(candidate))
                }
                Ok(Command::Keyframe(key)) => self.with_peer(key, Peer::request_keyframe),
                Ok(Command::Close(key)) => {
                    if let Some(mut peer) = self.peers.get_mut(key).and_then(Option::take) {
                        peer.close();
                        let _ = self.poll.registry().deregister(peer.socket_mut());
                    }
                }
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                    for peer in self.peers.iter_mut().flatten() {
                        peer.close();
                    }
                    return false;
                }
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    fn run_timers(&mut self) {
        let now = Instant::now();
        while let Some(&Reverse((at, key))) = self.timers.peek() {
            if at > now {
                return;
            }
            self.timers.pop();
            if self.scheduled.get(key).copied().flatten() != Some(at) {
                continue; // superseded by an earlier entry
            }
            self.scheduled[key] = None;
            self.with_peer(key, |peer| {
                if peer.next_wake() <= now {
                    peer.on_timeout(now);
                }
            });
        }
    }

    /// Runs `action` on a live peer (a panic in str0m takes only that peer down), then re-arms its timer.
    fn with_peer(&mut self, key: usize, action: impl FnOnce(&mut Peer)) {
        let Some(Some(peer)) = self.peers.get_mut(key) else { return };
        if catch_unwind(AssertUnwindSafe(|| action(peer))).is_err() {
            peer.fail("the WebRTC stack panicked".to_string());
        }
        if peer.is_closed() {
            return;
        }
        let now = Instant::now();
        let mut wake = peer.next_wake();
        if wake <= now {
            wake = now + MIN_TIMER_STEP;
        }
        let scheduled = &mut self.scheduled[key];
        if scheduled.is_none_or(|at| wake < at) {
            *scheduled = Some(wake);
            self.timers.push(Reverse((wake, key)));
        }
    }
}
