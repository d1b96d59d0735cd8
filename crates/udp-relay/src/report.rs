//! The relay run's report: plenum-loadtest's [`Report`] (the same JSON keys,
//! computed by the same code, so the benchmark reads the relay and the SFUs
//! alike) plus what only this baseline measures: the relay's memory, the
//! publisher's packet rate and the kernel's receive-buffer drops.

use plenum_loadtest::Report;
use serde_json::{Value, json};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RelayReport {
    pub report: Report,
    /// Packets the relay sent to the receivers per second (received + lost).
    pub forwarded_pps: f64,
    /// RTP packets the publisher sent per second.
    pub published_pps: f64,
    /// The relay's resident memory at the end of the window, and its peak.
    pub node_rss_kib: Option<u64>,
    pub node_rss_peak_kib: Option<u64>,
    /// Datagrams the kernel dropped in the window because a socket's receive buffer was full (all sockets).
    pub window_udp_rcvbuf_errors: Option<u64>,
}

impl RelayReport {
    pub fn new(report: Report) -> Self {
        let window = report.window_secs.max(1e-9);
        Self { forwarded_pps: report.forwarded_packets as f64 / window, report, ..Self::default() }
    }

    /// plenum-loadtest's JSON object with this baseline's keys added.
    pub fn to_json(&self) -> Value {
        let mut value = self.report.to_json();
        if let Value::Object(map) = &mut value {
            let extra = json!({
                "server": "udp-relay",
                "forwarded_pps": self.forwarded_pps,
                "published_pps": self.published_pps,
                "node_cpu_seconds_per_packet": self.report.node_cpu_us_per_packet.map(|us| us / 1e6),
                "node_rss_kib": self.node_rss_kib,
                "node_rss_peak_kib": self.node_rss_peak_kib,
                "window_udp_rcvbuf_errors": self.window_udp_rcvbuf_errors,
            });
            if let Value::Object(extra) = extra {
                map.extend(extra);
            }
        }
        value
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        let r = &self.report;
        let or_na = |v: Option<String>| v.unwrap_or_else(|| "n/a".into());
        format!(
            "udp-relay: {}/{} subscribers joined, {} with audio+video; {:.1} s window: forwarded {:.0} pkt/s \
             (published {:.0} pkt/s), received {:.0} pkt/s, loss {:.3} % ({} of {}), frame loss {:.3} %, \
             jitter audio {:.2} ms video {:.2} ms max {:.2} ms; relay CPU {} of a core, {} per forwarded packet, \
             RSS {}; load generator CPU {}; kernel rcvbuf drops {}",
            r.subscribers_connected,
            r.subscribers,
            r.subscribers_with_media,
            r.window_secs,
            self.forwarded_pps,
            self.published_pps,
            r.received_pps,
            r.loss_percent,
            r.lost_packets,
            r.forwarded_packets,
            r.frame_loss_percent,
            r.audio_jitter_ms,
            r.video_jitter_ms,
            r.max_jitter_ms,
            or_na(r.node_cpu_percent.map(|v| format!("{v:.1} %"))),
            or_na(r.node_cpu_us_per_packet.map(|v| format!("{v:.3} us"))),
            or_na(self.node_rss_kib.map(|v| format!("{:.1} MiB", v as f64 / 1024.0))),
            or_na(r.loadtest_cpu_percent.map(|v| format!("{v:.1} %"))),
            or_na(self.window_udp_rcvbuf_errors.map(|v| v.to_string())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_the_loadtest_json() {
        let report = Report {
            subscribers: 3,
            window_secs: 2.0,
            forwarded_packets: 1000,
            node_cpu_us_per_packet: Some(1.5),
            ..Report::default()
        };
        let mut relay = RelayReport::new(report);
        relay.node_rss_kib = Some(2048);
        let json = relay.to_json();
        assert_eq!(json["subscribers"], 3, "loadtest keys are kept");
        assert_eq!(json["loss_percent"], 0.0);
        assert_eq!(json["forwarded_pps"], 500.0);
        assert_eq!(json["node_rss_kib"], 2048);
        assert!((json["node_cpu_seconds_per_packet"].as_f64().unwrap() - 1.5e-6).abs() < 1e-15);
        assert_eq!(json["server"], "udp-relay");
        let summary = relay.summary();
        assert!(summary.contains("forwarded 500 pkt/s") && summary.contains("RSS 2.0 MiB"), "{summary}");
        assert!(!summary.contains('\n'));
    }
}
