//! The per-stream WebRTC charts' numbers: each endpoint's `getStats` answer
//! turned into bitrate, packet loss, jitter, RTT and frames per second.
//!
//! Pure: the node reports totals (bytes, frames) and the latest loss, jitter and
//! RTT; rates need the previous totals, which [`StreamRates`] keeps per endpoint
//! with the time they were read. The sampler gives it `now`.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// One endpoint's figures at one sample, per media type (`audio`, `video`).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct MediaFigures {
    /// Received (a publisher's endpoint) or sent (a subscription), kbit/s since the previous sample.
    pub kbps: Option<f64>,
    /// Per cent of packets lost, as the last RTCP report says.
    pub loss_percent: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub rtt_ms: Option<f64>,
    pub fps: Option<f64>,
}

#[derive(Debug, Clone, Copy)]
struct Totals {
    at_ms: u64,
    bytes: u64,
    frames: u64,
}

/// The previous totals of every endpoint and media type.
#[derive(Debug, Default)]
pub struct StreamRates {
    last: HashMap<(String, String), Totals>,
}

impl StreamRates {
    /// The figures of `endpoint` from its `getStats` answer read at `now_ms`.
    pub fn update(&mut self, endpoint: &str, stats: &Map<String, Value>, now_ms: u64) -> HashMap<String, MediaFigures> {
        let mut figures = HashMap::new();
        for stat in stats.values() {
            let number = |key: &str| stat.get(key).and_then(Value::as_f64);
            let count = |key: &str| stat.get(key).and_then(Value::as_u64);
            let Some(media) = stat.get("mediaType").and_then(Value::as_str) else { continue };
            let (bytes, frames) = match stat.get("type").and_then(Value::as_str) {
                Some("inboundrtp") => (count("bytesReceived"), count("framesReceived")),
                Some("outboundrtp") => (count("bytesSent"), count("framesSent")),
                _ => continue,
            };
            let now = Totals { at_ms: now_ms, bytes: bytes.unwrap_or(0), frames: frames.unwrap_or(0) };
            let key = (endpoint.to_string(), media.to_string());
            let (kbps, fps) = match self.last.insert(key, now) {
                Some(before)
                    if now.at_ms > before.at_ms && now.bytes >= before.bytes && now.frames >= before.frames =>
                {
                    let seconds = (now.at_ms - before.at_ms) as f64 / 1000.0;
                    let kbps = (now.bytes - before.bytes) as f64 * 8.0 / 1000.0 / seconds;
                    let fps = (now.frames - before.frames) as f64 / seconds;
                    (Some(kbps), (media == "video").then_some(fps))
                }
                _ => (None, None),
            };
            figures.insert(
                media.to_string(),
                MediaFigures {
                    kbps,
                    loss_percent: number("fractionLost").map(|f| f * 100.0),
                    jitter_ms: number("jitter").map(|s| s * 1000.0),
                    rtt_ms: number("roundTripTime"),
                    fps,
                },
            );
        }
        figures
    }

    /// Forgets the endpoints not in `alive` (they were released).
    pub fn retain(&mut self, alive: &[&str]) {
        self.last.retain(|(endpoint, _), _| alive.contains(&endpoint.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stats(bytes: u64, frames: u64) -> Map<String, Value> {
        let value = json!({
            "e_inbound_video": {"type": "inboundrtp", "mediaType": "video", "bytesReceived": bytes,
                "framesReceived": frames, "fractionLost": 0.02, "jitter": 0.004, "roundTripTime": 12.5},
            "e_outbound_audio": {"type": "outboundrtp", "mediaType": "audio", "bytesSent": bytes / 10, "framesSent": frames},
            "other": {"type": "endpoint"},
        });
        value.as_object().unwrap().clone()
    }

    #[test]
    fn rates_come_from_the_previous_totals() {
        let mut rates = StreamRates::default();
        let first = rates.update("e", &stats(100_000, 100), 1_000);
        assert_eq!(first["video"].kbps, None, "no rate from one sample");
        assert_eq!(first["video"].loss_percent, Some(2.0));
        assert_eq!(first["video"].jitter_ms, Some(4.0));
        assert_eq!(first["video"].rtt_ms, Some(12.5));
        let second = rates.update("e", &stats(350_000, 160), 3_000);
        assert_eq!(second["video"].kbps, Some(1_000.0), "250 kB in 2 s");
        assert_eq!(second["video"].fps, Some(30.0));
        assert_eq!(second["audio"].kbps, Some(100.0));
        assert_eq!(second["audio"].fps, None, "frames per second are a video figure");
        assert_eq!(second.len(), 2);
    }

    #[test]
    fn a_reset_counter_or_a_forgotten_endpoint_starts_over() {
        let mut rates = StreamRates::default();
        rates.update("e", &stats(100_000, 100), 1_000);
        assert_eq!(rates.update("e", &stats(10, 1), 2_000)["video"].kbps, None, "counters went back");
        rates.retain(&[]);
        assert_eq!(rates.update("e", &stats(20_000, 10), 3_000)["video"].kbps, None);
    }
}
