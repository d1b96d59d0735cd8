//! `MediaPipeline`: the container of a session's elements on one node.
//! Releasing it releases everything in it.

use serde_json::{Value, json};

use super::endpoint::WebRtcEndpoint;
use super::error::{MediaResult, Step, unexpected};
use super::object::{MediaObject, SubscriptionId};
use super::passthrough::PassThrough;
use crate::client::KurentoClient;

#[derive(Debug, Clone)]
pub struct MediaPipeline {
    object: MediaObject,
}

impl MediaPipeline {
    /// `create MediaPipeline` on `client`'s node.
    pub async fn create(client: &KurentoClient) -> MediaResult<Self> {
        let object = MediaObject::create(client, Step::CreatePipeline, "MediaPipeline", json!({})).await?;
        Ok(Self { object })
    }

    /// A handle on a pipeline that already exists (listed by the ServerManager, or kept by id).
    pub fn from_id(client: &KurentoClient, id: &str) -> Self {
        Self { object: MediaObject::new(client, id) }
    }

    pub fn id(&self) -> &str {
        self.object.id()
    }

    /// The client of the node the pipeline lives on (elements are created beside it).
    pub(crate) fn client(&self) -> &KurentoClient {
        self.object.client()
    }

    /// `create WebRtcEndpoint {mediaPipeline}`.
    pub async fn create_webrtc_endpoint(&self) -> MediaResult<WebRtcEndpoint> {
        let params = json!({"mediaPipeline": self.id()});
        let object = MediaObject::create(self.object.client(), Step::CreateWebRtcEndpoint, "WebRtcEndpoint", params);
        Ok(WebRtcEndpoint::from_object(object.await?))
    }

    /// `create PassThrough {mediaPipeline}`.
    pub async fn create_passthrough(&self) -> MediaResult<PassThrough> {
        let params = json!({"mediaPipeline": self.id()});
        let object = MediaObject::create(self.object.client(), Step::CreatePassThrough, "PassThrough", params);
        Ok(PassThrough::from_object(object.await?))
    }

    /// `getChildren`: the ids of the elements in the pipeline (of any class).
    pub async fn children(&self) -> MediaResult<Vec<String>> {
        let value = self.object.invoke(Step::GetChildren, json!({})).await?;
        ids(Step::GetChildren, value)
    }

    /// `subscribe` to one of the pipeline's events (OpenVidu listens to `Error`).
    pub async fn subscribe(&self, event: &str) -> MediaResult<SubscriptionId> {
        self.object.subscribe(event).await
    }

    /// `release`: the pipeline and every element in it.
    pub async fn release(&self) -> MediaResult<()> {
        self.object.release().await
    }
}

/// A list of object ids, as `getChildren` and `getPipelines` return them.
pub(crate) fn ids(step: Step, value: Value) -> MediaResult<Vec<String>> {
    let parsed = value.as_array().and_then(|items| items.iter().map(|id| id.as_str().map(str::to_string)).collect());
    parsed.ok_or_else(|| unexpected(step, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_must_be_strings() {
        assert_eq!(ids(Step::GetChildren, json!(["a", "b"])).unwrap(), ["a", "b"]);
        assert_eq!(ids(Step::GetChildren, json!([])).unwrap(), Vec::<String>::new());
        assert_eq!(ids(Step::GetPipelines, json!(["a", 1])).unwrap_err().step, Step::GetPipelines);
        assert!(ids(Step::GetChildren, json!(null)).is_err());
    }
}
