//! A Composite: one GStreamer pipeline on its own thread that decodes each
//! HubPort input, places its video on a tile of a black canvas
//! ([`super::layout`]) and mixes its audio. The mix leaves through appsinks to
//! the recorders connected to the Composite's output HubPorts.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::{AppSink, AppSinkCallbacks, AppSrc};
use kurento_protocol::event::Event;
use serde_json::json;
use tokio::sync::mpsc;

use super::gst_setup::{self, chain, element, nanos};
use super::layout;
use super::tap::{self, Codec, Frame, Input, Tap, TapShared};
use super::timeline::TrackClock;
use crate::control::links::MediaType;
use crate::control::recording_params::CompositeParams;

const TICK: Duration = Duration::from_millis(20);
/// How long the mixers wait for late input before producing a frame.
const MIX_LATENCY: Duration = Duration::from_millis(300);
/// How long input frames gather before the composite takes them (a fraction of [`MIX_LATENCY`]).
const BATCH: Duration = Duration::from_millis(40);
/// How often an input still waiting for a keyframe asks again.
const KEYFRAME_RETRY: Duration = Duration::from_millis(500);

/// Recorders fed by this Composite, by recorder id.
type Outputs = Arc<Mutex<BTreeMap<String, SyncSender<Input>>>>;

pub enum CompositeControl {
    AddPort { key: u64, shared: Arc<TapShared> },
    RemovePort { key: u64 },
    Linked { key: u64, media: MediaType, connected: bool },
}

/// The layer's end of a Composite thread. Dropping it stops the pipeline.
pub struct CompositeHandle {
    control: Sender<CompositeControl>,
    data: SyncSender<Input>,
    outputs: Outputs,
}

impl CompositeHandle {
    pub fn spawn(id: String, params: CompositeParams, events: mpsc::UnboundedSender<Event>) -> Result<Self, String> {
        let outputs = Outputs::default();
        let (control, controls) = std::sync::mpsc::channel();
        let (data, frames) = tap::queue();
        let pipeline = build(&params, &outputs)?;
        let composite = Composite {
            id,
            params,
            events,
            compositor: pipeline.by_name("compositor"),
            mixer: pipeline.by_name("mixer"),
            pipeline,
            ports: BTreeMap::new(),
            next_order: 0,
            next_bus_check: Instant::now(),
        };
        std::thread::Builder::new()
            .name("composite".into())
            .spawn(move || composite.run(controls, frames))
            .map_err(|e| format!("cannot start the composite thread: {e}"))?;
        Ok(Self { control, data, outputs })
    }

    /// A new input HubPort: the tap the worker feeds it through.
    pub fn add_port(&self, key: u64) -> Tap {
        let shared = Arc::new(TapShared::default());
        let _ = self.control.send(CompositeControl::AddPort { key, shared: shared.clone() });
        Tap::new(key, self.data.clone(), shared)
    }

    pub fn send(&self, control: CompositeControl) {
        let _ = self.control.send(control);
    }

    pub fn add_output(&self, recorder: &str, input: SyncSender<Input>) {
        self.outputs.lock().unwrap_or_else(|p| p.into_inner()).insert(recorder.to_string(), input);
    }

    pub fn remove_output(&self, recorder: &str) {
        self.outputs.lock().unwrap_or_else(|p| p.into_inner()).remove(recorder);
    }
}

fn video_caps(params: &CompositeParams) -> gst::Caps {
    gst::Caps::builder("video/x-raw")
        .field("format", "I420")
        .field("width", params.width as i32)
        .field("height", params.height as i32)
        .field("framerate", gst::Fraction::new(params.frame_rate as i32, 1))
        .build()
}

fn audio_caps() -> gst::Caps {
    gst::Caps::builder("audio/x-raw")
        .field("format", "S16LE")
        .field("rate", 48_000i32)
        .field("channels", 2i32)
        .field("layout", "interleaved")
        .build()
}

fn capsfilter(caps: &gst::Caps) -> Result<gst::Element, String> {
    let filter = element("capsfilter")?;
    filter.set_property("caps", caps);
    Ok(filter)
}

/// An appsink handing every sample to the connected recorders, without waiting for any.
fn output(media: MediaType, caps: &gst::Caps, outputs: &Outputs) -> AppSink {
    let sink = AppSink::builder().caps(caps).sync(false).max_buffers(4).drop(true).build();
    let outputs = outputs.clone();
    sink.set_callbacks(
        AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                for (recorder, input) in outputs.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                    if let Err(TrySendError::Full(_)) = input.try_send(Input::Raw { media, sample: sample.clone() }) {
                        tracing::trace!(recorder, "recorder queue full; mixed sample dropped");
                    }
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    sink
}

/// How much audio each mixed buffer holds: each one is a hand-off to the recorders'
/// threads, and the encoder takes 1024-sample frames anyway.
const AUDIO_BUFFER: Duration = Duration::from_millis(40);

/// The canvas and the mix, each on a live silent/black base so output flows with no input at all.
///
/// The video base is a transparent 16x16 pad: the compositor skips it, so it costs neither a
/// full-canvas test pattern nor a full-canvas blend per frame (the background is painted anyway).
/// The compositor runs on one thread: splitting each frame's few tiles across threads costs
/// wake-ups that are dearer than the blending itself, and the encoder has the other core.
fn build(params: &CompositeParams, outputs: &Outputs) -> Result<gst::Pipeline, String> {
    let pipeline = gst::Pipeline::new();
    if params.has_video {
        let caps = video_caps(params);
        let base = element("videotestsrc")?;
        base.set_property_from_str("pattern", "black");
        base.set_property("is-live", true);
        let base_caps = gst::Caps::builder("video/x-raw")
            .field("format", "I420")
            .field("width", 16i32)
            .field("height", 16i32)
            .field("framerate", gst::Fraction::new(params.frame_rate as i32, 1))
            .build();
        let compositor = gst::ElementFactory::make("compositor")
            .name("compositor")
            .build()
            .map_err(|_| "the GStreamer element 'compositor' is not installed".to_string())?;
        compositor.set_property_from_str("background", "black");
        compositor.set_property("latency", nanos(MIX_LATENCY).nseconds());
        compositor.set_property("max-threads", 1u32);
        let sink = output(MediaType::Video, &caps, outputs);
        let base_filter = capsfilter(&base_caps)?;
        chain(&pipeline, &[&base, &base_filter, &compositor, &capsfilter(&caps)?, sink.upcast_ref()])?;
        if let Some(pad) = base_filter.static_pad("src").and_then(|src| src.peer()) {
            pad.set_property("alpha", 0.0f64);
        }
    }
    if params.has_audio {
        let caps = audio_caps();
        let base = element("audiotestsrc")?;
        base.set_property_from_str("wave", "silence");
        base.set_property("is-live", true);
        base.set_property("samplesperbuffer", (48_000 * AUDIO_BUFFER.as_millis() / 1000) as i32);
        let mixer = gst::ElementFactory::make("audiomixer")
            .name("mixer")
            .build()
            .map_err(|_| "the GStreamer element 'audiomixer' is not installed".to_string())?;
        mixer.set_property("latency", nanos(MIX_LATENCY).nseconds());
        mixer.set_property("output-buffer-duration", nanos(AUDIO_BUFFER).nseconds());
        let sink = output(MediaType::Audio, &caps, outputs);
        chain(&pipeline, &[&base, &capsfilter(&caps)?, &mixer, &capsfilter(&caps)?, sink.upcast_ref()])?;
    }
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| gst_setup::bus_error(&pipeline).unwrap_or_else(|| "the composite pipeline cannot start".into()))?;
    Ok(pipeline)
}

/// One input's decoding chain into the compositor or the mixer.
struct Branch {
    src: AppSrc,
    elements: Vec<gst::Element>,
    pad: gst::Pad,
    clock: Option<TrackClock>,
    needs_keyframe: bool,
}

struct Port {
    shared: Arc<TapShared>,
    /// Connection order: tiles follow it.
    order: u64,
    linked: [bool; 2],
    branches: [Option<Branch>; 2],
    last_keyframe_ask: Option<Instant>,
}

struct Composite {
    id: String,
    params: CompositeParams,
    events: mpsc::UnboundedSender<Event>,
    pipeline: gst::Pipeline,
    compositor: Option<gst::Element>,
    mixer: Option<gst::Element>,
    ports: BTreeMap<u64, Port>,
    next_order: u64,
    next_bus_check: Instant,
}

fn slot(media: MediaType) -> usize {
    if media == MediaType::Video { 1 } else { 0 }
}

impl Composite {
    fn run(mut self, controls: Receiver<CompositeControl>, frames: Receiver<Input>) {
        loop {
            loop {
                match controls.try_recv() {
                    Ok(control) => self.control(control),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return self.shutdown(),
                }
            }
            match frames.recv_timeout(TICK) {
                Ok(Input::Frame { key, frame }) => {
                    self.frame(key, frame);
                    // Inputs are taken in batches, well inside the mix's latency: a thread
                    // wake-up per frame of every input costs more than handing the frame on.
                    std::thread::sleep(BATCH);
                    while let Ok(input) = frames.try_recv() {
                        if let Input::Frame { key, frame } = input {
                            self.frame(key, frame);
                        }
                    }
                }
                Ok(Input::Raw { .. }) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return self.shutdown(),
            }
            self.tick(Instant::now());
        }
    }

    fn shutdown(self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }

    fn control(&mut self, control: CompositeControl) {
        match control {
            CompositeControl::AddPort { key, shared } => {
                let port =
                    Port { shared, order: 0, linked: [false; 2], branches: [None, None], last_keyframe_ask: None };
                self.ports.insert(key, port);
            }
            CompositeControl::RemovePort { key } => {
                if let Some(mut port) = self.ports.remove(&key) {
                    for media in [MediaType::Audio, MediaType::Video] {
                        self.remove_branch(&mut port, media);
                    }
                    self.arrange();
                }
            }
            CompositeControl::Linked { key, media, connected } => {
                let order = self.next_order;
                let Some(port) = self.ports.get_mut(&key) else { return };
                if connected && !port.linked.iter().any(|l| *l) {
                    port.order = order;
                    self.next_order += 1;
                }
                port.linked[slot(media)] = connected;
                if !connected {
                    let mut port = self.ports.remove(&key).expect("present");
                    self.remove_branch(&mut port, media);
                    self.ports.insert(key, port);
                    self.arrange();
                }
            }
        }
    }

    fn remove_branch(&self, port: &mut Port, media: MediaType) {
        let Some(branch) = port.branches[slot(media)].take() else { return };
        for element in &branch.elements {
            let _ = element.set_state(gst::State::Null);
        }
        let _ = self.pipeline.remove_many(&branch.elements);
        let aggregator = if media == MediaType::Video { &self.compositor } else { &self.mixer };
        if let Some(aggregator) = aggregator {
            aggregator.release_request_pad(&branch.pad);
        }
    }

    fn frame(&mut self, key: u64, frame: Frame) {
        let media = frame.media;
        let Some(port) = self.ports.get(&key) else { return };
        if !port.linked[slot(media)] || (media == MediaType::Video && !self.params.has_video) {
            return;
        }
        if media == MediaType::Audio && !self.params.has_audio {
            return;
        }
        if port.branches[slot(media)].is_none() {
            if media == MediaType::Video && !frame.keyframe {
                self.ask_keyframe(key);
                return;
            }
            match self.branch(media, frame.codec) {
                Ok(branch) => {
                    if let Some(port) = self.ports.get_mut(&key) {
                        port.branches[slot(media)] = Some(branch);
                    }
                    if media == MediaType::Video {
                        self.arrange();
                    }
                }
                Err(error) => {
                    tracing::warn!(id = %self.id, error, "cannot decode a composite input");
                    return;
                }
            }
        }
        let running = self.pipeline.current_running_time().unwrap_or(gst::ClockTime::ZERO);
        let Some(port) = self.ports.get_mut(&key) else { return };
        let Some(branch) = port.branches[slot(media)].as_mut() else { return };
        if branch.needs_keyframe {
            if !frame.keyframe {
                return;
            }
            branch.needs_keyframe = false;
        }
        let clock = branch.clock.get_or_insert_with(|| {
            TrackClock::at(Duration::from_nanos(running.nseconds()), frame.rtp_time, frame.clock_rate)
        });
        let time = clock.time_of(frame.rtp_time);
        let mut buffer = gst::Buffer::from_slice(frame.data);
        if let Some(buffer) = buffer.get_mut() {
            buffer.set_pts(nanos(time));
            if media == MediaType::Video && !frame.keyframe {
                buffer.set_flags(gst::BufferFlags::DELTA_UNIT);
            }
        }
        let _ = branch.src.push_buffer(buffer);
    }

    fn ask_keyframe(&mut self, key: u64) {
        let Some(port) = self.ports.get_mut(&key) else { return };
        let now = Instant::now();
        if port.last_keyframe_ask.is_none_or(|at| now.duration_since(at) >= KEYFRAME_RETRY) {
            port.last_keyframe_ask = Some(now);
            port.shared.wants_keyframe.store(true, Ordering::Relaxed);
        }
    }

    fn branch(&self, media: MediaType, codec: Codec) -> Result<Branch, String> {
        let aggregator = if media == MediaType::Video { &self.compositor } else { &self.mixer };
        let aggregator = aggregator.as_ref().ok_or("no mixer for this media")?;
        let (caps, mut elements) = match codec {
            Codec::Vp8 => (gst::Caps::builder("video/x-vp8").build(), vec![element("vp8dec")?]),
            Codec::Vp9 => (gst::Caps::builder("video/x-vp9").build(), vec![element("vp9dec")?]),
            Codec::H264 => (
                gst::Caps::builder("video/x-h264")
                    .field("stream-format", "byte-stream")
                    .field("alignment", "au")
                    .build(),
                vec![element("h264parse")?, element("avdec_h264")?],
            ),
            Codec::Opus => (
                gst::Caps::builder("audio/x-opus")
                    .field("channel-mapping-family", 0i32)
                    .field("channels", 2i32)
                    .field("rate", 48_000i32)
                    .build(),
                vec![element("opusdec")?],
            ),
            Codec::Other => return Err("an input codec the composite cannot decode".into()),
        };
        if media == MediaType::Video {
            elements.push(element("videoconvert")?);
        } else {
            elements.push(element("audioconvert")?);
            elements.push(element("audioresample")?);
        }
        elements.push(element("queue")?);
        let src = AppSrc::builder().caps(&caps).format(gst::Format::Time).is_live(true).block(false).build();
        let mut all = vec![src.clone().upcast::<gst::Element>()];
        all.extend(elements);
        let refs: Vec<&gst::Element> = all.iter().collect();
        chain(&self.pipeline, &refs)?;
        let pad = aggregator.request_pad_simple("sink_%u").ok_or("the mixer gave no input pad")?;
        let last = all.last().expect("not empty");
        last.static_pad("src")
            .ok_or("no src pad")?
            .link(&pad)
            .map_err(|e| format!("cannot link an input into the mix: {e:?}"))?;
        if media == MediaType::Video {
            pad.set_property_from_str("sizing-policy", "keep-aspect-ratio");
        }
        for element in &all {
            let _ = element.sync_state_with_parent();
        }
        Ok(Branch { src, elements: all, pad, clock: None, needs_keyframe: media == MediaType::Video })
    }

    /// Puts every input with video on its tile, in connection order.
    fn arrange(&self) {
        let mut inputs: Vec<&Port> = self.ports.values().filter(|p| p.branches[1].is_some()).collect();
        inputs.sort_by_key(|p| p.order);
        let tiles = layout::tiles(inputs.len(), self.params.layout, self.params.width, self.params.height);
        for (port, tile) in inputs.iter().zip(tiles) {
            let Some(branch) = &port.branches[1] else { continue };
            branch.pad.set_property("xpos", tile.x as i32);
            branch.pad.set_property("ypos", tile.y as i32);
            branch.pad.set_property("width", tile.width as i32);
            branch.pad.set_property("height", tile.height as i32);
            branch.pad.set_property("zorder", tile.zorder);
        }
    }

    fn tick(&mut self, now: Instant) {
        if now < self.next_bus_check {
            return;
        }
        self.next_bus_check = now + Duration::from_millis(250);
        if let Some(error) = gst_setup::bus_error(&self.pipeline) {
            tracing::error!(id = %self.id, error, "composite pipeline error");
            let data = json!({"description": error, "errorCode": kurento_protocol::error::ErrorCode::UnexpectedError as i64,
                              "type": "COMPOSITE_ERROR"});
            let fields = data.as_object().cloned().unwrap_or_default();
            let _ = self.events.send(Event::new("Error", &self.id, crate::now_ms(), fields));
        }
    }
}
