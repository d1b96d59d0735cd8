//! A media worker: one thread, one UDP socket, the endpoints of the pipelines
//! pinned to it. The control plane reaches it through a channel and a mio
//! waker; everything else is datagrams in, str0m, datagrams out. No locks on
//! the forwarding path: the worker owns every `Rtc` it drives.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::event::{Event, complex};
use mio::{Events, Interest, Poll, Token, Waker};
use serde_json::{Value, json};
use str0m::media::{MediaData, MediaKind, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Event as RtcEvent, IceConnectionState, Input, Output};
use tokio::sync::{mpsc, oneshot};

use super::config::MediaConfig;
use super::endpoint::{WebRtcEndpoint, media_index};
use super::routes::{Role, Routes, Slot};
use crate::control::links::{LinkChange, MediaType};
use crate::control::plane::{ElementKind, MediaCommand, MediaRequest};
use crate::metrics::counters::{Feedback, LossMean, StreamTotals, Volume};
use crate::metrics::{Drops, WorkerCounters, WorkerSnapshot, thread_cpu};
use crate::recording::tap::{Codec, Frame, Tap};

const SOCKET: Token = Token(0);
const WAKER: Token = Token(1);
/// How often flow states are checked and counters logged.
const HOUSEKEEPING: Duration = Duration::from_millis(250);
/// At most one log line about dropped datagrams per worker this often.
const DROP_LOG_SPACING: Duration = Duration::from_secs(10);
/// Large enough for any datagram a peer may send us (jumbo frames aside).
const RECEIVE_BUFFER: usize = 2048;

pub enum WorkerMessage {
    Command(MediaCommand),
    /// A recorder or a Composite input HubPort: frames routed to `id` go into the tap.
    AddTap {
        id: String,
        tap: Tap,
    },
    Request(MediaRequest, oneshot::Sender<Result<Value, RpcError>>),
}

/// The control side's end of a worker.
pub struct WorkerHandle {
    pub address: SocketAddr,
    sender: Option<Sender<WorkerMessage>>,
    waker: Arc<Waker>,
    /// The worker's latest counters, replaced by the worker at each housekeeping tick.
    published: Arc<Mutex<WorkerSnapshot>>,
}

impl WorkerHandle {
    /// The counters the worker published last.
    pub fn snapshot(&self) -> WorkerSnapshot {
        *self.published.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn send(&self, message: WorkerMessage) {
        if let Some(sender) = &self.sender
            && sender.send(message).is_ok()
        {
            let _ = self.waker.wake();
        }
    }
}

impl Drop for WorkerHandle {
    /// Closing the channel and waking the thread makes it stop.
    fn drop(&mut self) {
        self.sender.take();
        let _ = self.waker.wake();
    }
}

/// Binds the worker's socket (the next free port of the range, if one is set) and starts its thread.
pub fn spawn(
    index: usize,
    config: &MediaConfig,
    next_port: &mut Option<u16>,
    events: mpsc::UnboundedSender<Event>,
) -> std::io::Result<WorkerHandle> {
    let socket = bind(config, next_port)?;
    socket.set_nonblocking(true)?;
    let address = socket.local_addr()?;
    let mut socket = mio::net::UdpSocket::from_std(socket);
    let poll = Poll::new()?;
    poll.registry().register(&mut socket, SOCKET, Interest::READABLE)?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let (sender, receiver) = std::sync::mpsc::channel();
    let published = Arc::new(Mutex::new(WorkerSnapshot { worker: index, ..WorkerSnapshot::default() }));
    let worker = Worker::new(socket, address, events, index, published.clone());
    std::thread::Builder::new().name(format!("media-worker-{index}")).spawn(move || worker.run(poll, receiver))?;
    tracing::info!(worker = index, %address, "media worker started");
    Ok(WorkerHandle { address, sender: Some(sender), waker, published })
}

/// Socket buffers asked for. A worker sending one frame to hundreds of
/// subscribers does not read its socket meanwhile; the default 208 KiB receive
/// buffer then overflows with their RTCP and the publisher's next packets
/// (bench/sfu-node.sh showed kernel drops from 600 subscribers). The kernel caps
/// the request at `net.core.rmem_max`/`wmem_max`.
const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

fn bind_one(address: std::net::SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(address), socket2::Type::DGRAM, None)?;
    for (what, result) in
        [("receive", socket.set_recv_buffer_size(SOCKET_BUFFER)), ("send", socket.set_send_buffer_size(SOCKET_BUFFER))]
    {
        if let Err(error) = result {
            tracing::warn!(%error, what, "cannot enlarge a media socket buffer");
        }
    }
    socket.bind(&address.into())?;
    Ok(socket.into())
}

fn bind(config: &MediaConfig, next_port: &mut Option<u16>) -> std::io::Result<UdpSocket> {
    let Some(range) = config.rtc_ports else {
        return bind_one((config.rtc_address, 0).into());
    };
    while let Some(port) = next_port.filter(|p| *p <= range.last) {
        *next_port = port.checked_add(1);
        match bind_one((config.rtc_address, port).into()) {
            Ok(socket) => return Ok(socket),
            Err(error) => tracing::debug!(port, %error, "media port taken, trying the next"),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        format!("no free UDP port left in {}-{} on {}", range.first, range.last, config.rtc_address),
    ))
}

enum Element {
    WebRtc(Box<WebRtcEndpoint>),
    PassThrough,
    /// Hands frames to a recorder or a Composite.
    Tap(Box<Tap>),
    /// A Composite's output HubPort seen from here: takes and gives no frames.
    Opaque,
    /// str0m failed on this endpoint (an internal panic or a fatal error); it no longer carries media.
    Failed,
}

struct Member {
    id: String,
    element: Element,
    /// Queued for an output drain.
    queued: bool,
}

struct Worker {
    socket: mio::net::UdpSocket,
    local: SocketAddr,
    events: mpsc::UnboundedSender<Event>,
    members: Vec<Option<Member>>,
    free: Vec<Slot>,
    slot_of: HashMap<String, Slot>,
    /// `source_of[(sink, media)]`, mirroring the control plane's links for these pipelines.
    source_of: HashMap<(Slot, MediaType), Slot>,
    routes: Routes,
    /// Which endpoint last accepted datagrams from an address (checked again on each use).
    claimed_by: HashMap<SocketAddr, Slot>,
    dirty: Vec<Slot>,
    /// Plain counters only this thread writes; copied into `published` at each housekeeping tick.
    counters: WorkerCounters,
    index: usize,
    thread_id: Option<i32>,
    published: Arc<Mutex<WorkerSnapshot>>,
    logged_drops: Drops,
    next_drop_log: Instant,
}

impl Worker {
    fn new(
        socket: mio::net::UdpSocket,
        local: SocketAddr,
        events: mpsc::UnboundedSender<Event>,
        index: usize,
        published: Arc<Mutex<WorkerSnapshot>>,
    ) -> Self {
        Self {
            socket,
            local,
            events,
            members: Vec::new(),
            free: Vec::new(),
            slot_of: HashMap::new(),
            source_of: HashMap::new(),
            routes: Routes::default(),
            claimed_by: HashMap::new(),
            dirty: Vec::new(),
            counters: WorkerCounters::default(),
            index,
            thread_id: None,
            published,
            logged_drops: Drops::default(),
            next_drop_log: Instant::now(),
        }
    }

    fn run(mut self, mut poll: Poll, messages: Receiver<WorkerMessage>) {
        self.thread_id = thread_cpu::current_thread_id();
        self.publish();
        let mut events = Events::with_capacity(16);
        let mut buffer = vec![0u8; RECEIVE_BUFFER];
        let mut next_housekeeping = Instant::now() + HOUSEKEEPING;
        loop {
            let wake_at = self.next_deadline().map_or(next_housekeeping, |d| d.min(next_housekeeping));
            let timeout = wake_at.saturating_duration_since(Instant::now());
            if let Err(error) = poll.poll(&mut events, Some(timeout))
                && error.kind() != std::io::ErrorKind::Interrupted
            {
                tracing::error!(%error, "media worker cannot poll; stopping");
                return;
            }
            if !self.take_messages(&messages) {
                tracing::debug!(address = %self.local, "media worker stopping");
                return;
            }
            if events.iter().any(|e| e.token() == SOCKET) {
                self.receive_all(&mut buffer);
            }
            let now = Instant::now();
            self.run_timeouts(now);
            self.flush();
            if now >= next_housekeeping {
                self.housekeeping(now);
                next_housekeeping = now + HOUSEKEEPING;
            }
        }
    }

    /// Handles queued control messages; false once the control side is gone.
    fn take_messages(&mut self, messages: &Receiver<WorkerMessage>) -> bool {
        loop {
            match messages.try_recv() {
                Ok(WorkerMessage::Command(command)) => self.command(command),
                Ok(WorkerMessage::AddTap { id, tap }) => self.add(id, Element::Tap(Box::new(tap))),
                Ok(WorkerMessage::Request(request, answer)) => {
                    let result = self.request(request);
                    let _ = answer.send(result);
                }
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => return false,
            }
            self.flush();
        }
    }

    // ---- datagrams -------------------------------------------------------

    fn receive_all(&mut self, buffer: &mut [u8]) {
        loop {
            match self.socket.recv_from(buffer) {
                Ok((length, source)) => {
                    self.counters.datagrams_in.add(Volume { packets: 1, bytes: length as u64 });
                    self.on_datagram(&buffer[..length], source, Instant::now());
                    self.flush();
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => return,
                // ICMP errors from earlier sends surface here; they concern one peer only.
                Err(error) => tracing::trace!(%error, "receive error"),
            }
        }
    }

    fn on_datagram(&mut self, data: &[u8], source: SocketAddr, now: Instant) {
        let Ok(receive) = Receive::new(Protocol::Udp, source, self.local, data) else {
            self.counters.drops.malformed += 1;
            return;
        };
        let input = Input::Receive(now, receive);
        let Some(slot) = self.claim(&input, source) else {
            self.counters.drops.unclaimed += 1;
            return;
        };
        let Some(endpoint) = self.endpoint_mut(slot) else { return };
        endpoint.remote_addr = Some(source);
        match catch_unwind(AssertUnwindSafe(|| endpoint.rtc.handle_input(input))) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                self.counters.drops.rejected += 1;
                tracing::trace!(%error, "datagram rejected");
            }
            Err(_) => return self.fail(slot, "the WebRTC stack panicked on a received datagram"),
        }
        self.drain(slot);
    }

    /// The endpoint a datagram belongs to: the one that took this address before, else whoever accepts it.
    fn claim(&mut self, input: &Input, source: SocketAddr) -> Option<Slot> {
        if let Some(&slot) = self.claimed_by.get(&source)
            && self.endpoint(slot).is_some_and(|e| e.rtc.accepts(input))
        {
            return Some(slot);
        }
        let slot = (0..self.members.len()).find(|&s| self.endpoint(s).is_some_and(|e| e.rtc.accepts(input)))?;
        self.claimed_by.insert(source, slot);
        Some(slot)
    }

    fn transmit(&mut self, destination: SocketAddr, contents: &[u8]) {
        match self.socket.send_to(contents, destination) {
            Ok(sent) => self.counters.datagrams_out.add(Volume { packets: 1, bytes: sent as u64 }),
            Err(_) => self.counters.drops.send_failed += 1,
        }
    }

    // ---- str0m output ----------------------------------------------------

    /// Polls an endpoint until it only has a timeout to report.
    fn drain(&mut self, slot: Slot) {
        loop {
            let Some(endpoint) = self.endpoint_mut(slot) else { return };
            let output = match catch_unwind(AssertUnwindSafe(|| endpoint.rtc.poll_output())) {
                Ok(output) => output,
                Err(_) => return self.fail(slot, "the WebRTC stack panicked"),
            };
            match output {
                Ok(Output::Timeout(at)) => {
                    endpoint.deadline = at;
                    return;
                }
                Ok(Output::Transmit(transmit)) => self.transmit(transmit.destination, &transmit.contents),
                Ok(Output::Event(event)) => self.on_rtc_event(slot, event),
                Err(error) => {
                    tracing::warn!(%error, "endpoint failed");
                    return self.fail(slot, &error.to_string());
                }
            }
        }
    }

    fn queue(&mut self, slot: Slot) {
        if let Some(member) = self.members.get_mut(slot).and_then(Option::as_mut)
            && !member.queued
        {
            member.queued = true;
            self.dirty.push(slot);
        }
    }

    fn flush(&mut self) {
        while let Some(slot) = self.dirty.pop() {
            if let Some(member) = self.members.get_mut(slot).and_then(Option::as_mut) {
                member.queued = false;
            }
            self.drain(slot);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        (0..self.members.len()).filter_map(|s| self.endpoint(s).map(|e| e.deadline)).min()
    }

    fn run_timeouts(&mut self, now: Instant) {
        for slot in 0..self.members.len() {
            let Some(endpoint) = self.endpoint_mut(slot) else { continue };
            if endpoint.deadline > now {
                continue;
            }
            match catch_unwind(AssertUnwindSafe(|| endpoint.rtc.handle_input(Input::Timeout(now)))) {
                Ok(_) => self.drain(slot),
                Err(_) => self.fail(slot, "the WebRTC stack panicked on a timeout"),
            }
        }
    }

    fn on_rtc_event(&mut self, slot: Slot, event: RtcEvent) {
        let now = Instant::now();
        match event {
            RtcEvent::MediaData(data) => self.forward(slot, data, now),
            RtcEvent::KeyframeRequest(request) => {
                let asks_video =
                    self.endpoint(slot).and_then(|e| e.outgoing_media(request.mid)) == Some(MediaType::Video);
                if let Some(origin) = self.routes.origin(slot, MediaType::Video).filter(|_| asks_video) {
                    self.keyframe_from(origin, now);
                }
            }
            RtcEvent::MediaAdded(added) => {
                if let Some(endpoint) = self.endpoint_mut(slot) {
                    endpoint.record_media(added.mid, added.kind, added.direction);
                }
            }
            RtcEvent::MediaChanged(changed) => {
                if let Some(endpoint) = self.endpoint_mut(slot) {
                    let kind = endpoint.rtc.media(changed.mid).map(|m| m.kind()).unwrap_or(MediaKind::Video);
                    endpoint.record_media(changed.mid, kind, changed.direction);
                }
            }
            RtcEvent::PeerStats(stats) => {
                if let Some(endpoint) = self.endpoint_mut(slot) {
                    endpoint.stats.peer(&stats);
                }
            }
            RtcEvent::IceConnectionStateChange(state) => self.on_ice_state(slot, state),
            // Each stream's statistics feed both getStats (`endpoint.stats`) and the worker's counters.
            RtcEvent::MediaEgressStats(stats) => {
                if let Some(endpoint) = self.endpoint_mut(slot)
                    && let Some(media) = endpoint.outgoing_media(stats.mid)
                {
                    endpoint.stats.egress(media, &stats);
                }
                let totals = StreamTotals {
                    volume: Volume { packets: stats.packets, bytes: stats.bytes },
                    feedback: Feedback { nacks: stats.nacks, plis: stats.plis, firs: stats.firs },
                    lost: 0,
                };
                let lost = stats.remote.map(|r| r.packets_lost);
                self.record_stats(slot, stats.mid, false, totals, lost, stats.loss);
            }
            RtcEvent::MediaIngressStats(stats) => {
                if let Some(endpoint) = self.endpoint_mut(slot)
                    && let Some(media) = endpoint.incoming_media(stats.mid)
                {
                    endpoint.stats.ingress(media, &stats);
                }
                let totals = StreamTotals {
                    volume: Volume { packets: stats.packets, bytes: stats.bytes },
                    feedback: Feedback { nacks: stats.nacks, plis: stats.plis, firs: stats.firs },
                    lost: 0,
                };
                self.record_stats(slot, stats.mid, true, totals, None, stats.loss);
            }
            RtcEvent::Connected => {
                self.emit(slot, "ConnectionStateChanged", json!({"oldState": "DISCONNECTED", "newState": "CONNECTED"}));
                self.media_connected(slot);
                // A subscriber that just connected needs a keyframe to start decoding.
                if let Some(origin) = self.routes.origin(slot, MediaType::Video) {
                    self.keyframe_from(origin, now);
                }
            }
            _ => {}
        }
    }

    /// Adds what one stream's statistics report says happened since its previous one.
    /// `lost` (subscribers' receiver reports) and `loss` keep their last value when a report has none.
    fn record_stats(
        &mut self,
        slot: Slot,
        mid: Mid,
        incoming: bool,
        mut totals: StreamTotals,
        lost: Option<u64>,
        loss: Option<f32>,
    ) {
        let Some(endpoint) = self.endpoint_mut(slot) else { return };
        let media = if incoming { endpoint.incoming_media(mid) } else { endpoint.outgoing_media(mid) };
        let Some(index) = media.and_then(media_index) else { return };
        let stream = endpoint.stream_stats(mid, incoming);
        totals.lost = lost.unwrap_or(stream.cursor.last().lost);
        let delta = stream.cursor.advance(totals);
        stream.loss = loss.or(stream.loss);
        let counters = &mut self.counters;
        if incoming {
            counters.received[index].add(delta.volume);
            counters.feedback_sent.add(delta.feedback);
        } else {
            counters.forwarded[index].add(delta.volume);
            counters.feedback_received.add(delta.feedback);
            counters.forwarded_lost = counters.forwarded_lost.saturating_add(delta.lost);
        }
    }

    /// Copies the counters where a scrape reads them, with the mean loss of the streams.
    fn publish(&self) {
        let (mut loss_in, mut loss_out) = (LossMean::default(), LossMean::default());
        for endpoint in (0..self.members.len()).filter_map(|s| self.endpoint(s)) {
            for stream in endpoint.streams() {
                if stream.incoming { loss_in.add(stream.loss) } else { loss_out.add(stream.loss) }
            }
        }
        let snapshot = WorkerSnapshot {
            worker: self.index,
            thread_id: self.thread_id,
            counters: self.counters,
            loss_in: loss_in.mean(),
            loss_out: loss_out.mean(),
        };
        *self.published.lock().unwrap_or_else(|p| p.into_inner()) = snapshot;
    }

    fn on_ice_state(&mut self, slot: Slot, state: IceConnectionState) {
        let name = match state {
            IceConnectionState::New => "GATHERING",
            IceConnectionState::Checking => "CONNECTING",
            IceConnectionState::Connected => "CONNECTED",
            IceConnectionState::Completed => "READY",
            IceConnectionState::Disconnected => "DISCONNECTED",
        };
        self.announce_ice_state(slot, name);
        let Some(endpoint) = self.endpoint_mut(slot) else { return };
        let connected = matches!(state, IceConnectionState::Connected | IceConnectionState::Completed);
        if connected && !endpoint.ice_connected {
            endpoint.ice_connected = true;
            let pair = complex(
                "IceCandidatePair",
                json!({"streamId": "1", "componentId": 1,
                       "localCandidate": endpoint.local_candidate(), "remoteCandidate": endpoint.remote_candidate()}),
            );
            self.emit(slot, "NewCandidatePairSelected", json!({"candidatePair": pair}));
        } else if state == IceConnectionState::Disconnected && endpoint.ice_connected {
            endpoint.ice_connected = false;
            let was_media_connected = std::mem::replace(&mut endpoint.media_connected, false);
            let change = json!({"oldState": "CONNECTED", "newState": "DISCONNECTED"});
            self.emit(slot, "ConnectionStateChanged", change.clone());
            if was_media_connected {
                self.emit(slot, "MediaStateChanged", change);
            }
        }
    }

    fn announce_ice_state(&mut self, slot: Slot, state: &'static str) {
        let Some(endpoint) = self.endpoint_mut(slot) else { return };
        for state in endpoint.ice_progress.advance(state) {
            self.emit(slot, "IceComponentStateChanged", json!({"streamId": 1, "componentId": 1, "state": state}));
        }
    }

    fn media_connected(&mut self, slot: Slot) {
        if let Some(endpoint) = self.endpoint_mut(slot)
            && !std::mem::replace(&mut endpoint.media_connected, true)
        {
            self.emit(slot, "MediaStateChanged", json!({"oldState": "DISCONNECTED", "newState": "CONNECTED"}));
        }
    }

    /// The forwarding path: one received frame written to every sink endpoint of its media type.
    fn forward(&mut self, slot: Slot, data: MediaData, now: Instant) {
        let Some(endpoint) = self.endpoint_mut(slot) else { return };
        let Some(media) = endpoint.incoming_media(data.mid) else { return };
        let index = media_index(media).unwrap_or(0);
        endpoint.stats.frames_in[index] += 1;
        if endpoint.flow_in[index].saw(now) {
            self.emit_flow(slot, "MediaFlowInStateChanged", media, true);
        }
        if media == MediaType::Video && !data.contiguous {
            self.keyframe_from(slot, now);
        }
        let sinks = self.routes.take_sinks(slot, media);
        for &sink in &sinks {
            let Some(target) = self.endpoint_mut(sink) else {
                self.tap_frame(sink, media, &data, now);
                continue;
            };
            let Some(mid) = target.outgoing_mid(media).filter(|_| target.ice_connected) else { continue };
            let written = catch_unwind(AssertUnwindSafe(|| {
                let writer = target.rtc.writer(mid)?;
                let pt = writer.match_params(data.params)?;
                let written = writer.write(pt, data.network_time, data.time, data.data.clone()).is_ok();
                target.stats.frames_out[index] += u64::from(written);
                Some(written)
            }));
            match written {
                Ok(Some(true)) => {}
                Ok(_) => {
                    self.counters.drops.not_written += 1;
                    continue;
                }
                Err(_) => {
                    self.fail(sink, "the WebRTC stack panicked while sending");
                    continue;
                }
            }
            if target.flow_out[index].saw(now) {
                self.emit_flow(sink, "MediaFlowOutStateChanged", media, true);
            }
            self.queue(sink);
        }
        self.routes.restore(slot, media, sinks);
    }

    /// Hands a frame to a recorder's or Composite's tap (off the endpoint path: only sinks that
    /// are not WebRTC endpoints get here).
    fn tap_frame(&mut self, sink: Slot, media: MediaType, data: &MediaData, now: Instant) {
        let Some(Some(Member { element: Element::Tap(tap), .. })) = self.members.get(sink) else { return };
        let spec = data.params.spec();
        let codec = match spec.codec {
            str0m::format::Codec::Vp8 => Codec::Vp8,
            str0m::format::Codec::Vp9 => Codec::Vp9,
            str0m::format::Codec::H264 => Codec::H264,
            str0m::format::Codec::Opus => Codec::Opus,
            _ => Codec::Other,
        };
        let frame = Frame {
            media,
            codec,
            rtp_time: data.time.numer(),
            clock_rate: data.time.denom(),
            keyframe: data.is_keyframe(),
            arrival: now,
            data: data.data.clone(),
        };
        if !tap.offer(frame) {
            self.counters.drops.tap_full += 1;
        }
    }

    /// Asks a source endpoint for a keyframe, at most once per throttle spacing.
    /// Only a request that went out counts (none can before the source's video stream is known).
    /// A request inside the spacing is remembered and sent when the spacing ends, so a
    /// subscriber that joins just after another still gets its keyframe promptly.
    fn keyframe_from(&mut self, source: Slot, now: Instant) {
        let Some(endpoint) = self.endpoint_mut(source) else { return };
        if !endpoint.keyframes.ready(now) {
            endpoint.keyframes.defer();
            return;
        }
        if endpoint.request_keyframe() {
            endpoint.keyframes.mark(now);
            self.queue(source);
        }
    }

    fn housekeeping(&mut self, now: Instant) {
        for slot in 0..self.members.len() {
            if self.endpoint(slot).is_some_and(|e| e.keyframes.deferred_due(now)) {
                self.keyframe_from(slot, now);
            }
            if let Some(Some(Member { element: Element::Tap(tap), .. })) = self.members.get(slot)
                && tap.take_keyframe_request()
                && let Some(origin) = self.routes.origin(slot, MediaType::Video)
            {
                self.keyframe_from(origin, now);
            }
            for media in [MediaType::Audio, MediaType::Video] {
                let index = media_index(media).unwrap_or(0);
                let Some(endpoint) = self.endpoint_mut(slot) else { break };
                let (stopped_in, stopped_out) =
                    (endpoint.flow_in[index].check(now), endpoint.flow_out[index].check(now));
                if stopped_in {
                    self.emit_flow(slot, "MediaFlowInStateChanged", media, false);
                }
                if stopped_out {
                    self.emit_flow(slot, "MediaFlowOutStateChanged", media, false);
                }
            }
        }
        self.publish();
        if self.counters.drops != self.logged_drops && now >= self.next_drop_log {
            self.next_drop_log = now + DROP_LOG_SPACING;
            tracing::info!(address = %self.local, drops = ?self.counters.drops, "media worker dropped datagrams or frames");
            self.logged_drops = self.counters.drops;
        }
    }

    // ---- control ---------------------------------------------------------

    fn command(&mut self, command: MediaCommand) {
        match command {
            MediaCommand::Create { id, kind } => self.create(id, kind),
            MediaCommand::Release { id } => self.release(&id),
            MediaCommand::Link(change) => self.link(change),
            MediaCommand::Configure { id, property, value } => {
                if let Some(endpoint) = self.slot_of.get(&id).copied().and_then(|s| self.endpoint_mut(s)) {
                    endpoint.configure(property, &value);
                }
            }
        }
    }

    fn create(&mut self, id: String, kind: ElementKind) {
        let element = match kind {
            ElementKind::PassThrough => Element::PassThrough,
            // Composites live on their own threads; their HubPorts arrive as taps (`AddTap`).
            ElementKind::Composite(_) => return,
            ElementKind::HubPort => Element::Opaque,
            ElementKind::WebRtc { recv_only, send_only } => {
                match WebRtcEndpoint::new(self.local, recv_only, send_only, Instant::now()) {
                    Ok(endpoint) => Element::WebRtc(Box::new(endpoint)),
                    Err(error) => {
                        tracing::error!(%id, %error, "cannot create the endpoint");
                        Element::Failed
                    }
                }
            }
        };
        self.add(id, element);
    }

    /// Puts an element in a slot (replacing an element of the same id: a HubPort becomes a tap).
    fn add(&mut self, id: String, element: Element) {
        if let Some(&slot) = self.slot_of.get(&id) {
            if let Some(member) = self.members[slot].as_mut() {
                member.element = element;
            }
            self.recompute_routes();
            return;
        }
        let member = Member { id: id.clone(), element, queued: false };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.members[slot] = Some(member);
                slot
            }
            None => {
                self.members.push(Some(member));
                self.members.len() - 1
            }
        };
        self.slot_of.insert(id, slot);
    }

    fn release(&mut self, id: &str) {
        let Some(slot) = self.slot_of.remove(id) else { return };
        if let Some(endpoint) = self.endpoint_mut(slot) {
            endpoint.rtc.disconnect();
            self.drain(slot);
        }
        self.members[slot] = None;
        self.free.push(slot);
        self.source_of.retain(|(sink, _), source| *sink != slot && *source != slot);
        self.claimed_by.retain(|_, claimed| *claimed != slot);
        self.recompute_routes();
    }

    fn link(&mut self, change: LinkChange) {
        let (source, sink, media, connected) = match &change {
            LinkChange::Connected { source, sink, media } => (source, sink, *media, true),
            LinkChange::Disconnected { source, sink, media } => (source, sink, *media, false),
        };
        let (Some(&source), Some(&sink)) = (self.slot_of.get(source), self.slot_of.get(sink)) else { return };
        if connected {
            self.source_of.insert((sink, media), source);
        } else if self.source_of.get(&(sink, media)) == Some(&source) {
            self.source_of.remove(&(sink, media));
        }
        self.recompute_routes();
        // A sink connected late gets a keyframe at once instead of waiting for the next periodic one.
        // An endpoint not yet ICE-connected could not receive it; it asks when it connects (`Connected`).
        let sink_not_connected = self.endpoint(sink).is_some_and(|e| !e.ice_connected);
        if connected
            && media == MediaType::Video
            && !sink_not_connected
            && let Some(origin) = self.ultimate_source(source, media)
        {
            self.keyframe_from(origin, Instant::now());
        }
    }

    fn recompute_routes(&mut self) {
        let members = &self.members;
        let role = |slot: Slot| match members.get(slot) {
            Some(Some(Member { element: Element::WebRtc(_), .. })) => Role::Endpoint,
            Some(Some(Member { element: Element::Tap(_), .. })) => Role::Tap,
            Some(Some(Member { element: Element::PassThrough, .. })) => Role::PassThrough,
            _ => Role::Opaque,
        };
        self.routes = Routes::compute(&self.source_of, role);
    }

    /// The WebRTC endpoint media of `media` type reaching `slot` starts from (itself, if it is one).
    fn ultimate_source(&self, slot: Slot, media: MediaType) -> Option<Slot> {
        let mut current = slot;
        for _ in 0..=self.members.len() {
            if self.endpoint(current).is_some() {
                return Some(current);
            }
            current = *self.source_of.get(&(current, media))?;
        }
        None
    }

    fn request(&mut self, request: MediaRequest) -> Result<Value, RpcError> {
        let id = match &request {
            MediaRequest::ProcessOffer { endpoint, .. }
            | MediaRequest::GenerateOffer { endpoint, .. }
            | MediaRequest::ProcessAnswer { endpoint, .. }
            | MediaRequest::GatherCandidates { endpoint }
            | MediaRequest::AddIceCandidate { endpoint, .. }
            | MediaRequest::LocalDescription { endpoint }
            | MediaRequest::RemoteDescription { endpoint }
            | MediaRequest::RequestKeyframe { endpoint }
            | MediaRequest::Stats { endpoint } => endpoint,
            MediaRequest::IsMediaFlowing { element, .. } => element,
            MediaRequest::CreateRecorder { id, .. } | MediaRequest::Recorder { id, .. } => {
                return Err(RpcError::new(ErrorCode::UnexpectedError, format!("'{id}' is not a worker's element")));
            }
        };
        let slot = *self
            .slot_of
            .get(id)
            .ok_or_else(|| RpcError::new(ErrorCode::MediaObjectNotFound, format!("Object '{id}' not found")))?;
        if let MediaRequest::IsMediaFlowing { media, incoming, .. } = request {
            return Ok(json!(self.is_flowing(slot, media, incoming)));
        }
        let failed = || RpcError::new(ErrorCode::UnexpectedError, format!("Endpoint '{id}' has failed"));
        if matches!(request, MediaRequest::Stats { .. }) {
            return Ok(self.endpoint(slot).ok_or_else(failed)?.stats.json(id, crate::now_ms()));
        }
        let endpoint = self.endpoint_mut(slot).ok_or_else(failed)?;
        let result = match request {
            MediaRequest::ProcessOffer { offer, .. } => endpoint.process_offer(&offer).map(Value::String),
            MediaRequest::GenerateOffer { audio, video, .. } => {
                endpoint.generate_offer(audio, video).map(Value::String)
            }
            MediaRequest::ProcessAnswer { answer, .. } => endpoint.process_answer(&answer).map(Value::String),
            MediaRequest::LocalDescription { .. } => endpoint.local_sdp().map(Value::String),
            MediaRequest::RemoteDescription { .. } => endpoint.remote_sdp().map(Value::String),
            MediaRequest::AddIceCandidate { candidate, .. } => {
                endpoint.add_remote_candidate(&candidate).map(|_| Value::Null)
            }
            MediaRequest::RequestKeyframe { .. } => {
                endpoint.request_keyframe();
                Ok(Value::Null)
            }
            MediaRequest::GatherCandidates { .. } => {
                endpoint.gather_pending = true;
                self.emit(
                    slot,
                    "IceComponentStateChanged",
                    json!({"streamId": 1, "componentId": 1, "state": "GATHERING"}),
                );
                Ok(Value::Null)
            }
            MediaRequest::IsMediaFlowing { .. }
            | MediaRequest::Stats { .. }
            | MediaRequest::CreateRecorder { .. }
            | MediaRequest::Recorder { .. } => {
                unreachable!("answered above")
            }
        };
        self.announce_candidates(slot);
        self.drain(slot);
        result
    }

    /// After `gatherCandidates`, once there is an SDP: one `IceCandidateFound` per m-line, then `IceGatheringDone`.
    fn announce_candidates(&mut self, slot: Slot) {
        let Some(endpoint) = self.endpoint_mut(slot) else { return };
        let candidates = endpoint.candidates_to_announce();
        if !endpoint.gather_pending || candidates.is_empty() {
            return;
        }
        endpoint.gather_pending = false;
        for (candidate, mid, index) in candidates {
            let candidate =
                complex("IceCandidate", json!({"candidate": candidate, "sdpMid": mid, "sdpMLineIndex": index}));
            self.emit(slot, "IceCandidateFound", json!({"candidate": candidate}));
        }
        self.emit(slot, "IceGatheringDone", json!({}));
    }

    fn is_flowing(&self, slot: Slot, media: MediaType, incoming: bool) -> bool {
        let Some(index) = media_index(media) else { return false };
        match self.endpoint(slot) {
            Some(endpoint) if incoming => endpoint.flow_in[index].is_flowing(),
            Some(endpoint) => endpoint.flow_out[index].is_flowing(),
            // A PassThrough carries what its source receives.
            None => self
                .ultimate_source(slot, media)
                .and_then(|source| self.endpoint(source))
                .is_some_and(|source| source.flow_in[index].is_flowing()),
        }
    }

    // ---- helpers ---------------------------------------------------------

    fn endpoint(&self, slot: Slot) -> Option<&WebRtcEndpoint> {
        match self.members.get(slot) {
            Some(Some(Member { element: Element::WebRtc(endpoint), .. })) => Some(endpoint),
            _ => None,
        }
    }

    fn endpoint_mut(&mut self, slot: Slot) -> Option<&mut WebRtcEndpoint> {
        match self.members.get_mut(slot) {
            Some(Some(Member { element: Element::WebRtc(endpoint), .. })) => Some(endpoint),
            _ => None,
        }
    }

    /// Takes a broken endpoint out of service; the rest of the worker carries on.
    fn fail(&mut self, slot: Slot, why: &str) {
        let Some(member) = self.members.get_mut(slot).and_then(Option::as_mut) else { return };
        tracing::error!(id = %member.id, why, "endpoint taken out of service");
        member.element = Element::Failed;
        self.claimed_by.retain(|_, claimed| *claimed != slot);
        self.recompute_routes();
        self.emit(
            slot,
            "Error",
            json!({"description": why, "errorCode": ErrorCode::UnexpectedError as i64, "type": "MEDIA_ERROR"}),
        );
    }

    fn emit_flow(&mut self, slot: Slot, kind: &str, media: MediaType, flowing: bool) {
        let state = if flowing { "FLOWING" } else { "NOT_FLOWING" };
        self.emit(slot, kind, json!({"state": state, "padName": "default", "mediaType": media.as_str()}));
    }

    fn emit(&mut self, slot: Slot, kind: &str, data: Value) {
        let Some(member) = self.members.get(slot).and_then(Option::as_ref) else { return };
        let Value::Object(fields) = data else { return };
        let _ = self.events.send(Event::new(kind, &member.id, crate::now_ms(), fields));
    }
}
