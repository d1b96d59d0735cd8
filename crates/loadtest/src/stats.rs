//! What each client counts, shared between its engine thread (which writes)
//! and the rest of the program (which reads snapshots).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Reception counters of one incoming track (audio or video) of a subscriber.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackStats {
    /// Distinct RTP packets received (retransmissions that repaired a loss count once).
    pub packets: u64,
    /// RTP payload bytes.
    pub bytes: u64,
    /// Whole frames: video packets with the marker bit (a frame's last packet); every audio packet.
    pub frames: u64,
    /// Extended sequence numbers of the first and the highest packet seen.
    pub first_seq: Option<u64>,
    pub highest_seq: Option<u64>,
    /// RFC 3550 interarrival jitter, in seconds.
    pub jitter: f64,
    /// Keyframes seen (video only).
    pub keyframes: u64,
}

impl TrackStats {
    /// Packets the sender numbered between the first and the highest seen.
    pub fn expected(&self) -> u64 {
        match (self.first_seq, self.highest_seq) {
            (Some(first), Some(highest)) => highest.saturating_sub(first) + 1,
            _ => 0,
        }
    }

    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.packets)
    }
}

/// The counters of one client (publisher or subscriber).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerStats {
    /// ICE connected and DTLS established (str0m's `Event::Connected`).
    pub connected_at: Option<Instant>,
    /// ICE reported `Disconnected` after being connected, or str0m failed.
    pub disconnected: bool,
    pub failed: Option<String>,
    // -- publisher --
    pub audio_packets_sent: u64,
    pub video_frames_sent: u64,
    pub keyframes_sent: u64,
    /// Frames str0m refused (its send queue was full).
    pub write_errors: u64,
    /// PLI/FIR received from the server.
    pub keyframe_requests_received: u64,
    pub last_keyframe_request_at: Option<Instant>,
    // -- subscriber --
    pub audio: TrackStats,
    pub video: TrackStats,
    pub first_keyframe_at: Option<Instant>,
    pub keyframe_requests_sent: u64,
    // -- both --
    /// Datagrams the socket would not take.
    pub send_errors: u64,
}

impl PeerStats {
    /// Time from connection to the first keyframe received.
    pub fn time_to_first_keyframe(&self) -> Option<std::time::Duration> {
        Some(self.first_keyframe_at?.saturating_duration_since(self.connected_at?))
    }

    pub fn received_packets(&self) -> u64 {
        self.audio.packets + self.video.packets
    }
}

/// A client's counters behind a lock: the engine updates them, anyone may copy them.
#[derive(Debug, Clone, Default)]
pub struct SharedStats(Arc<Mutex<PeerStats>>);

impl SharedStats {
    pub fn lock(&self) -> MutexGuard<'_, PeerStats> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn snapshot(&self) -> PeerStats {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_is_what_the_sequence_numbers_say_is_missing() {
        let track = TrackStats { packets: 8, first_seq: Some(100), highest_seq: Some(109), ..Default::default() };
        assert_eq!((track.expected(), track.lost()), (10, 2));
        assert_eq!(TrackStats::default().expected(), 0);
    }
}
