//! The relay: one UDP socket, one thread. It reads datagrams in `recvmmsg`
//! batches, answers control words ([`crate::control`]), and sends each media
//! datagram from the publisher to every joined receiver with `sendmmsg`. No
//! SRTP, no RTCP, no per-receiver state beyond an address: the floor under
//! what any SFU can cost per forwarded packet.
//!
//! The publisher is the address that last sent `PUBLISH`; until one has, the
//! first address that sends anything other than a control word (and is not a
//! receiver) becomes it, so a plain RTP sender works too.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::Duration;

use crate::control::Control;
use crate::mmsg::{Fanout, RecvBatch};
use crate::receivers::{Joined, Receivers};

/// Socket buffers asked for, as the media node does (crates/media-node, media
/// worker): while the relay sends a packet to thousands of receivers it does not
/// read, and the publisher's next packets must wait in the receive buffer. The
/// kernel caps the request at `net.core.rmem_max`/`wmem_max`.
pub const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// How long a blocked receive waits before the loop looks at the stop flag
/// again (a signal normally interrupts it sooner).
const STOP_CHECK: Duration = Duration::from_millis(200);

#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Datagrams read per `recvmmsg` call.
    pub batch: usize,
    /// Most receivers the relay keeps.
    pub max_receivers: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self { batch: 64, max_receivers: 100_000 }
    }
}

/// What the relay has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayCounters {
    pub datagrams_in: u64,
    pub media_in: u64,
    pub forwarded: u64,
    pub send_errors: u64,
    pub sendmmsg_calls: u64,
    pub recvmmsg_calls: u64,
    /// Longer than a receive slot, dropped.
    pub truncated: u64,
    /// From neither the publisher nor a control request, or an unknown address family.
    pub ignored: u64,
    pub joins_refused: u64,
}

/// Binds the relay's socket with large buffers and a read timeout.
pub fn bind(listen: SocketAddr) -> io::Result<UdpSocket> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(listen), socket2::Type::DGRAM, None)?;
    for (what, result) in
        [("receive", socket.set_recv_buffer_size(SOCKET_BUFFER)), ("send", socket.set_send_buffer_size(SOCKET_BUFFER))]
    {
        if let Err(error) = result {
            eprintln!("plenum-udp-relay: cannot enlarge the {what} buffer: {error}");
        }
    }
    socket.set_read_timeout(Some(STOP_CHECK))?;
    socket.bind(&listen.into())?;
    Ok(socket.into())
}

pub struct Relay {
    socket: UdpSocket,
    receivers: Receivers,
    publisher: Option<SocketAddr>,
    batch: RecvBatch,
    fanout: Fanout,
    /// Indexes in `batch` of the media datagrams to forward.
    media: Vec<usize>,
    counters: RelayCounters,
}

impl Relay {
    /// A relay on `socket` (made by [`bind`], or any blocking UDP socket).
    pub fn new(socket: UdpSocket, config: &RelayConfig) -> Self {
        Self {
            socket,
            receivers: Receivers::new(config.max_receivers),
            publisher: None,
            batch: RecvBatch::new(config.batch),
            fanout: Fanout::default(),
            media: Vec::with_capacity(config.batch),
            counters: RelayCounters::default(),
        }
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub fn counters(&self) -> RelayCounters {
        self.counters
    }

    pub fn receivers(&self) -> usize {
        self.receivers.len()
    }

    /// Relays until `stop` says so (checked after every batch and at least every 200 ms).
    pub fn run(&mut self, stop: impl Fn() -> bool) -> io::Result<()> {
        while !stop() {
            self.step()?;
        }
        Ok(())
    }

    /// One `recvmmsg` (waiting for the first datagram at most 200 ms) and what follows from it.
    pub fn step(&mut self) -> io::Result<()> {
        self.counters.recvmmsg_calls += 1;
        match self.batch.receive(self.socket.as_fd(), libc::MSG_WAITFORONE) {
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(());
            }
            // ICMP errors of earlier sends may surface on the socket: not the relay's end.
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => return Ok(()),
            Err(error) => return Err(error),
        }
        self.media.clear();
        for index in 0..self.batch.len() {
            self.classify(index);
        }
        if self.media.is_empty() {
            return Ok(());
        }
        let packets: Vec<&[u8]> =
            self.media.iter().filter_map(|&i| self.batch.get(i)).map(|datagram| datagram.bytes).collect();
        let count = self.fanout.send(self.socket.as_fd(), &packets, self.receivers.destinations());
        self.counters.forwarded += count.sent;
        self.counters.send_errors += count.errors;
        self.counters.sendmmsg_calls += count.calls;
        Ok(())
    }

    /// Answers a control word, or queues a media datagram for the fan-out.
    fn classify(&mut self, index: usize) {
        let Some(datagram) = self.batch.get(index) else { return };
        self.counters.datagrams_in += 1;
        let Some(source) = datagram.source else {
            self.counters.ignored += 1;
            return;
        };
        if datagram.truncated {
            self.counters.truncated += 1;
            return;
        }
        if let Some(control) = Control::parse(datagram.bytes) {
            self.on_control(control, source);
            return;
        }
        let from_publisher = match self.publisher {
            Some(publisher) => publisher == source,
            None if !self.receivers.contains(&source) => {
                self.publisher = Some(source);
                true
            }
            None => false,
        };
        if from_publisher {
            self.counters.media_in += 1;
            self.media.push(index);
        } else {
            self.counters.ignored += 1;
        }
    }

    fn on_control(&mut self, control: Control, source: SocketAddr) {
        match control {
            Control::Join => {
                if self.receivers.join(source) == Joined::Full {
                    self.counters.joins_refused += 1;
                    return;
                }
            }
            Control::Leave => {
                self.receivers.leave(source);
            }
            Control::Publish => self.publisher = Some(source),
            Control::Joined | Control::Left | Control::Publishing => {
                self.counters.ignored += 1;
                return;
            }
        }
        if let Some(answer) = control.answer() {
            // A lost answer is sent again when the client asks again.
            let _ = self.socket.send_to(answer.bytes(), source);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn client() -> UdpSocket {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        socket
    }

    fn expect(socket: &UdpSocket, what: &[u8]) {
        let mut buffer = [0u8; 2048];
        let (length, _) = socket.recv_from(&mut buffer).unwrap();
        assert_eq!(&buffer[..length], what);
    }

    /// Runs relay steps until `done` holds (each step waits for datagrams, at most 200 ms).
    fn step_until(relay: &mut Relay, done: impl Fn(&Relay) -> bool) {
        for _ in 0..50 {
            if done(relay) {
                return;
            }
            relay.step().unwrap();
        }
        panic!("the relay never got there: {:?}", relay.counters());
    }

    #[test]
    fn joins_publishes_forwards_and_leaves() {
        let mut relay = Relay::new(bind("127.0.0.1:0".parse().unwrap()).unwrap(), &RelayConfig::default());
        let to = relay.local_addr().unwrap();
        let (a, b, publisher) = (client(), client(), client());
        a.send_to(b"JOIN", to).unwrap();
        b.send_to(b"JOIN", to).unwrap();
        b.send_to(b"JOIN", to).unwrap();
        step_until(&mut relay, |r| r.counters().datagrams_in == 3);
        assert_eq!(relay.receivers(), 2);
        expect(&a, b"JOINED");
        expect(&b, b"JOINED");
        expect(&b, b"JOINED");

        // Before any PUBLISH, the first non-receiver sending media is the publisher.
        publisher.send_to(b"\x80media-1", to).unwrap();
        step_until(&mut relay, |r| r.counters().forwarded == 2);
        expect(&a, b"\x80media-1");
        expect(&b, b"\x80media-1");

        // A receiver's own datagrams are not forwarded; another sender's neither.
        a.send_to(b"\x80noise", to).unwrap();
        client().send_to(b"\x80other", to).unwrap();
        step_until(&mut relay, |r| r.counters().ignored == 2);

        b.send_to(b"LEAVE", to).unwrap();
        step_until(&mut relay, |r| r.receivers() == 1);
        expect(&b, b"LEFT");
        publisher.send_to(b"PUBLISH", to).unwrap();
        publisher.send_to(b"\x80media-2", to).unwrap();
        step_until(&mut relay, |r| r.counters().forwarded == 3);
        expect(&publisher, b"PUBLISHING");
        expect(&a, b"\x80media-2");
        assert_eq!(relay.counters().media_in, 2);
    }

    #[test]
    fn stops_when_asked_even_without_traffic() {
        let mut relay = Relay::new(bind("127.0.0.1:0".parse().unwrap()).unwrap(), &RelayConfig::default());
        let calls = std::cell::Cell::new(0);
        relay
            .run(|| {
                calls.set(calls.get() + 1);
                calls.get() > 2
            })
            .unwrap();
        assert_eq!(relay.counters().recvmmsg_calls, 2);
    }
}
