//! One client peer connection: a str0m `Rtc` (full ICE, controlling), its own
//! UDP socket, and what it does with media (publish the clip, or count what
//! arrives). Sans-IO glue only; the engine decides when to call in.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Instant;

use str0m::media::{KeyframeRequestKind, MediaKind};
use str0m::net::{Protocol, Receive};
use str0m::rtp::Ssrc;
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

use crate::publisher::{Due, Publisher};
use crate::stats::SharedStats;
use crate::subscriber::Subscriber;

/// Large enough for any datagram str0m or the server sends.
pub const RECEIVE_BUFFER: usize = 2048;

#[derive(Debug)]
pub enum Role {
    Publisher(Publisher),
    Subscriber(Subscriber),
}

pub struct Peer {
    rtc: Rtc,
    socket: mio::net::UdpSocket,
    local: SocketAddr,
    role: Role,
    stats: SharedStats,
    rtc_deadline: Instant,
    /// Which incoming SSRC carries which media (learnt from str0m's receive streams).
    ssrc_kinds: Vec<(Ssrc, Option<MediaKind>)>,
    closed: bool,
}

impl Peer {
    /// `socket` must be the one whose address is the `Rtc`'s local candidate.
    pub fn new(rtc: Rtc, socket: std::net::UdpSocket, role: Role, stats: SharedStats) -> std::io::Result<Self> {
        socket.set_nonblocking(true)?;
        let local = socket.local_addr()?;
        Ok(Self {
            rtc,
            socket: mio::net::UdpSocket::from_std(socket),
            local,
            role,
            stats,
            rtc_deadline: Instant::now(),
            ssrc_kinds: Vec::new(),
            closed: false,
        })
    }

    pub fn socket_mut(&mut self) -> &mut mio::net::UdpSocket {
        &mut self.socket
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// When the engine must call [`Peer::on_timeout`] next.
    pub fn next_wake(&self) -> Instant {
        match &self.role {
            Role::Publisher(publisher) => publisher.next_due().map_or(self.rtc_deadline, |d| d.min(self.rtc_deadline)),
            Role::Subscriber(_) => self.rtc_deadline,
        }
    }

    /// Reads every waiting datagram into the `Rtc`.
    pub fn receive_all(&mut self, buffer: &mut [u8]) {
        loop {
            let (length, source) = match self.socket.recv_from(buffer) {
                Ok(received) => received,
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                // ICMP errors of earlier sends (port unreachable) surface here.
                Err(_) => continue,
            };
            if self.closed {
                continue;
            }
            let now = Instant::now();
            let Ok(receive) = Receive::new(Protocol::Udp, source, self.local, &buffer[..length]) else { continue };
            if self.rtc.handle_input(Input::Receive(now, receive)).is_ok() {
                self.drain(now);
            }
        }
    }

    /// Writes the media now due (publishers), then lets str0m run its timers.
    pub fn on_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        while let Some(due) = self.take_due(now) {
            self.write(due);
            self.drain(now);
        }
        if self.rtc_deadline <= now {
            if let Err(error) = self.rtc.handle_input(Input::Timeout(now)) {
                self.fail(format!("timeout handling failed: {error}"));
                return;
            }
            self.drain(now);
        }
    }

    fn take_due(&mut self, now: Instant) -> Option<Due> {
        match &mut self.role {
            Role::Publisher(publisher) => publisher.take_due(now),
            Role::Subscriber(_) => None,
        }
    }

    fn write(&mut self, due: Due) {
        let Some(writer) = self.rtc.writer(due.mid) else { return };
        let codec = match due.kind {
            MediaKind::Audio => str0m::format::Codec::Opus,
            MediaKind::Video => str0m::format::Codec::Vp8,
        };
        let Some(pt) = writer.payload_params().find(|p| p.spec().codec == codec).map(|p| p.pt()) else { return };
        let written = writer.write(pt, due.wallclock, due.time, due.data);
        let mut stats = self.stats.lock();
        match (written, due.kind) {
            (Ok(()), MediaKind::Audio) => stats.audio_packets_sent += 1,
            (Ok(()), MediaKind::Video) => {
                stats.video_frames_sent += 1;
                stats.keyframes_sent += u64::from(due.keyframe);
            }
            (Err(error), _) => {
                stats.write_errors += 1;
                if stats.write_errors == 1 {
                    tracing::warn!(local = %self.local, %error, "the publisher could not write a frame");
                }
            }
        }
    }

    /// A candidate the server trickled.
    pub fn add_remote_candidate(&mut self, candidate: Candidate) {
        if !self.closed {
            self.rtc.add_remote_candidate(candidate);
            self.drain(Instant::now());
        }
    }

    /// Sends a PLI for the incoming video (subscribers).
    pub fn request_keyframe(&mut self) {
        let Role::Subscriber(subscriber) = &self.role else { return };
        let mid = subscriber.video_mid();
        if self.closed {
            return;
        }
        if let Some(stream) = self.rtc.direct_api().stream_rx_by_mid(mid, None) {
            stream.request_keyframe(KeyframeRequestKind::Pli);
            self.stats.lock().keyframe_requests_sent += 1;
            tracing::debug!(local = %self.local, "keyframe requested");
        } else {
            tracing::debug!(local = %self.local, %mid, "no receive stream to request a keyframe on");
        }
        self.drain(Instant::now());
    }

    pub fn close(&mut self) {
        if !self.closed {
            self.rtc.disconnect();
            self.closed = true;
        }
    }

    /// Marks the peer as broken and stops driving it.
    pub fn fail(&mut self, why: String) {
        self.stats.lock().failed.get_or_insert(why);
        self.close();
    }

    /// Runs `poll_output` until str0m only has a timeout to report.
    fn drain(&mut self, now: Instant) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.rtc_deadline = at;
                    return;
                }
                Ok(Output::Transmit(transmit)) => {
                    if self.socket.send_to(&transmit.contents, transmit.destination).is_err() {
                        self.stats.lock().send_errors += 1;
                    }
                }
                Ok(Output::Event(event)) => self.on_event(event, now),
                Err(error) => return self.fail(format!("str0m failed: {error}")),
            }
        }
    }

    fn on_event(&mut self, event: Event, now: Instant) {
        match event {
            Event::Connected => {
                self.stats.lock().connected_at.get_or_insert(now);
                if let Role::Publisher(publisher) = &mut self.role {
                    publisher.start(now);
                }
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.stats.lock().disconnected = true;
            }
            Event::KeyframeRequest(request) => {
                tracing::debug!(local = %self.local, ?request, "keyframe request received");
                if let Role::Publisher(publisher) = &mut self.role
                    && publisher.keyframe_requested(request.mid)
                {
                    let mut stats = self.stats.lock();
                    stats.keyframe_requests_received += 1;
                    stats.last_keyframe_request_at = Some(now);
                }
            }
            Event::RtpPacket(packet) => {
                let kind = self.kind_of(packet.header.ssrc);
                let Role::Subscriber(subscriber) = &mut self.role else { return };
                let Some(kind) = kind else { return };
                let ask = {
                    let mut stats = self.stats.lock();
                    subscriber.on_packet(kind, &packet, &mut stats);
                    subscriber.should_request_keyframe(now, &stats)
                };
                if ask && let Some(stream) = self.rtc.direct_api().stream_rx_by_mid(subscriber.video_mid(), None) {
                    stream.request_keyframe(KeyframeRequestKind::Pli);
                    self.stats.lock().keyframe_requests_sent += 1;
                }
            }
            _ => {}
        }
    }

    fn kind_of(&mut self, ssrc: Ssrc) -> Option<MediaKind> {
        if let Some((_, kind)) = self.ssrc_kinds.iter().find(|(s, _)| *s == ssrc) {
            return *kind;
        }
        let Role::Subscriber(subscriber) = &self.role else { return None };
        let mid = self.rtc.direct_api().stream_rx(&ssrc).map(|stream| stream.mid())?;
        let kind = subscriber.kind_of(mid);
        self.ssrc_kinds.push((ssrc, kind));
        kind
    }
}
