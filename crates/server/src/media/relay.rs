//! The node's events for a session's endpoints: `IceCandidateFound` is relayed to
//! the endpoint's owner as `iceCandidate` (and listed in `serverIceCandidates`);
//! the other events OpenVidu listens to ([`OPENVIDU_ENDPOINT_EVENTS`]) are
//! recorded for `?webRtcStats=true`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use kurento_protocol::KurentoClient;
use kurento_protocol::event::{ICE_CANDIDATE_FOUND, OPENVIDU_ENDPOINT_EVENTS};
use serde_json::json;

use crate::clock::now_ms;
use crate::hub::Hub;
use crate::session::endpoint_activity::{SharedActivity, candidate_json, event_json};

/// Who an endpoint belongs to, and what happened on it.
#[derive(Debug, Clone)]
pub(super) struct EndpointOwner {
    /// The participant its candidates are relayed to.
    pub connection: String,
    /// Its `endpointName` in signaling: the publisher's connection id.
    pub endpoint_name: String,
    /// Its name in media events: the stream id, or `<subscriber>_<stream id>`.
    pub label: String,
    pub created_at: u64,
    pub activity: SharedActivity,
}

/// Endpoint id → its owner.
pub(super) type Owners = Arc<Mutex<HashMap<String, EndpointOwner>>>;

pub(super) fn lock(owners: &Owners) -> MutexGuard<'_, HashMap<String, EndpointOwner>> {
    owners.lock().unwrap_or_else(|p| p.into_inner())
}

/// Relays `IceCandidateFound` of the session's endpoints to their owners as
/// `iceCandidate`, and records candidates, selected pairs and media events for the
/// REST views.
pub(super) async fn relay_endpoint_events(client: Arc<KurentoClient>, session: String, owners: Owners, hub: Arc<Hub>) {
    let mut events = client.events();
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(%session, missed, "media events were missed");
                continue;
            }
            Err(_) => return,
        };
        if event.kind != ICE_CANDIDATE_FOUND && !OPENVIDU_ENDPOINT_EVENTS.contains(&event.kind.as_str()) {
            continue;
        }
        let Some(owner) = lock(&owners).get(&event.object).cloned() else { continue };
        match event.kind.as_str() {
            ICE_CANDIDATE_FOUND => {
                let candidate = &event.data["candidate"];
                owner.activity.lock().server_ice_candidates.push(candidate_json(
                    &candidate["candidate"],
                    &candidate["sdpMid"],
                    &candidate["sdpMLineIndex"],
                ));
                let params = json!({
                    "senderConnectionId": owner.endpoint_name,
                    "endpointName": owner.endpoint_name,
                    "candidate": candidate["candidate"],
                    "sdpMid": candidate["sdpMid"],
                    "sdpMLineIndex": candidate["sdpMLineIndex"],
                });
                hub.notify(&session, Some(std::slice::from_ref(&owner.connection)), "iceCandidate", &params);
            }
            "NewCandidatePairSelected" => {
                let pair = &event.data["candidatePair"];
                let text = |key: &str| pair[key].as_str().unwrap_or_default().to_string();
                let mut activity = owner.activity.lock();
                activity.local_candidate = text("localCandidate");
                activity.remote_candidate = text("remoteCandidate");
                activity.record_event(event_json(&event.kind, now_ms(), owner.created_at, &owner.label, None));
            }
            kind => {
                let error = (kind == "Error").then(|| (&event.data["errorCode"], &event.data["description"]));
                let recorded = event_json(kind, now_ms(), owner.created_at, &owner.label, error);
                owner.activity.lock().record_event(recorded);
            }
        }
    }
}
