//! How frames leave a media worker for a recorder or a Composite: a bounded
//! queue the worker offers to without ever waiting. A full queue drops the
//! frame and counts it, so a slow disk or a busy encoder costs the recording
//! frames, never the call's forwarding.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Instant;

use crate::control::links::MediaType;

/// The codecs the worker can hand over (what str0m negotiates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Vp8,
    Vp9,
    H264,
    Opus,
    Other,
}

/// One received frame, owned (the payload is shared with the forwarding path, not copied).
#[derive(Debug, Clone)]
pub struct Frame {
    pub media: MediaType,
    pub codec: Codec,
    /// Extended RTP timestamp and its clock rate.
    pub rtp_time: u64,
    pub clock_rate: u32,
    pub keyframe: bool,
    pub arrival: Instant,
    pub data: Arc<[u8]>,
}

/// What a recording thread receives: frames from taps (`key` names the
/// HubPort for a Composite), or mixed raw media from a Composite.
pub enum Input {
    Frame { key: u64, frame: Frame },
    Raw { media: MediaType, sample: gstreamer::Sample },
}

/// Counters and flags shared between a tap and its consumer.
#[derive(Debug, Default)]
pub struct TapShared {
    pub dropped: AtomicU64,
    /// Set by the consumer when it needs a keyframe (it started, or resumed);
    /// the worker asks the origin and clears it.
    pub wants_keyframe: AtomicBool,
}

/// The worker's end.
#[derive(Debug, Clone)]
pub struct Tap {
    key: u64,
    sender: SyncSender<Input>,
    pub shared: Arc<TapShared>,
}

impl Tap {
    pub fn new(key: u64, sender: SyncSender<Input>, shared: Arc<TapShared>) -> Self {
        Self { key, sender, shared }
    }

    /// Hands a frame over without blocking; false when it was dropped.
    pub fn offer(&self, frame: Frame) -> bool {
        match self.sender.try_send(Input::Frame { key: self.key, frame }) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
            Err(TrySendError::Disconnected(_)) => false,
        }
    }

    /// Whether the consumer asked for a keyframe (clears the request).
    pub fn take_keyframe_request(&self) -> bool {
        self.shared.wants_keyframe.swap(false, Ordering::Relaxed)
    }
}

/// Frames a recorder or Composite may have waiting: about 2 s of 30 fps video and 50 fps audio.
pub const QUEUE_FRAMES: usize = 256;

pub fn queue() -> (SyncSender<Input>, Receiver<Input>) {
    sync_channel(QUEUE_FRAMES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame {
            media: MediaType::Video,
            codec: Codec::Vp8,
            rtp_time: 0,
            clock_rate: 90_000,
            keyframe: false,
            arrival: Instant::now(),
            data: Arc::from(&[1u8, 2, 3][..]),
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_without_blocking() {
        let (sender, receiver) = sync_channel(2);
        let tap = Tap::new(7, sender, Arc::default());
        assert!(tap.offer(frame()) && tap.offer(frame()));
        assert!(!tap.offer(frame()), "the third does not fit");
        assert_eq!(tap.shared.dropped.load(Ordering::Relaxed), 1);
        match receiver.recv().unwrap() {
            Input::Frame { key, frame } => assert_eq!((key, &frame.data[..]), (7, &[1u8, 2, 3][..])),
            Input::Raw { .. } => panic!("a frame was sent"),
        }
        assert!(tap.offer(frame()), "room again after one was taken");
        drop(receiver);
        assert!(!tap.offer(frame()));
        assert_eq!(tap.shared.dropped.load(Ordering::Relaxed), 1, "a gone consumer is not a drop");
    }

    #[test]
    fn keyframe_requests_are_taken_once() {
        let (sender, _receiver) = sync_channel(1);
        let tap = Tap::new(0, sender, Arc::default());
        assert!(!tap.take_keyframe_request());
        tap.shared.wants_keyframe.store(true, Ordering::Relaxed);
        assert!(tap.take_keyframe_request());
        assert!(!tap.take_keyframe_request());
    }
}
