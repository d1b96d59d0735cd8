//! GStreamer, started once and only when a recording or a Composite needs it,
//! so a node that only forwards never loads it.

use std::sync::OnceLock;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;

static INIT: OnceLock<Result<(), String>> = OnceLock::new();

pub fn init() -> Result<(), String> {
    INIT.get_or_init(|| gst::init().map_err(|e| format!("GStreamer cannot start: {e}"))).clone()
}

/// An element of `factory`, with a message naming the missing plugin otherwise.
pub fn element(factory: &str) -> Result<gst::Element, String> {
    gst::ElementFactory::make(factory)
        .build()
        .map_err(|_| format!("the GStreamer element '{factory}' is not installed"))
}

/// Adds the elements to the bin and links them in order.
pub fn chain(bin: &gst::Pipeline, elements: &[&gst::Element]) -> Result<(), String> {
    bin.add_many(elements.iter().copied()).map_err(|e| format!("cannot add elements: {e}"))?;
    gst::Element::link_many(elements.iter().copied()).map_err(|e| format!("cannot link elements: {e}"))
}

/// The first error on the bus, if one was posted.
pub fn bus_error(pipeline: &gst::Pipeline) -> Option<String> {
    let bus = pipeline.bus()?;
    while let Some(message) = bus.pop_filtered(&[gst::MessageType::Error]) {
        if let gst::MessageView::Error(error) = message.view() {
            return Some(describe(error));
        }
    }
    None
}

fn describe(error: &gst::message::Error) -> String {
    let source = error.src().map(|s| s.name().to_string()).unwrap_or_default();
    match error.debug() {
        Some(debug) => format!("{source}: {} ({debug})", error.error()),
        None => format!("{source}: {}", error.error()),
    }
}

/// Waits for end-of-stream (or an error) on the bus, at most `timeout`.
pub fn wait_eos(pipeline: &gst::Pipeline, timeout: Duration) -> Result<(), String> {
    let bus = pipeline.bus().ok_or("the pipeline has no bus")?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(format!("the file was not complete after {timeout:?}"));
        }
        let wait = gst::ClockTime::from_nseconds(left.as_nanos() as u64);
        let Some(message) = bus.timed_pop_filtered(wait, &[gst::MessageType::Eos, gst::MessageType::Error]) else {
            continue;
        };
        match message.view() {
            gst::MessageView::Eos(_) => return Ok(()),
            gst::MessageView::Error(error) => return Err(describe(error)),
            _ => {}
        }
    }
}

pub fn nanos(duration: Duration) -> gst::ClockTime {
    gst::ClockTime::from_nseconds(duration.as_nanos().min(u128::from(u64::MAX)) as u64)
}
