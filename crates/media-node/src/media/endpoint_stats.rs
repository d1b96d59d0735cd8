//! What `getStats` answers for a WebRtcEndpoint: the latest of str0m's periodic
//! ingress/egress stats per media type, and the frames the worker forwarded.
//!
//! Pure: the worker hands it str0m's stats events and counts frames (plain
//! integers owned by the worker thread, nothing shared in the hot loop); the
//! answer is built on request, in Kurento's shape (a map of stats objects with
//! `type` `inboundrtp` / `outboundrtp`) plus Plenum's `mediaType` and frame counts.

use serde_json::{Map, Value, json};
use str0m::stats::{MediaEgressStats, MediaIngressStats, PeerStats};

use super::endpoint::media_index;
use crate::control::links::MediaType;

/// RTP clock rates, to turn jitter in timestamp units into seconds (Opus, video).
const CLOCK_RATE: [f64; 2] = [48_000.0, 90_000.0];
const NAMES: [&str; 2] = ["audio", "video"];

#[derive(Debug, Clone, Default, PartialEq)]
struct Ingress {
    bytes: u64,
    packets: u64,
    nacks: u64,
    plis: u64,
    firs: u64,
    jitter_units: u32,
    loss: Option<f32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Egress {
    bytes: u64,
    packets: u64,
    nacks: u64,
    plis: u64,
    firs: u64,
    rtt_ms: Option<f64>,
    loss: Option<f32>,
    remote_jitter_units: Option<u32>,
    remote_packets_lost: Option<u64>,
}

/// One endpoint's stats, per media type (audio 0, video 1).
#[derive(Debug, Default)]
pub struct EndpointStats {
    ingress: [Option<Ingress>; 2],
    egress: [Option<Egress>; 2],
    rtt_ms: Option<f64>,
    /// Frames received from the remote peer (one str0m `MediaData` each).
    pub frames_in: [u64; 2],
    /// Frames written towards the remote peer.
    pub frames_out: [u64; 2],
}

impl EndpointStats {
    pub fn ingress(&mut self, media: MediaType, stats: &MediaIngressStats) {
        let Some(i) = media_index(media) else { return };
        self.ingress[i] = Some(Ingress {
            bytes: stats.bytes,
            packets: stats.packets,
            nacks: stats.nacks,
            plis: stats.plis,
            firs: stats.firs,
            jitter_units: stats.jitter,
            loss: stats.loss,
        });
    }

    pub fn egress(&mut self, media: MediaType, stats: &MediaEgressStats) {
        let Some(i) = media_index(media) else { return };
        self.egress[i] = Some(Egress {
            bytes: stats.bytes,
            packets: stats.packets,
            nacks: stats.nacks,
            plis: stats.plis,
            firs: stats.firs,
            rtt_ms: stats.rtt.map(|d| d.as_secs_f64() * 1000.0),
            loss: stats.loss,
            remote_jitter_units: stats.remote.as_ref().map(|r| r.jitter),
            remote_packets_lost: stats.remote.as_ref().map(|r| r.packets_lost),
        });
    }

    pub fn peer(&mut self, stats: &PeerStats) {
        self.rtt_ms = stats.rtt.map(|d| d.as_secs_f64() * 1000.0).or(self.rtt_ms);
    }

    /// The `getStats` answer at `now_ms`: one object per direction and media type that has stats or frames.
    pub fn json(&self, endpoint: &str, now_ms: u64) -> Value {
        let mut all = Map::new();
        let timestamp = now_ms as f64 / 1000.0;
        for i in 0..2 {
            if self.ingress[i].is_some() || self.frames_in[i] > 0 {
                let s = self.ingress[i].clone().unwrap_or_default();
                let id = format!("{endpoint}_inbound_{}", NAMES[i]);
                all.insert(
                    id.clone(),
                    json!({
                        "type": "inboundrtp", "id": id, "timestamp": timestamp, "timestampMillis": now_ms,
                        "mediaType": NAMES[i], "bytesReceived": s.bytes, "packetsReceived": s.packets,
                        "jitter": s.jitter_units as f64 / CLOCK_RATE[i], "fractionLost": s.loss,
                        "nackCount": s.nacks, "pliCount": s.plis, "firCount": s.firs,
                        "framesReceived": self.frames_in[i], "roundTripTime": self.rtt_ms,
                    }),
                );
            }
            if self.egress[i].is_some() || self.frames_out[i] > 0 {
                let s = self.egress[i].clone().unwrap_or_default();
                let id = format!("{endpoint}_outbound_{}", NAMES[i]);
                all.insert(
                    id.clone(),
                    json!({
                        "type": "outboundrtp", "id": id, "timestamp": timestamp, "timestampMillis": now_ms,
                        "mediaType": NAMES[i], "bytesSent": s.bytes, "packetsSent": s.packets,
                        "roundTripTime": s.rtt_ms.or(self.rtt_ms), "fractionLost": s.loss,
                        "jitter": s.remote_jitter_units.map(|j| j as f64 / CLOCK_RATE[i]),
                        "packetsLost": s.remote_packets_lost,
                        "nackCount": s.nacks, "pliCount": s.plis, "firCount": s.firs,
                        "framesSent": self.frames_out[i],
                    }),
                );
            }
        }
        Value::Object(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_without_media_has_no_stats_and_frames_alone_make_an_entry() {
        let mut stats = EndpointStats::default();
        assert_eq!(stats.json("e", 1_000), json!({}));
        stats.frames_in[1] = 30;
        let answer = stats.json("e", 2_500);
        let video = &answer["e_inbound_video"];
        assert_eq!(video["type"], "inboundrtp");
        assert_eq!(video["mediaType"], "video");
        assert_eq!(video["framesReceived"], 30);
        assert_eq!(video["timestampMillis"], 2_500);
        assert_eq!(video["timestamp"], 2.5);
        assert!(answer.get("e_outbound_video").is_none());
    }

    #[test]
    fn frames_out_make_an_outbound_entry_and_data_media_is_ignored() {
        let mut stats = EndpointStats::default();
        stats.frames_out[0] = 50;
        let answer = stats.json("e", 0);
        assert_eq!(answer["e_outbound_audio"]["framesSent"], 50);
        assert_eq!(answer["e_outbound_audio"]["type"], "outboundrtp");
        assert_eq!(answer.as_object().unwrap().len(), 1);
    }
}
