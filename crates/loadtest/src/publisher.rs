//! A publisher's media clock: which clip frame or packet is due when, with
//! RTP times that keep growing across loops of the clip. A keyframe request
//! makes the next video frame the clip's next keyframe.

use std::sync::Arc;
use std::time::{Duration, Instant};

use str0m::media::{Frequency, MediaKind, MediaTime, Mid};

use crate::clip::{AUDIO_CLOCK, Clip, VIDEO_CLOCK};

/// One frame (video) or packet (audio) to hand to str0m's writer.
#[derive(Debug, Clone)]
pub struct Due {
    pub kind: MediaKind,
    pub mid: Mid,
    /// When it is due, on the wall clock.
    pub wallclock: Instant,
    pub time: MediaTime,
    pub data: Arc<[u8]>,
    pub keyframe: bool,
}

#[derive(Debug)]
struct Track {
    mid: Mid,
    cursor: usize,
    /// RTP units since the start, at the track's clock rate.
    elapsed: u64,
    clock: u32,
}

impl Track {
    fn due_at(&self, start: Instant) -> Instant {
        start + Duration::from_nanos(self.elapsed * 1_000_000_000 / u64::from(self.clock))
    }
}

#[derive(Debug)]
pub struct Publisher {
    clip: Arc<Clip>,
    audio: Track,
    video: Track,
    start: Option<Instant>,
    keyframe_wanted: bool,
}

impl Publisher {
    pub fn new(clip: Arc<Clip>, audio_mid: Mid, video_mid: Mid) -> Self {
        Self {
            clip,
            audio: Track { mid: audio_mid, cursor: 0, elapsed: 0, clock: AUDIO_CLOCK },
            video: Track { mid: video_mid, cursor: 0, elapsed: 0, clock: VIDEO_CLOCK },
            start: None,
            keyframe_wanted: false,
        }
    }

    pub fn audio_mid(&self) -> Mid {
        self.audio.mid
    }

    pub fn video_mid(&self) -> Mid {
        self.video.mid
    }

    /// Starts the clock (once connected: str0m drops media written before).
    pub fn start(&mut self, now: Instant) {
        self.start.get_or_insert(now);
    }

    pub fn started(&self) -> bool {
        self.start.is_some()
    }

    /// When the next frame or packet is due; `None` before the start.
    pub fn next_due(&self) -> Option<Instant> {
        let start = self.start?;
        Some(self.audio.due_at(start).min(self.video.due_at(start)))
    }

    /// A keyframe request for `mid`; true when it was for the video.
    pub fn keyframe_requested(&mut self, mid: Mid) -> bool {
        if mid == self.video.mid {
            self.keyframe_wanted = true;
        }
        mid == self.video.mid
    }

    /// The next frame or packet due at `now`, if any; the earliest first.
    pub fn take_due(&mut self, now: Instant) -> Option<Due> {
        let start = self.start?;
        let (audio_at, video_at) = (self.audio.due_at(start), self.video.due_at(start));
        if audio_at.min(video_at) > now {
            return None;
        }
        Some(if audio_at <= video_at { self.take_audio(audio_at) } else { self.take_video(video_at) })
    }

    fn take_audio(&mut self, wallclock: Instant) -> Due {
        let packet = &self.clip.audio[self.audio.cursor];
        let due = Due {
            kind: MediaKind::Audio,
            mid: self.audio.mid,
            wallclock,
            time: MediaTime::new(self.audio.elapsed, Frequency::FORTY_EIGHT_KHZ),
            data: packet.data.clone(),
            keyframe: false,
        };
        self.audio.elapsed += u64::from(packet.duration);
        self.audio.cursor = (self.audio.cursor + 1) % self.clip.audio.len();
        due
    }

    fn take_video(&mut self, wallclock: Instant) -> Due {
        if std::mem::take(&mut self.keyframe_wanted) && !self.clip.video[self.video.cursor].keyframe {
            self.video.cursor = self.clip.next_keyframe(self.video.cursor);
        }
        let frame = &self.clip.video[self.video.cursor];
        let due = Due {
            kind: MediaKind::Video,
            mid: self.video.mid,
            wallclock,
            time: MediaTime::new(self.video.elapsed, Frequency::NINETY_KHZ),
            data: frame.data.clone(),
            keyframe: frame.keyframe,
        };
        self.video.elapsed += u64::from(frame.duration);
        self.video.cursor = (self.video.cursor + 1) % self.clip.video.len();
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publisher() -> Publisher {
        Publisher::new(Arc::new(Clip::builtin()), Mid::from("0"), Mid::from("1"))
    }

    #[test]
    fn nothing_is_due_before_the_start() {
        let mut publisher = publisher();
        assert_eq!(publisher.next_due(), None);
        assert!(publisher.take_due(Instant::now()).is_none());
    }

    #[test]
    fn paces_in_real_time_and_keeps_rtp_time_growing_across_loops() {
        let mut publisher = publisher();
        let start = Instant::now();
        publisher.start(start);
        let clip_len = publisher.clip.video.len();
        // 12 s of media: more than two loops of the 5 s clip.
        let end = start + Duration::from_secs(12);
        let (mut audio, mut video) = (Vec::new(), Vec::new());
        while let Some(due) = publisher.take_due(end) {
            assert!(due.wallclock <= end);
            match due.kind {
                MediaKind::Audio => audio.push(due),
                MediaKind::Video => video.push(due),
            }
        }
        assert_eq!(audio.len(), 601, "20 ms packets over 12 s, both ends included");
        assert_eq!(video.len(), 361, "30 fps over 12 s");
        assert!(video.len() > 2 * clip_len);
        for pair in video.windows(2) {
            assert_eq!(pair[1].time.numer() - pair[0].time.numer(), 3000);
        }
        for pair in audio.windows(2) {
            assert_eq!(pair[1].time.numer() - pair[0].time.numer(), 960);
        }
        assert!(video[0].keyframe && video[clip_len].keyframe);
        assert!(publisher.next_due().unwrap() > end);
    }

    #[test]
    fn a_keyframe_request_jumps_to_the_next_keyframe() {
        let mut publisher = publisher();
        let start = Instant::now();
        publisher.start(start);
        let mut video = Vec::new();
        let mut now = start;
        while video.len() < 10 {
            if let Some(due) = publisher.take_due(now) {
                if due.kind == MediaKind::Video {
                    video.push(due);
                }
            } else {
                now += Duration::from_millis(5);
            }
        }
        assert!(!publisher.keyframe_requested(Mid::from("0")));
        assert!(publisher.keyframe_requested(Mid::from("1")));
        let next = loop {
            match publisher.take_due(now) {
                Some(due) if due.kind == MediaKind::Video => break due,
                Some(_) => {}
                None => now += Duration::from_millis(5),
            }
        };
        assert!(next.keyframe);
        assert_eq!(next.time.numer() - video.last().unwrap().time.numer(), 3000, "time runs on unbroken");
    }
}
