//! Kurento's `IceCandidate` complex type: what `addIceCandidate` takes and
//! `IceCandidateFound` carries.

use serde_json::{Value, json};

use crate::event::{Event, ICE_CANDIDATE_FOUND, complex};

/// An ICE candidate as Kurento writes it (all three fields are required there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCandidate {
    /// `candidate:…`, an SDP `a=` line without the `a=`.
    pub candidate: String,
    pub sdp_mid: String,
    pub sdp_m_line_index: u32,
}

impl IceCandidate {
    /// The wire form, with `__module__`/`__type__` as Kurento's clients send it.
    pub fn to_wire(&self) -> Value {
        complex(
            "IceCandidate",
            json!({"candidate": self.candidate, "sdpMid": self.sdp_mid, "sdpMLineIndex": self.sdp_m_line_index}),
        )
    }

    /// Reads `{candidate, sdpMid, sdpMLineIndex}` (from a node or a browser). Only
    /// `candidate` is required: a missing mid reads as empty and a missing or
    /// out-of-range index as 0, as the media node itself reads them.
    pub fn from_wire(value: &Value) -> Option<Self> {
        Some(Self {
            candidate: value.get("candidate")?.as_str()?.to_string(),
            sdp_mid: value.get("sdpMid").and_then(Value::as_str).unwrap_or_default().to_string(),
            sdp_m_line_index: value
                .get("sdpMLineIndex")
                .and_then(Value::as_u64)
                .and_then(|index| u32::try_from(index).ok())
                .unwrap_or(0),
        })
    }

    /// The candidate of an `IceCandidateFound` event; `None` for other events or a malformed one.
    pub fn from_event(event: &Event) -> Option<Self> {
        if event.kind != ICE_CANDIDATE_FOUND {
            return None;
        }
        Self::from_wire(event.data.get("candidate")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn sample() -> IceCandidate {
        IceCandidate {
            candidate: "candidate:1 1 UDP 2013266431 192.0.2.10 40000 typ host".into(),
            sdp_mid: "0".into(),
            sdp_m_line_index: 1,
        }
    }

    #[test]
    fn round_trips_through_the_wire_form() {
        let wire = sample().to_wire();
        assert_eq!(wire["__type__"], "IceCandidate");
        assert_eq!(wire["sdpMLineIndex"], 1);
        assert_eq!(IceCandidate::from_wire(&wire), Some(sample()));
    }

    #[test]
    fn reads_found_candidates_and_tolerates_junk() {
        let mut fields = Map::new();
        fields.insert("candidate".into(), sample().to_wire());
        let event = Event::new(ICE_CANDIDATE_FOUND, "W", 1, fields.clone());
        assert_eq!(IceCandidate::from_event(&event), Some(sample()));
        assert_eq!(IceCandidate::from_event(&Event::new("MediaStateChanged", "W", 1, fields)), None);
        assert_eq!(IceCandidate::from_event(&Event::new(ICE_CANDIDATE_FOUND, "W", 1, Map::new())), None);
        let odd = json!({"candidate": "c", "sdpMid": 5, "sdpMLineIndex": 1u64 << 40});
        assert_eq!(
            IceCandidate::from_wire(&odd),
            Some(IceCandidate { candidate: "c".into(), sdp_mid: String::new(), sdp_m_line_index: 0 })
        );
        assert_eq!(IceCandidate::from_wire(&json!({"sdpMid": "0"})), None);
        assert_eq!(IceCandidate::from_wire(&json!("candidate")), None);
    }
}
