//! A subscriber's bookkeeping on received RTP: packet and byte counts, the
//! sequence span for loss, RFC 3550 interarrival jitter, keyframes, and when
//! to ask for one.

use std::time::{Duration, Instant};

use str0m::media::{MediaKind, Mid};
use str0m::rtp::RtpPacket;

use crate::stats::{PeerStats, TrackStats};
use crate::vp8;

/// How often a subscriber still waiting for its first keyframe asks again.
pub const KEYFRAME_RETRY: Duration = Duration::from_millis(500);

/// RFC 3550 §6.4.1 / A.8: J += (|D| - J) / 16, with D the change in transit time.
#[derive(Debug, Default, Clone, Copy)]
pub struct Jitter {
    last_transit: Option<f64>,
    /// In RTP clock units.
    value: f64,
}

impl Jitter {
    /// Updates with one packet: its arrival (seconds since any fixed epoch) and its RTP time (clock units).
    pub fn update(&mut self, arrival_secs: f64, rtp_time: u64, clock: u32) -> f64 {
        let transit = arrival_secs * f64::from(clock) - rtp_time as f64;
        if let Some(last) = self.last_transit.replace(transit) {
            self.value += ((transit - last).abs() - self.value) / 16.0;
        }
        self.value / f64::from(clock)
    }
}

#[derive(Debug)]
pub struct Subscriber {
    audio_mid: Mid,
    video_mid: Mid,
    epoch: Option<Instant>,
    audio_jitter: Jitter,
    video_jitter: Jitter,
    /// Ask for a keyframe until the first one arrives (as a browser's decoder would).
    auto_keyframe: bool,
    last_request: Option<Instant>,
}

impl Subscriber {
    pub fn new(audio_mid: Mid, video_mid: Mid, auto_keyframe: bool) -> Self {
        Self {
            audio_mid,
            video_mid,
            epoch: None,
            audio_jitter: Jitter::default(),
            video_jitter: Jitter::default(),
            auto_keyframe,
            last_request: None,
        }
    }

    pub fn video_mid(&self) -> Mid {
        self.video_mid
    }

    pub fn kind_of(&self, mid: Mid) -> Option<MediaKind> {
        if mid == self.audio_mid {
            Some(MediaKind::Audio)
        } else if mid == self.video_mid {
            Some(MediaKind::Video)
        } else {
            None
        }
    }

    /// Counts one new packet of `kind`.
    pub fn on_packet(&mut self, kind: MediaKind, packet: &RtpPacket, stats: &mut PeerStats) {
        let epoch = *self.epoch.get_or_insert(packet.timestamp);
        let arrival = packet.timestamp.saturating_duration_since(epoch).as_secs_f64();
        let seq = *packet.seq_no;
        let (track, jitter): (&mut TrackStats, _) = match kind {
            MediaKind::Audio => (&mut stats.audio, &mut self.audio_jitter),
            MediaKind::Video => (&mut stats.video, &mut self.video_jitter),
        };
        track.packets += 1;
        track.bytes += packet.payload.len() as u64;
        track.frames += u64::from(kind == MediaKind::Audio || packet.header.marker);
        track.first_seq = Some(track.first_seq.map_or(seq, |first| first.min(seq)));
        track.highest_seq = Some(track.highest_seq.map_or(seq, |highest| highest.max(seq)));
        track.jitter = jitter.update(arrival, packet.time.numer(), packet.time.frequency().get());
        if kind == MediaKind::Video && vp8::payload_starts_keyframe(&packet.payload) {
            track.keyframes += 1;
            stats.first_keyframe_at.get_or_insert(packet.timestamp);
        }
    }

    /// Whether to send a keyframe request now: video flows but no keyframe came yet.
    pub fn should_request_keyframe(&mut self, now: Instant, stats: &PeerStats) -> bool {
        let waiting = self.auto_keyframe && stats.first_keyframe_at.is_none() && stats.video.packets > 0;
        if !waiting || self.last_request.is_some_and(|last| now.saturating_duration_since(last) < KEYFRAME_RETRY) {
            return false;
        }
        self.last_request = Some(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_zero_for_perfect_pacing_and_grows_with_irregular_arrivals() {
        let mut jitter = Jitter::default();
        for i in 0..50u64 {
            assert!(jitter.update(i as f64 * 0.02, 1000 + i * 960, 48_000) < 1e-9);
        }
        let mut jitter = Jitter::default();
        let mut last = 0.0;
        for i in 0..200u64 {
            // Every other packet arrives 10 ms late.
            let late = if i % 2 == 1 { 0.010 } else { 0.0 };
            last = jitter.update(i as f64 * 0.02 + late, i * 960, 48_000);
        }
        // |D| is 10 ms for every packet, so J converges to 10 ms.
        assert!((last - 0.010).abs() < 0.0005, "jitter {last}");
    }
}
