//! The numbers a run reports, computed from two samples of every client's
//! counters (start and end of the measured window) and of CPU time.

use std::time::Instant;

use serde_json::{Value, json};

use crate::stats::{PeerStats, TrackStats};

/// Everything counted at one instant.
#[derive(Debug, Clone)]
pub struct Sample {
    pub at: Instant,
    pub publishers: Vec<PeerStats>,
    pub subscribers: Vec<PeerStats>,
    /// The index in `publishers` of each subscriber's publisher: the one whose
    /// frames it is expected to receive (several publishers share a room in a mesh,
    /// and subscribers connect in any order).
    pub publisher_of: Vec<usize>,
    /// CPU seconds of the media node, when its pid is known.
    pub node_cpu: Option<f64>,
    /// CPU seconds of this process.
    pub own_cpu: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub publishers: usize,
    pub publishers_connected: usize,
    /// Subscribers (subscriptions, in a mesh) asked for (all publishers together), connected, and receiving
    /// both audio and video in the window.
    pub subscribers: usize,
    pub subscribers_connected: usize,
    pub subscribers_with_media: usize,
    /// Subscribers whose ICE reported a disconnection at some point, or whose str0m failed.
    pub subscribers_disconnected: usize,
    pub window_secs: f64,
    pub received_packets: u64,
    pub received_pps: f64,
    pub audio_pps: f64,
    pub video_pps: f64,
    pub received_kbps: f64,
    /// Packets the server numbered for the subscribers in the window; the received ones plus the lost.
    pub forwarded_packets: u64,
    pub lost_packets: u64,
    pub loss_percent: f64,
    /// Frames (audio packets, video frames) sent in the window by each subscriber's own publisher,
    /// summed over the subscribers connected at its start, against those the subscribers received
    /// whole: also counts frames the server dropped before packetizing, which leave no sequence gap.
    pub frames_expected: u64,
    pub frames_received: u64,
    pub frame_loss_percent: f64,
    /// Mean and max over subscribers of the RFC 3550 jitter at the end of the window.
    pub audio_jitter_ms: f64,
    pub video_jitter_ms: f64,
    pub max_jitter_ms: f64,
    /// Time from a subscriber's connection to its first keyframe.
    pub keyframe_median_ms: Option<f64>,
    pub keyframe_max_ms: Option<f64>,
    pub subscribers_without_keyframe: usize,
    pub keyframe_requests_to_publishers: u64,
    /// Frames (audio packets + video frames) the publishers wrote per second, and those str0m refused.
    pub publisher_fps: f64,
    pub publisher_write_errors: u64,
    pub node_cpu_seconds: Option<f64>,
    pub node_cpu_percent: Option<f64>,
    /// Node CPU time per forwarded packet, in microseconds.
    pub node_cpu_us_per_packet: Option<f64>,
    pub loadtest_cpu_percent: Option<f64>,
}

fn delta(end: &TrackStats, start: Option<&TrackStats>) -> (u64, u64, u64) {
    let zero = TrackStats::default();
    let start = start.unwrap_or(&zero);
    (
        end.packets.saturating_sub(start.packets),
        end.bytes.saturating_sub(start.bytes),
        end.expected().saturating_sub(start.expected()),
    )
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

impl Report {
    /// The window from `start` to `end`; `subscribers` is how many were asked for.
    pub fn compute(start: &Sample, end: &Sample, subscribers: usize) -> Self {
        let window = end.at.saturating_duration_since(start.at).as_secs_f64().max(1e-9);
        let mut report = Report {
            publishers: end.publishers.len(),
            publishers_connected: end.publishers.iter().filter(|p| p.connected_at.is_some()).count(),
            subscribers,
            subscribers_connected: end.subscribers.iter().filter(|s| s.connected_at.is_some()).count(),
            subscribers_disconnected: end.subscribers.iter().filter(|s| s.disconnected || s.failed.is_some()).count(),
            window_secs: window,
            ..Report::default()
        };
        let (mut audio, mut video, mut bytes) = (0u64, 0u64, 0u64);
        let (mut audio_jitter, mut video_jitter, mut keyframes) = (Vec::new(), Vec::new(), Vec::new());
        let publisher_frames = |sample: &Sample, index: usize| {
            sample.publishers.get(index).map_or(0, |p| p.audio_packets_sent + p.video_frames_sent)
        };
        for (index, after) in end.subscribers.iter().enumerate() {
            let before = start.subscribers.get(index);
            if let (Some(before), Some(&publisher)) = (before, end.publisher_of.get(index))
                && before.connected_at.is_some()
            {
                let sent = publisher_frames(end, publisher).saturating_sub(publisher_frames(start, publisher));
                report.frames_expected += sent;
                report.frames_received +=
                    (after.audio.frames + after.video.frames).saturating_sub(before.audio.frames + before.video.frames);
            }
            let (audio_packets, audio_bytes, audio_expected) = delta(&after.audio, before.map(|b| &b.audio));
            let (video_packets, video_bytes, video_expected) = delta(&after.video, before.map(|b| &b.video));
            audio += audio_packets;
            video += video_packets;
            bytes += audio_bytes + video_bytes;
            report.forwarded_packets += audio_expected + video_expected;
            if audio_packets > 0 && video_packets > 0 {
                report.subscribers_with_media += 1;
            }
            if audio_packets > 0 {
                audio_jitter.push(after.audio.jitter * 1000.0);
            }
            if video_packets > 0 {
                video_jitter.push(after.video.jitter * 1000.0);
            }
            match after.time_to_first_keyframe() {
                Some(wait) => keyframes.push(wait.as_secs_f64() * 1000.0),
                None if after.connected_at.is_some() => report.subscribers_without_keyframe += 1,
                None => {}
            }
        }
        report.received_packets = audio + video;
        report.received_pps = report.received_packets as f64 / window;
        report.audio_pps = audio as f64 / window;
        report.video_pps = video as f64 / window;
        report.received_kbps = bytes as f64 * 8.0 / 1000.0 / window;
        report.lost_packets = report.forwarded_packets.saturating_sub(report.received_packets);
        if report.forwarded_packets > 0 {
            report.loss_percent = report.lost_packets as f64 * 100.0 / report.forwarded_packets as f64;
        }
        if report.frames_expected > 0 {
            let missing = report.frames_expected.saturating_sub(report.frames_received);
            report.frame_loss_percent = missing as f64 * 100.0 / report.frames_expected as f64;
        }
        report.audio_jitter_ms = mean(&audio_jitter);
        report.video_jitter_ms = mean(&video_jitter);
        report.max_jitter_ms = audio_jitter.iter().chain(&video_jitter).copied().fold(0.0, f64::max);
        report.keyframe_max_ms = keyframes.iter().copied().reduce(f64::max);
        report.keyframe_median_ms = median(&mut keyframes);
        report.keyframe_requests_to_publishers = end
            .publishers
            .iter()
            .enumerate()
            .map(|(i, p)| {
                p.keyframe_requests_received
                    .saturating_sub(start.publishers.get(i).map_or(0, |s| s.keyframe_requests_received))
            })
            .sum();
        let mut published = 0;
        for (index, after) in end.publishers.iter().enumerate() {
            let before = start.publishers.get(index);
            published += publisher_frames(end, index).saturating_sub(publisher_frames(start, index));
            report.publisher_write_errors += after.write_errors.saturating_sub(before.map_or(0, |b| b.write_errors));
        }
        report.publisher_fps = published as f64 / window;
        if let (Some(a), Some(b)) = (start.node_cpu, end.node_cpu) {
            let seconds = (b - a).max(0.0);
            report.node_cpu_seconds = Some(seconds);
            report.node_cpu_percent = Some(seconds * 100.0 / window);
            if report.forwarded_packets > 0 {
                report.node_cpu_us_per_packet = Some(seconds * 1e6 / report.forwarded_packets as f64);
            }
        }
        if let (Some(a), Some(b)) = (start.own_cpu, end.own_cpu) {
            report.loadtest_cpu_percent = Some((b - a).max(0.0) * 100.0 / window);
        }
        report
    }

    /// Whether any media reached any subscriber in the window.
    pub fn media_flowed(&self) -> bool {
        self.received_packets > 0
    }

    pub fn to_json(&self) -> Value {
        json!({
            "publishers": self.publishers,
            "publishers_connected": self.publishers_connected,
            "subscribers": self.subscribers,
            "subscribers_connected": self.subscribers_connected,
            "subscribers_with_media": self.subscribers_with_media,
            "subscribers_disconnected": self.subscribers_disconnected,
            "window_secs": self.window_secs,
            "received_packets": self.received_packets,
            "received_pps": self.received_pps,
            "audio_pps": self.audio_pps,
            "video_pps": self.video_pps,
            "received_kbps": self.received_kbps,
            "forwarded_packets": self.forwarded_packets,
            "lost_packets": self.lost_packets,
            "loss_percent": self.loss_percent,
            "frames_expected": self.frames_expected,
            "frames_received": self.frames_received,
            "frame_loss_percent": self.frame_loss_percent,
            "audio_jitter_ms": self.audio_jitter_ms,
            "video_jitter_ms": self.video_jitter_ms,
            "max_jitter_ms": self.max_jitter_ms,
            "keyframe_median_ms": self.keyframe_median_ms,
            "keyframe_max_ms": self.keyframe_max_ms,
            "subscribers_without_keyframe": self.subscribers_without_keyframe,
            "keyframe_requests_to_publishers": self.keyframe_requests_to_publishers,
            "publisher_fps": self.publisher_fps,
            "publisher_write_errors": self.publisher_write_errors,
            "node_cpu_seconds": self.node_cpu_seconds,
            "node_cpu_percent": self.node_cpu_percent,
            "node_cpu_us_per_packet": self.node_cpu_us_per_packet,
            "loadtest_cpu_percent": self.loadtest_cpu_percent,
        })
    }

    /// A few lines for people.
    pub fn summary(&self) -> String {
        let opt = |v: Option<f64>, unit: &str| v.map_or("n/a".to_string(), |v| format!("{v:.1}{unit}"));
        let us = self.node_cpu_us_per_packet.map_or("n/a".to_string(), |v| format!("{v:.2} us"));
        format!(
            "publishers {}/{} connected, subscribers {}/{} connected, {} with audio+video, {} disconnected or failed\n\
             window {:.1} s: received {:.0} packets/s ({:.0} audio, {:.0} video), {:.0} kbit/s\n\
             RTP loss {:.3} % ({} of {} forwarded packets), frame loss {:.3} % ({} of {} frames sent)\n\
             jitter audio {:.2} ms, video {:.2} ms, max {:.2} ms\n\
             first keyframe after connection: median {}, max {}, {} subscribers without one; {} keyframe requests reached publishers\n\
             publishers wrote {:.1} frames/s ({} refused)\n\
             node CPU {} of a core, {} per forwarded packet; load generator CPU {}",
            self.publishers_connected,
            self.publishers,
            self.subscribers_connected,
            self.subscribers,
            self.subscribers_with_media,
            self.subscribers_disconnected,
            self.window_secs,
            self.received_pps,
            self.audio_pps,
            self.video_pps,
            self.received_kbps,
            self.loss_percent,
            self.lost_packets,
            self.forwarded_packets,
            self.frame_loss_percent,
            self.frames_expected.saturating_sub(self.frames_received),
            self.frames_expected,
            self.audio_jitter_ms,
            self.video_jitter_ms,
            self.max_jitter_ms,
            opt(self.keyframe_median_ms, " ms"),
            opt(self.keyframe_max_ms, " ms"),
            self.subscribers_without_keyframe,
            self.keyframe_requests_to_publishers,
            self.publisher_fps,
            self.publisher_write_errors,
            opt(self.node_cpu_percent, " %"),
            us,
            opt(self.loadtest_cpu_percent, " %"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn subscriber(packets: u64, highest: u64, jitter: f64) -> PeerStats {
        let track = |packets| TrackStats {
            packets,
            bytes: packets * 100,
            frames: packets,
            first_seq: Some(1),
            highest_seq: Some(highest),
            jitter,
            keyframes: 0,
        };
        PeerStats {
            connected_at: Some(Instant::now()),
            audio: track(packets),
            video: track(packets),
            ..PeerStats::default()
        }
    }

    #[test]
    fn window_rates_loss_and_cpu() {
        let t0 = Instant::now();
        let start = Sample {
            at: t0,
            publishers: vec![PeerStats { audio_packets_sent: 100, video_frames_sent: 100, ..PeerStats::default() }],
            subscribers: vec![subscriber(100, 100, 0.001)],
            publisher_of: vec![0],
            node_cpu: Some(10.0),
            own_cpu: Some(1.0),
        };
        let end = Sample {
            at: t0 + Duration::from_secs(2),
            publishers: vec![PeerStats {
                audio_packets_sent: 200,
                video_frames_sent: 200,
                keyframe_requests_received: 3,
                ..PeerStats::default()
            }],
            // 99 more packets (and frames) per track out of 100 numbered and sent.
            subscribers: vec![subscriber(199, 200, 0.002)],
            publisher_of: vec![0],
            node_cpu: Some(10.5),
            own_cpu: Some(2.0),
        };
        let report = Report::compute(&start, &end, 1);
        assert_eq!(report.received_packets, 198);
        assert_eq!(report.forwarded_packets, 200);
        assert_eq!(report.lost_packets, 2);
        assert!((report.loss_percent - 1.0).abs() < 1e-9);
        assert!((report.received_pps - 99.0).abs() < 1e-9);
        assert!((report.video_jitter_ms - 2.0).abs() < 1e-9);
        assert!((report.node_cpu_percent.unwrap() - 25.0).abs() < 1e-9);
        assert!((report.node_cpu_us_per_packet.unwrap() - 2500.0).abs() < 1e-6);
        assert!((report.loadtest_cpu_percent.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(report.keyframe_requests_to_publishers, 3);
        assert_eq!(report.subscribers_with_media, 1);
        assert!(report.media_flowed());
        assert_eq!(report.to_json()["lost_packets"], 2);
        assert_eq!((report.frames_expected, report.frames_received), (200, 198));
        assert!((report.frame_loss_percent - 1.0).abs() < 1e-9);
        assert!(report.summary().contains("RTP loss 1.000 %"));
    }

    /// A subscriber is held to what its own publisher sent, not another's (in a mesh,
    /// publishers that joined at different times have sent different amounts).
    #[test]
    fn frames_expected_follow_each_subscribers_publisher() {
        let t0 = Instant::now();
        let publisher =
            |audio, video| PeerStats { audio_packets_sent: audio, video_frames_sent: video, ..PeerStats::default() };
        // Connected only after the window started: received media counts, expectations do not.
        let late = PeerStats::default();
        let start = Sample {
            at: t0,
            publishers: vec![publisher(100, 100), publisher(10, 10)],
            subscribers: vec![subscriber(10, 10, 0.0), subscriber(100, 100, 0.0), subscriber(100, 100, 0.0), late],
            publisher_of: vec![1, 0, 0, 1],
            node_cpu: None,
            own_cpu: None,
        };
        let end = Sample {
            at: t0 + Duration::from_secs(1),
            // Publisher 0 sent 50 + 50 frames in the window, publisher 1 sent 20 + 20.
            publishers: vec![publisher(150, 150), publisher(30, 30)],
            subscribers: vec![
                subscriber(30, 30, 0.0),
                subscriber(150, 150, 0.0),
                subscriber(149, 150, 0.0),
                subscriber(30, 30, 0.0),
            ],
            publisher_of: vec![1, 0, 0, 1],
            node_cpu: None,
            own_cpu: None,
        };
        let report = Report::compute(&start, &end, 4);
        // 40 for the first subscriber, 100 for each of publisher 0's; the last was not connected at the start.
        assert_eq!(report.frames_expected, 240);
        assert_eq!(report.frames_received, 40 + 100 + 98);
        assert_eq!((report.forwarded_packets, report.lost_packets), (40 + 100 + 100 + 60, 2));
        assert_eq!(report.publisher_fps, 140.0);
        assert_eq!((report.subscribers, report.subscribers_connected, report.subscribers_with_media), (4, 4, 4));
    }
}
