//! `WebRtcEndpoint`: the node's side of one browser peer connection.

use serde_json::{Value, json};

use super::candidate::IceCandidate;
use super::error::{MediaResult, Step, unexpected};
use super::object::{MediaElement, MediaObject, SubscriptionId};
use crate::client::KurentoClient;

#[derive(Debug, Clone)]
pub struct WebRtcEndpoint {
    object: MediaObject,
}

impl WebRtcEndpoint {
    pub(crate) fn from_object(object: MediaObject) -> Self {
        Self { object }
    }

    /// A handle on an endpoint that already exists.
    pub fn from_id(client: &KurentoClient, id: &str) -> Self {
        Self::from_object(MediaObject::new(client, id))
    }

    /// The endpoint's id: what its events name as `object`.
    pub fn id(&self) -> &str {
        self.object.id()
    }

    /// `processOffer {offer}`; returns the SDP answer.
    pub async fn process_offer(&self, offer: &str) -> MediaResult<String> {
        match self.object.invoke(Step::ProcessOffer, json!({"offer": offer})).await? {
            Value::String(answer) => Ok(answer),
            other => Err(unexpected(Step::ProcessOffer, other)),
        }
    }

    /// `gatherCandidates`: the node starts finding candidates (`IceCandidateFound`).
    pub async fn gather_candidates(&self) -> MediaResult<()> {
        self.object.invoke(Step::GatherCandidates, json!({})).await.map(drop)
    }

    /// `addIceCandidate {candidate}`: one of the browser's trickled candidates.
    pub async fn add_ice_candidate(&self, candidate: &IceCandidate) -> MediaResult<()> {
        self.object.invoke(Step::AddIceCandidate, json!({"candidate": candidate.to_wire()})).await.map(drop)
    }

    /// `setMaxVideoRecvBandwidth`: the most the browser may send the node (kbps; 0 = unlimited).
    pub async fn set_max_video_recv_bandwidth(&self, kbps: u32) -> MediaResult<()> {
        self.set(Step::SetMaxVideoRecvBandwidth, "maxVideoRecvBandwidth", kbps).await
    }

    /// `setMinVideoRecvBandwidth` (kbps).
    pub async fn set_min_video_recv_bandwidth(&self, kbps: u32) -> MediaResult<()> {
        self.set(Step::SetMinVideoRecvBandwidth, "minVideoRecvBandwidth", kbps).await
    }

    /// `setMaxVideoSendBandwidth`: the most the node sends the browser (kbps; 0 = unlimited).
    pub async fn set_max_video_send_bandwidth(&self, kbps: u32) -> MediaResult<()> {
        self.set(Step::SetMaxVideoSendBandwidth, "maxVideoSendBandwidth", kbps).await
    }

    /// `setMinVideoSendBandwidth` (kbps).
    pub async fn set_min_video_send_bandwidth(&self, kbps: u32) -> MediaResult<()> {
        self.set(Step::SetMinVideoSendBandwidth, "minVideoSendBandwidth", kbps).await
    }

    /// A property setter: its single parameter is named like the property.
    async fn set(&self, step: Step, property: &str, kbps: u32) -> MediaResult<()> {
        let mut params = serde_json::Map::new();
        params.insert(property.to_string(), json!(kbps));
        self.object.invoke(step, Value::Object(params)).await.map(drop)
    }

    /// `connect {sink}`: this endpoint's media flows into `sink`.
    pub async fn connect(&self, sink: &impl MediaElement) -> MediaResult<()> {
        self.object.connect(sink.id()).await
    }

    /// `getStats`: a map of stats objects (`type` `inboundrtp` / `outboundrtp`, one per direction and
    /// media type, with bytes, packets, loss, jitter, RTT and Plenum's frame counts).
    pub async fn stats(&self) -> MediaResult<serde_json::Map<String, Value>> {
        match self.object.invoke(Step::GetStats, json!({})).await? {
            Value::Object(stats) => Ok(stats),
            other => Err(unexpected(Step::GetStats, other)),
        }
    }

    /// `subscribe` to one of its events; they arrive on the client's event stream.
    pub async fn subscribe(&self, event: &str) -> MediaResult<SubscriptionId> {
        self.object.subscribe(event).await
    }

    pub async fn release(&self) -> MediaResult<()> {
        self.object.release().await
    }
}

impl MediaElement for WebRtcEndpoint {
    fn id(&self) -> &str {
        self.object.id()
    }
}
