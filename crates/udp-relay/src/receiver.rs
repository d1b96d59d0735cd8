//! The receivers of the load: N UDP sockets served by one thread with one
//! epoll loop (mio) and `recvmmsg`. The thread joins them to the relay (sending
//! `JOIN` again until each is answered), counts what arrives
//! ([`crate::reception`]), hands out copies of the counters when asked, and
//! leaves the relay when stopped. One thread suffices: the benchmark pins the
//! whole load generator to one core anyway.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use plenum_loadtest::stats::PeerStats;

use crate::control::Control;
use crate::mmsg::RecvBatch;
use crate::reception::Reception;

/// How often a `JOIN` without an answer is sent again.
const JOIN_RETRY: Duration = Duration::from_millis(250);
const WAKER: Token = Token(usize::MAX);
/// Datagrams read per `recvmmsg`: each socket gets ~150 packets/s, so a few is plenty.
const BATCH: usize = 8;

enum Command {
    Snapshot(mpsc::Sender<Vec<PeerStats>>),
    Stop,
}

/// News from the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Every receiver's `JOIN` was answered.
    AllJoined,
}

pub struct ReceiverPool {
    commands: mpsc::Sender<Command>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl ReceiverPool {
    /// Starts the thread, which joins `sockets` (non-blocking) to `relay` at once.
    pub fn spawn(sockets: Vec<UdpSocket>, relay: SocketAddr) -> io::Result<(Self, mpsc::Receiver<Event>)> {
        let poll = Poll::new()?;
        for (index, socket) in sockets.iter().enumerate() {
            socket.set_nonblocking(true)?;
            poll.registry().register(&mut SourceFd(&socket.as_raw_fd()), Token(index), Interest::READABLE)?;
        }
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let worker = Worker::new(sockets, relay, event_tx);
        let thread = std::thread::Builder::new()
            .name("udp-relay-receivers".into())
            .spawn(move || worker.run(poll, &command_rx))?;
        Ok((Self { commands, waker, thread: Some(thread) }, events))
    }

    /// A copy of every receiver's counters, in socket order.
    pub fn snapshot(&self) -> io::Result<Vec<PeerStats>> {
        let (reply, answer) = mpsc::channel();
        self.send(Command::Snapshot(reply))?;
        answer.recv().map_err(|_| io::Error::other("the receiver thread is gone"))
    }

    /// Leaves the relay, stops the thread and waits for it.
    pub fn stop(mut self) -> io::Result<()> {
        self.halt()
    }

    fn send(&self, command: Command) -> io::Result<()> {
        self.commands.send(command).map_err(|_| io::Error::other("the receiver thread is gone"))?;
        self.waker.wake()
    }

    fn halt(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else { return Ok(()) };
        // If the thread has ended already, joining it tells why.
        let _ = self.send(Command::Stop);
        thread.join().map_err(|_| io::Error::other("the receiver thread panicked"))?
    }
}

impl Drop for ReceiverPool {
    fn drop(&mut self) {
        let _ = self.halt();
    }
}

struct Worker {
    sockets: Vec<UdpSocket>,
    receptions: Vec<Reception>,
    relay: SocketAddr,
    events: mpsc::Sender<Event>,
    joined: usize,
    epoch: Instant,
}

impl Worker {
    fn new(sockets: Vec<UdpSocket>, relay: SocketAddr, events: mpsc::Sender<Event>) -> Self {
        let receptions = vec![Reception::default(); sockets.len()];
        Self { sockets, receptions, relay, events, joined: 0, epoch: Instant::now() }
    }

    fn run(mut self, mut poll: Poll, commands: &mpsc::Receiver<Command>) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut batch = RecvBatch::new(BATCH);
        let mut next_join = Instant::now();
        loop {
            let now = Instant::now();
            if self.joined < self.sockets.len() && now >= next_join {
                self.send_joins();
                next_join = now + JOIN_RETRY;
            }
            let timeout = (self.joined < self.sockets.len()).then(|| next_join.saturating_duration_since(now));
            match poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
            for event in &events {
                if event.token() == WAKER {
                    continue;
                }
                self.drain(event.token().0, &mut batch);
            }
            while let Ok(command) = commands.try_recv() {
                match command {
                    Command::Snapshot(reply) => {
                        let _ = reply.send(self.receptions.iter().map(|r| r.stats.clone()).collect());
                    }
                    Command::Stop => {
                        self.leave();
                        return Ok(());
                    }
                }
            }
        }
    }

    fn send_joins(&self) {
        for (socket, reception) in self.sockets.iter().zip(&self.receptions) {
            if reception.stats.connected_at.is_none() {
                // A lost JOIN is sent again at the next retry.
                let _ = socket.send_to(Control::Join.bytes(), self.relay);
            }
        }
    }

    fn leave(&self) {
        for socket in &self.sockets {
            let _ = socket.send_to(Control::Leave.bytes(), self.relay);
        }
    }

    /// Reads socket `index` until it is empty (mio's readiness is edge-triggered).
    fn drain(&mut self, index: usize, batch: &mut RecvBatch) {
        let (Some(socket), Some(reception)) = (self.sockets.get(index), self.receptions.get_mut(index)) else {
            return;
        };
        loop {
            let received = match batch.receive(socket.as_fd(), libc::MSG_DONTWAIT) {
                Ok(received) => received,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                // WouldBlock: drained. Anything else (an ICMP error of an earlier
                // send): nothing to count; the next datagram brings a new edge.
                Err(_) => return,
            };
            let arrival = Instant::now();
            let arrival_secs = arrival.saturating_duration_since(self.epoch).as_secs_f64();
            for i in 0..received {
                let Some(datagram) = batch.get(i) else { continue };
                if datagram.source != Some(self.relay) || datagram.truncated {
                    continue;
                }
                if Control::parse(datagram.bytes) == Some(Control::Joined) {
                    if reception.stats.connected_at.is_none() {
                        reception.stats.connected_at = Some(arrival);
                        self.joined += 1;
                        if self.joined == self.sockets.len() {
                            let _ = self.events.send(Event::AllJoined);
                        }
                    }
                    continue;
                }
                reception.on_datagram(datagram.bytes, arrival, arrival_secs);
            }
            // Fewer than a full batch: the queue was empty at that moment, and
            // anything arriving later raises a new readiness edge.
            if received < BATCH {
                return;
            }
        }
    }
}
