//! The `onEvent` notification: `{"value": {"type", "object", "data": {source, timestampMillis, tags, type, ...}}}`.

use serde_json::{Map, Value, json};

/// The event by which a WebRtcEndpoint trickles the candidates it finds.
pub const ICE_CANDIDATE_FOUND: &str = "IceCandidateFound";

/// The listeners OpenVidu adds to every WebRtcEndpoint (besides `IceCandidateFound`,
/// which it subscribes to separately to relay candidates): what Plenum's master and
/// the load generator's Kurento driver subscribe to, as OpenVidu does.
pub const OPENVIDU_ENDPOINT_EVENTS: [&str; 11] = [
    "IceGatheringDone",
    "NewCandidatePairSelected",
    "IceComponentStateChanged",
    "DataChannelOpened",
    "DataChannelClosed",
    "ConnectionStateChanged",
    "MediaStateChanged",
    "MediaFlowInStateChanged",
    "MediaFlowOutStateChanged",
    "Error",
    "MediaTranscodingStateChanged",
];

/// An event raised by a media object.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event name (`IceCandidateFound`).
    pub kind: String,
    /// The id of the emitting object.
    pub object: String,
    /// The event's fields; built by [`Event::new`] with Kurento's common fields.
    pub data: Map<String, Value>,
}

impl Event {
    /// An event with the common fields: `source`, `timestampMillis` (a string
    /// of ms since the epoch), empty `tags`, and `type` = the event name
    /// (every Media event carries it), then `fields`.
    pub fn new(kind: &str, object: &str, now_ms: u64, fields: Map<String, Value>) -> Self {
        let mut data = Map::new();
        data.insert("source".into(), json!(object));
        data.insert("timestampMillis".into(), json!(now_ms.to_string()));
        data.insert("tags".into(), json!([]));
        data.insert("type".into(), json!(kind));
        data.extend(fields);
        Self { kind: kind.to_string(), object: object.to_string(), data }
    }

    /// The `params` of the `onEvent` notification.
    pub fn to_params(&self) -> Value {
        json!({"value": {"type": self.kind, "object": self.object, "data": self.data}})
    }

    /// Reads the `params` of an `onEvent` notification.
    pub fn from_params(params: &Map<String, Value>) -> Option<Self> {
        let value = params.get("value")?.as_object()?;
        Some(Self {
            kind: value.get("type")?.as_str()?.to_string(),
            object: value.get("object")?.as_str()?.to_string(),
            data: value.get("data").and_then(Value::as_object).cloned().unwrap_or_default(),
        })
    }
}

/// A complex Kurento type on the wire: its fields plus `__module__` and `__type__`.
pub fn complex(type_name: &str, fields: Value) -> Value {
    let mut object = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    object.insert("__module__".into(), json!("kurento"));
    object.insert("__type__".into(), json!(type_name));
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_with_common_fields() {
        let mut fields = Map::new();
        fields.insert(
            "candidate".into(),
            complex("IceCandidate", json!({"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0})),
        );
        let event = Event::new("IceCandidateFound", "W", 1714000000123, fields);
        let params = event.to_params();
        assert_eq!(params["value"]["type"], "IceCandidateFound");
        assert_eq!(params["value"]["data"]["timestampMillis"], "1714000000123");
        assert_eq!(params["value"]["data"]["source"], "W");
        assert_eq!(params["value"]["data"]["candidate"]["__type__"], "IceCandidate");
        assert_eq!(Event::from_params(params.as_object().unwrap()), Some(event));
    }
}
