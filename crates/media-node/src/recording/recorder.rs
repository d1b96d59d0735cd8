//! One RecorderEndpoint: a thread that takes frames (from a worker's tap) or a
//! Composite's raw mix, waits until every track it expects has started (video
//! from a keyframe), then writes them through a [`Writer`] on one timeline.
//! Operations arrive on a control channel; events go straight to the node's
//! event channel. The worker is never made to wait for any of it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gstreamer as gst;
use kurento_protocol::event::Event;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use super::codec_header::{vp8_size, vp9_size};
use super::gst_setup::nanos;
use super::tap::{self, Codec, Frame, Input, Tap, TapShared};
use super::timeline::{Pauses, TrackClock};
use super::writer::{VideoTrack, Writer, thumbnail};
use crate::control::links::MediaType;
use crate::control::recording_params::{Container, RecorderParams};

/// How often the thread looks at its controls and the pipeline's bus when no frame comes.
const TICK: Duration = Duration::from_millis(20);
/// How long encoded frames gather before a recorder takes them (see [`Recorder::run`]).
const BATCH: Duration = Duration::from_millis(250);
/// How long to wait for the other expected tracks once one has started.
const GATHER_LIMIT: Duration = Duration::from_secs(3);
/// Frames kept while gathering, at most.
const GATHER_FRAMES: usize = 2_000;
/// `stopAndWait`'s bound, and the finishing bound of any stop.
pub const FINISH_LIMIT: Duration = Duration::from_secs(10);
/// How far into the recording the thumbnail is taken (later frames show more than black).
const THUMBNAIL_AT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Stop,
    Start,
    Pause,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Stop => "STOP",
            State::Start => "START",
            State::Pause => "PAUSE",
        }
    }
}

/// What `getState` and `getStats` read, kept current by the thread.
#[derive(Debug, Clone)]
pub struct Status {
    pub state: State,
    pub frames_written: u64,
    pub duration: Duration,
    pub started_at_ms: Option<u64>,
    /// The file is complete (stopped, or failed and closed).
    pub finished: bool,
}

pub enum Control {
    Record,
    Pause,
    /// Finishes the file; `done` hears when it is complete.
    Stop(Option<oneshot::Sender<Result<(), String>>>),
    /// A link into the recorder appeared or went; `raw` when it comes from a HubPort.
    Linked {
        media: MediaType,
        raw: bool,
        connected: bool,
    },
    /// Released: finish the file and end the thread.
    Release,
}

/// The layer's end of a recorder thread.
pub struct RecorderHandle {
    control: Sender<Control>,
    data: SyncSender<Input>,
    pub shared: Arc<TapShared>,
    pub status: Arc<Mutex<Status>>,
    pub path: PathBuf,
}

impl RecorderHandle {
    pub fn spawn(id: String, params: RecorderParams, events: mpsc::UnboundedSender<Event>) -> Result<Self, String> {
        let (control, controls) = std::sync::mpsc::channel();
        let (data, frames) = tap::queue();
        let shared = Arc::new(TapShared::default());
        let status = Arc::new(Mutex::new(Status {
            state: State::Stop,
            frames_written: 0,
            duration: Duration::ZERO,
            started_at_ms: None,
            finished: false,
        }));
        let path = params.path.clone();
        let recorder = Recorder {
            id,
            params,
            events,
            shared: shared.clone(),
            status: status.clone(),
            state: State::Stop,
            linked: BTreeSet::new(),
            raw: false,
            pauses: Pauses::default(),
            phase: Phase::Idle,
            next_bus_check: Instant::now(),
        };
        std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || recorder.run(controls, frames))
            .map_err(|e| format!("cannot start the recorder thread: {e}"))?;
        Ok(Self { control, data, shared, status, path })
    }

    /// The worker's end, for frames from a WebRtcEndpoint or PassThrough.
    pub fn tap(&self) -> Tap {
        Tap::new(0, self.data.clone(), self.shared.clone())
    }

    /// Where a Composite sends its mix.
    pub fn raw_input(&self) -> SyncSender<Input> {
        self.data.clone()
    }

    pub fn send(&self, control: Control) {
        let _ = self.control.send(control);
    }

    pub fn status(&self) -> Status {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// One writing session, from the pipeline's start to its finish.
struct Session {
    writer: Writer,
    /// Instant the timeline starts at (encoded) / running time it starts at (raw).
    start: Instant,
    raw_base: Option<gst::ClockTime>,
    clocks: [Option<TrackClock>; 2],
    video_needs_keyframe: bool,
    started_at_ms: u64,
    last_video: Option<gst::Sample>,
    thumbnail_taken: bool,
}

enum Phase {
    Idle,
    /// Recording asked for; collecting the first frames until the expected tracks have started.
    Gathering {
        since: Option<Instant>,
        pending: Vec<Input>,
    },
    Writing(Box<Session>),
    Done,
}

struct Recorder {
    id: String,
    params: RecorderParams,
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<TapShared>,
    status: Arc<Mutex<Status>>,
    state: State,
    linked: BTreeSet<MediaType>,
    raw: bool,
    pauses: Pauses,
    phase: Phase,
    next_bus_check: Instant,
}

fn index(media: MediaType) -> usize {
    if media == MediaType::Video { 1 } else { 0 }
}

impl Recorder {
    fn run(mut self, controls: Receiver<Control>, frames: Receiver<Input>) {
        loop {
            loop {
                match controls.try_recv() {
                    Ok(Control::Release) | Err(TryRecvError::Disconnected) => {
                        self.stop(None);
                        return;
                    }
                    Ok(control) => self.control(control),
                    Err(TryRecvError::Empty) => break,
                }
            }
            match frames.recv_timeout(TICK) {
                Ok(input) => {
                    self.input(input);
                    if !self.raw {
                        // Encoded frames are taken in batches: a thread wake-up per frame
                        // (worker → here → GStreamer's streaming threads) cost far more than
                        // muxing the frame. The worker's queue holds a batch many times over.
                        std::thread::sleep(BATCH);
                        while let Ok(input) = frames.try_recv() {
                            self.input(input);
                        }
                    }
                    self.flush();
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.stop(None);
                    return;
                }
            }
            self.tick(Instant::now());
        }
    }

    fn control(&mut self, control: Control) {
        let now = Instant::now();
        match control {
            Control::Record => match self.state {
                State::Stop if matches!(self.phase, Phase::Idle) => {
                    self.set_state(State::Start);
                    self.phase = Phase::Gathering { since: None, pending: Vec::new() };
                    self.shared.wants_keyframe.store(true, Ordering::Relaxed);
                    self.emit("UriEndpointStateChanged", json!({"state": "START"}));
                    self.emit("Recording", json!({}));
                }
                State::Pause => {
                    self.pauses.resume(now);
                    if let Phase::Writing(session) = &mut self.phase {
                        session.video_needs_keyframe = !self.raw;
                    }
                    self.shared.wants_keyframe.store(true, Ordering::Relaxed);
                    self.set_state(State::Start);
                    self.emit("UriEndpointStateChanged", json!({"state": "START"}));
                    self.emit("Recording", json!({}));
                }
                _ => tracing::debug!(id = %self.id, "record ignored: already recording or stopped"),
            },
            Control::Pause => {
                if self.state == State::Start {
                    self.pauses.pause(now);
                    self.set_state(State::Pause);
                    self.emit("UriEndpointStateChanged", json!({"state": "PAUSE"}));
                    self.emit("Paused", json!({}));
                }
            }
            Control::Stop(done) => self.stop(done),
            Control::Linked { media, raw, connected } => {
                if connected {
                    self.linked.insert(media);
                    self.raw = raw;
                } else {
                    self.linked.remove(&media);
                }
            }
            Control::Release => unreachable!("handled by the loop"),
        }
    }

    fn set_state(&mut self, state: State) {
        self.state = state;
        self.status.lock().unwrap_or_else(|p| p.into_inner()).state = state;
    }

    fn wanted(&self, media: MediaType) -> bool {
        match media {
            MediaType::Audio => self.params.profile.audio,
            MediaType::Video => self.params.profile.video,
            MediaType::Data => false,
        }
    }

    fn input(&mut self, input: Input) {
        if self.state != State::Start {
            return;
        }
        let media = match &input {
            Input::Frame { frame, .. } => frame.media,
            Input::Raw { media, .. } => *media,
        };
        if !self.wanted(media) {
            return;
        }
        match &mut self.phase {
            Phase::Gathering { since, pending } => {
                let usable = match &input {
                    Input::Frame { frame, .. } => frame.media != MediaType::Video || frame.keyframe,
                    Input::Raw { .. } => true,
                };
                if since.is_none() && usable {
                    *since = Some(Instant::now());
                }
                if since.is_some() && pending.len() < GATHER_FRAMES {
                    pending.push(input);
                }
                if self.gathered(false) {
                    self.begin();
                }
            }
            Phase::Writing(_) => self.write(input),
            Phase::Idle | Phase::Done => {}
        }
    }

    /// Whether writing can begin: each expected track has started, or the wait is over.
    fn gathered(&self, timed_out: bool) -> bool {
        let Phase::Gathering { since: Some(since), pending } = &self.phase else { return false };
        let started = |media: MediaType| {
            pending.iter().any(|input| match input {
                Input::Frame { frame, .. } => frame.media == media && (media != MediaType::Video || frame.keyframe),
                Input::Raw { media: m, .. } => *m == media,
            })
        };
        let expected: Vec<MediaType> = [MediaType::Audio, MediaType::Video]
            .into_iter()
            .filter(|m| self.wanted(*m) && (self.linked.is_empty() || self.linked.contains(m)))
            .collect();
        expected.iter().all(|m| started(*m)) || timed_out || since.elapsed() >= GATHER_LIMIT
    }

    /// Builds the writer from the gathered frames and writes them.
    fn begin(&mut self) {
        let Phase::Gathering { pending, .. } = std::mem::replace(&mut self.phase, Phase::Idle) else { return };
        match self.open(&pending) {
            Ok(session) => {
                {
                    let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
                    status.started_at_ms = Some(session.started_at_ms);
                }
                self.phase = Phase::Writing(Box::new(session));
                for input in pending {
                    self.write(input);
                }
                self.flush();
            }
            Err(error) => self.fail(&error),
        }
    }

    fn open(&self, pending: &[Input]) -> Result<Session, String> {
        if let Some(parent) = self.params.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let first_frame = |media: MediaType| {
            pending.iter().find_map(|input| match input {
                Input::Frame { frame, .. } if frame.media == media && (media != MediaType::Video || frame.keyframe) => {
                    Some(frame)
                }
                _ => None,
            })
        };
        let first_raw = |media: MediaType| {
            pending.iter().find_map(|input| match input {
                Input::Raw { media: m, sample } if *m == media => Some(sample),
                _ => None,
            })
        };
        let now = Instant::now();
        let (writer, start, raw_base) = if pending.iter().any(|i| matches!(i, Input::Raw { .. })) {
            let video = first_raw(MediaType::Video).and_then(|s| s.caps().map(|c| c.to_owned()));
            let audio = first_raw(MediaType::Audio).and_then(|s| s.caps().map(|c| c.to_owned()));
            let frame_rate = video
                .as_ref()
                .and_then(|caps| caps.structure(0)?.get::<gst::Fraction>("framerate").ok())
                .map_or(25, |f| (f.numer() / f.denom().max(1)).max(1) as u32);
            let writer =
                Writer::raw(&self.params.path, self.params.profile, video.as_ref(), audio.as_ref(), frame_rate)?;
            let base = pending
                .iter()
                .filter_map(|i| match i {
                    Input::Raw { sample, .. } => sample.buffer().and_then(|b| b.pts()),
                    _ => None,
                })
                .min();
            (writer, now, base)
        } else {
            let video = first_frame(MediaType::Video).map(|frame| VideoTrack {
                codec: frame.codec,
                size: match frame.codec {
                    Codec::Vp8 => vp8_size(&frame.data),
                    Codec::Vp9 => vp9_size(&frame.data),
                    _ => None,
                },
            });
            let audio = first_frame(MediaType::Audio).map(|frame| frame.codec);
            let writer = Writer::encoded(&self.params.path, self.params.profile.container, video, audio)?;
            let start = pending
                .iter()
                .filter_map(|i| match i {
                    Input::Frame { frame, .. } => Some(frame.arrival),
                    _ => None,
                })
                .min()
                .unwrap_or(now);
            (writer, start, None)
        };
        let started_at_ms = crate::now_ms().saturating_sub(now.saturating_duration_since(start).as_millis() as u64);
        Ok(Session {
            writer,
            start,
            raw_base,
            clocks: [None, None],
            video_needs_keyframe: true,
            started_at_ms,
            last_video: None,
            thumbnail_taken: false,
        })
    }

    fn write(&mut self, input: Input) {
        let Phase::Writing(session) = &mut self.phase else { return };
        let result = match input {
            Input::Frame { frame, .. } => write_frame(session, &self.pauses, frame),
            Input::Raw { media, sample } => {
                let outcome = write_raw(session, &self.pauses, media, &sample);
                if media == MediaType::Video && self.params.profile.container == Container::Mp4 {
                    self.maybe_thumbnail(sample);
                }
                outcome
            }
        };
        if let Some(time) = result {
            let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
            status.frames_written += 1;
            status.duration = status.duration.max(time);
        }
    }

    /// Hands what the last batch wrote to the pipeline.
    fn flush(&mut self) {
        let Phase::Writing(session) = &mut self.phase else { return };
        if let Err(error) = session.writer.flush() {
            self.fail(&error);
        }
    }

    fn maybe_thumbnail(&mut self, sample: gst::Sample) {
        let Phase::Writing(session) = &mut self.phase else { return };
        if session.thumbnail_taken {
            return;
        }
        let elapsed = self.status.lock().unwrap_or_else(|p| p.into_inner()).duration;
        session.last_video = Some(sample);
        if elapsed >= THUMBNAIL_AT {
            self.take_thumbnail();
        }
    }

    fn take_thumbnail(&mut self) {
        let Phase::Writing(session) = &mut self.phase else { return };
        let Some(sample) = session.last_video.take().filter(|_| !session.thumbnail_taken) else { return };
        session.thumbnail_taken = true;
        let path = self.params.path.with_extension("jpg");
        if let Err(error) = thumbnail(&sample, &path) {
            tracing::warn!(id = %self.id, %error, "no thumbnail");
        }
    }

    fn tick(&mut self, now: Instant) {
        if matches!(self.phase, Phase::Gathering { .. }) && self.state == State::Start && self.gathered(false) {
            self.begin();
        }
        if now >= self.next_bus_check {
            self.next_bus_check = now + Duration::from_millis(250);
            if let Phase::Writing(session) = &self.phase
                && let Some(error) = session.writer.error()
            {
                self.fail(&error);
            }
        }
    }

    /// A GStreamer failure (or a full disk): `Error`, then the recording ends with what was written.
    fn fail(&mut self, error: &str) {
        tracing::error!(id = %self.id, error, "recording failed");
        self.emit(
            "Error",
            json!({"description": error, "errorCode": kurento_protocol::error::ErrorCode::UnexpectedError as i64,
                   "type": "RECORDER_ERROR"}),
        );
        self.stop(None);
    }

    /// Finishes the file (writing what was gathered, if writing had not begun) and reports `Stopped`.
    fn stop(&mut self, done: Option<oneshot::Sender<Result<(), String>>>) {
        if matches!(self.phase, Phase::Gathering { since: Some(_), .. }) {
            self.begin();
        }
        if matches!(self.phase, Phase::Writing(_)) && self.params.profile.container == Container::Mp4 {
            self.take_thumbnail();
        }
        let outcome = match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Writing(session) => session.writer.finish(FINISH_LIMIT),
            Phase::Done => {
                if let Some(done) = done {
                    let _ = done.send(Ok(()));
                }
                return;
            }
            Phase::Idle | Phase::Gathering { .. } => Ok(()),
        };
        if let Err(error) = &outcome {
            tracing::warn!(id = %self.id, error, "the recording did not finish cleanly");
        }
        self.set_state(State::Stop);
        let status = {
            let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
            status.finished = true;
            status.clone()
        };
        let size = std::fs::metadata(&self.params.path).map(|m| m.len()).unwrap_or(0);
        self.emit(
            "Stopped",
            json!({"size": size, "durationMs": status.duration.as_millis() as u64,
                   "startedAtMs": status.started_at_ms.unwrap_or(0)}),
        );
        self.emit("UriEndpointStateChanged", json!({"state": "STOP"}));
        if let Some(done) = done {
            let _ = done.send(outcome);
        }
    }

    fn emit(&self, kind: &str, data: Value) {
        let fields = match data {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let _ = self.events.send(Event::new(kind, &self.id, crate::now_ms(), fields));
    }
}

/// Writes an encoded frame at its place on the timeline; `None` when it was skipped.
fn write_frame(session: &mut Session, pauses: &Pauses, frame: Frame) -> Option<Duration> {
    if !session.writer.has(frame.media) {
        return None;
    }
    if frame.media == MediaType::Video && session.video_needs_keyframe {
        if !frame.keyframe {
            return None;
        }
        session.video_needs_keyframe = false;
    }
    let start = session.start;
    let clock = session.clocks[index(frame.media)]
        .get_or_insert_with(|| TrackClock::new(start, frame.arrival, frame.rtp_time, frame.clock_rate));
    let time = pauses.cut(clock.time_of(frame.rtp_time));
    let mut buffer = gst::Buffer::from_slice(frame.data);
    if let Some(buffer) = buffer.get_mut() {
        buffer.set_pts(nanos(time));
        buffer.set_dts(nanos(time));
        if frame.media == MediaType::Video && !frame.keyframe {
            buffer.set_flags(gst::BufferFlags::DELTA_UNIT);
        }
    }
    session.writer.push(frame.media, buffer);
    Some(time)
}

/// Writes a raw sample of the Composite's mix, its time re-based to the recording's start.
fn write_raw(session: &mut Session, pauses: &Pauses, media: MediaType, sample: &gst::Sample) -> Option<Duration> {
    if !session.writer.has(media) {
        return None;
    }
    let buffer = sample.buffer_owned()?;
    let (Some(pts), Some(base)) = (buffer.pts(), session.raw_base) else { return None };
    if pts < base {
        return None;
    }
    let time = pauses.cut(Duration::from_nanos((pts - base).nseconds()));
    let mut buffer = buffer.copy();
    if let Some(buffer) = buffer.get_mut() {
        buffer.set_pts(nanos(time));
        buffer.set_dts(gst::ClockTime::NONE);
    }
    session.writer.push(media, buffer);
    Some(time)
}
