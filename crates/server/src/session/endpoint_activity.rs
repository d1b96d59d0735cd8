//! What happened on one media endpoint, for the `?webRtcStats=true` views: the
//! candidates each side trickled, the pair the media node selected, and the
//! node's media events (as OpenVidu lists them).
//!
//! The media layer records into it as signaling and node events arrive (some
//! come before the stream is in the session store, while the endpoint is still
//! being negotiated), and the REST views read it, so it is shared, not copied.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// The most media events kept per endpoint; older ones are dropped first (a
/// long call's flow events would otherwise grow without end).
pub const MAX_EVENTS: usize = 200;

/// What the REST view shows, with OpenVidu's key names.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointActivity {
    /// `{candidate, sdpMid, sdpMLineIndex}` the client sent (`onIceCandidate`).
    pub client_ice_candidates: Vec<Value>,
    /// The same for the candidates the media node found (`IceCandidateFound`).
    pub server_ice_candidates: Vec<Value>,
    /// The selected pair (`NewCandidatePairSelected`), as `candidate:` lines; empty until then.
    pub local_candidate: String,
    pub remote_candidate: String,
    /// `{eventType, timestamp, msSinceEndpointCreation, endpoint}` (errors add `errorCode`
    /// and `description`), oldest first, at most [`MAX_EVENTS`].
    pub events: Vec<Value>,
}

impl EndpointActivity {
    /// Records a media event of the endpoint (OpenVidu's `KmsEvent` shape).
    pub fn record_event(&mut self, event: Value) {
        if self.events.len() >= MAX_EVENTS {
            self.events.remove(0);
        }
        self.events.push(event);
    }
}

/// One media event as the views list it; `error` is `(errorCode, description)` for `Error` events.
pub fn event_json(
    kind: &str,
    timestamp: u64,
    created_at: u64,
    endpoint: &str,
    error: Option<(&Value, &Value)>,
) -> Value {
    let mut event = json!({
        "eventType": kind,
        "timestamp": timestamp,
        "msSinceEndpointCreation": timestamp.saturating_sub(created_at),
        "endpoint": endpoint,
    });
    if let Some((code, description)) = error {
        event["errorCode"] = code.clone();
        event["description"] = description.clone();
    }
    event
}

/// One candidate as the views list it.
pub fn candidate_json(candidate: &Value, sdp_mid: &Value, sdp_mline_index: &Value) -> Value {
    json!({"candidate": candidate, "sdpMid": sdp_mid, "sdpMLineIndex": sdp_mline_index})
}

/// An [`EndpointActivity`] shared between the media layer and the session store.
#[derive(Debug, Default, Clone)]
pub struct SharedActivity(Arc<Mutex<EndpointActivity>>);

impl SharedActivity {
    pub fn lock(&self) -> MutexGuard<'_, EndpointActivity> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PartialEq for SharedActivity {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.lock() == *other.lock()
    }
}

impl Serialize for SharedActivity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.lock().clone().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_have_openvidus_shape_and_the_oldest_go_first() {
        let mut activity = EndpointActivity::default();
        for n in 0..MAX_EVENTS as u64 + 5 {
            activity.record_event(event_json("MediaFlowInStateChanged", 1_000 + n, 900, "str_CAM_A_con_B", None));
        }
        assert_eq!(activity.events.len(), MAX_EVENTS);
        assert_eq!(activity.events[0]["timestamp"], 1_005);
        assert_eq!(
            activity.events[0],
            json!({"eventType": "MediaFlowInStateChanged", "timestamp": 1_005, "msSinceEndpointCreation": 105, "endpoint": "str_CAM_A_con_B"})
        );
        let error = event_json("Error", 5, 1, "e", Some((&json!(40001), &json!("boom"))));
        assert_eq!(error["errorCode"], 40001);
        assert_eq!(error["description"], "boom");
    }

    #[test]
    fn clones_share_what_is_recorded_and_serialize_with_openvidu_keys() {
        let ice = SharedActivity::default();
        let view = ice.clone();
        ice.lock().server_ice_candidates.push(candidate_json(
            &json!("candidate:1 1 udp 1 10.0.0.1 5000 typ host"),
            &json!("0"),
            &json!(0),
        ));
        ice.lock().local_candidate = "candidate:1 1 udp 1 10.0.0.1 5000 typ host".into();
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            json!({
                "clientIceCandidates": [],
                "serverIceCandidates": [{"candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}],
                "localCandidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host",
                "remoteCandidate": "",
                "events": [],
            })
        );
    }
}
