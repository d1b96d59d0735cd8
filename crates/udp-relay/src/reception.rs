//! What one receiver counts of the relayed packets, in plenum-loadtest's own
//! counters ([`PeerStats`], [`TrackStats`], its RFC 3550 [`Jitter`]), so that
//! its [`plenum_loadtest::Report`] computes loss, rates and jitter for the relay
//! exactly as it does for an SFU.

use std::time::Instant;

use plenum_loadtest::stats::{PeerStats, TrackStats};
use plenum_loadtest::subscriber::Jitter;
use plenum_loadtest::vp8;

use crate::packetize::{AUDIO_SSRC, VIDEO_SSRC};
use crate::rtp::Header;
use crate::unwrap::Unwrapper;

/// The RTP state of one incoming stream.
#[derive(Debug, Clone, Copy)]
struct Stream {
    clock: u32,
    seq: Unwrapper,
    timestamp: Unwrapper,
    jitter: Jitter,
}

impl Stream {
    fn new(clock: u32) -> Self {
        Self { clock, seq: Unwrapper::new(16), timestamp: Unwrapper::new(32), jitter: Jitter::default() }
    }
}

/// What a datagram was to a receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Audio,
    Video,
    /// Not RTP, or not one of the two streams.
    Ignored,
}

/// The counters of one receiver.
#[derive(Debug, Clone)]
pub struct Reception {
    pub stats: PeerStats,
    audio: Stream,
    video: Stream,
}

impl Default for Reception {
    fn default() -> Self {
        Self {
            stats: PeerStats::default(),
            audio: Stream::new(plenum_loadtest::clip::AUDIO_CLOCK),
            video: Stream::new(plenum_loadtest::clip::VIDEO_CLOCK),
        }
    }
}

impl Reception {
    /// Counts one datagram that arrived at `arrival`, `arrival_secs` after a
    /// fixed epoch (the same for every packet of the receiver).
    pub fn on_datagram(&mut self, datagram: &[u8], arrival: Instant, arrival_secs: f64) -> Counted {
        let Some((header, payload)) = Header::parse(datagram) else { return Counted::Ignored };
        let (counted, track, stream): (_, &mut TrackStats, _) = match header.ssrc {
            AUDIO_SSRC => (Counted::Audio, &mut self.stats.audio, &mut self.audio),
            VIDEO_SSRC => (Counted::Video, &mut self.stats.video, &mut self.video),
            _ => return Counted::Ignored,
        };
        let seq = stream.seq.extend(u64::from(header.seq));
        let rtp_time = stream.timestamp.extend(u64::from(header.timestamp));
        track.packets += 1;
        track.bytes += payload.len() as u64;
        track.frames += u64::from(counted == Counted::Audio || header.marker);
        track.first_seq = Some(track.first_seq.map_or(seq, |first| first.min(seq)));
        track.highest_seq = Some(track.highest_seq.map_or(seq, |highest| highest.max(seq)));
        track.jitter = stream.jitter.update(arrival_secs, rtp_time, stream.clock);
        if counted == Counted::Video && vp8::payload_starts_keyframe(payload) {
            track.keyframes += 1;
            self.stats.first_keyframe_at.get_or_insert(arrival);
        }
        counted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packetize::Packetizer;

    #[test]
    fn counts_packets_frames_loss_and_jitter_per_stream() {
        let mut packetizer = Packetizer::default();
        let mut reception = Reception::default();
        let now = Instant::now();
        let mut out = Vec::new();
        for i in 0..100u32 {
            let at = f64::from(i) * 0.02;
            packetizer.audio(i * 960, b"opus!", &mut out);
            // Every tenth audio packet is lost.
            if i % 10 != 3 {
                assert_eq!(reception.on_datagram(&out[0], now, at), Counted::Audio);
            }
            packetizer.video(i * 1800, &[0x01; 1500], &mut out);
            assert_eq!(out.len(), 2);
            for packet in &out {
                assert_eq!(reception.on_datagram(packet, now, at), Counted::Video);
            }
        }
        let (audio, video) = (&reception.stats.audio, &reception.stats.video);
        assert_eq!((audio.packets, audio.frames, audio.bytes), (90, 90, 450));
        assert_eq!((audio.expected(), audio.lost()), (100, 10), "across the sequence wrap");
        assert_eq!((video.packets, video.frames, video.expected(), video.lost()), (200, 100, 200, 0));
        assert_eq!(video.keyframes, 0);
        assert!(audio.jitter < 1e-9 && video.jitter < 1e-9, "perfect pacing, no jitter");
    }

    #[test]
    fn late_packets_make_jitter_and_keyframes_are_seen() {
        let mut packetizer = Packetizer::default();
        let mut reception = Reception::default();
        let now = Instant::now();
        let mut out = Vec::new();
        for i in 0..300u32 {
            let late = if i % 2 == 1 { 0.004 } else { 0.0 };
            packetizer.video(i * 3000, &[0x00, 0x02], &mut out);
            reception.on_datagram(&out[0], now, f64::from(i) / 30.0 + late);
        }
        let video = &reception.stats.video;
        assert!((video.jitter - 0.004).abs() < 0.0003, "jitter {} s", video.jitter);
        assert_eq!(video.keyframes, 300);
        assert_eq!(reception.stats.first_keyframe_at, Some(now));
    }

    #[test]
    fn ignores_what_is_not_one_of_the_streams() {
        let mut reception = Reception::default();
        let now = Instant::now();
        assert_eq!(reception.on_datagram(b"JOINED", now, 0.0), Counted::Ignored);
        assert_eq!(reception.on_datagram(&[0x80; 40], now, 0.0), Counted::Ignored, "unknown SSRC");
        assert_eq!(reception.on_datagram(&[], now, 0.0), Counted::Ignored);
        assert_eq!(reception.stats.received_packets(), 0);
    }
}
