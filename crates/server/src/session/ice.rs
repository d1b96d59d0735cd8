//! The ICE side of one media endpoint, for the `?webRtcStats=true` views: the
//! candidates each side trickled and the pair the media node selected.
//!
//! The media layer records into it as signaling and node events arrive (some
//! come before the stream is in the session store, while the endpoint is still
//! being negotiated), and the REST views read it, so it is shared, not copied.

use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// What the REST view shows, with OpenVidu's key names.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IceRecord {
    /// `{candidate, sdpMid, sdpMLineIndex}` the client sent (`onIceCandidate`).
    pub client_ice_candidates: Vec<Value>,
    /// The same for the candidates the media node found (`IceCandidateFound`).
    pub server_ice_candidates: Vec<Value>,
    /// The selected pair (`NewCandidatePairSelected`), as `candidate:` lines; empty until then.
    pub local_candidate: String,
    pub remote_candidate: String,
}

/// One candidate as the views list it.
pub fn candidate_json(candidate: &Value, sdp_mid: &Value, sdp_mline_index: &Value) -> Value {
    json!({"candidate": candidate, "sdpMid": sdp_mid, "sdpMLineIndex": sdp_mline_index})
}

/// An [`IceRecord`] shared between the media layer and the session store.
#[derive(Debug, Default, Clone)]
pub struct SharedIce(Arc<Mutex<IceRecord>>);

impl SharedIce {
    pub fn lock(&self) -> MutexGuard<'_, IceRecord> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl PartialEq for SharedIce {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || *self.lock() == *other.lock()
    }
}

impl Serialize for SharedIce {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.lock().clone().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_what_is_recorded_and_serialize_with_openvidu_keys() {
        let ice = SharedIce::default();
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
            })
        );
    }
}
