//! `PassThrough`: the element a publisher's endpoint feeds and its subscribers'
//! endpoints are fed from, so a publisher can be renegotiated (a new endpoint
//! into the same PassThrough) without touching its subscriptions.

use super::error::MediaResult;
use super::object::{MediaElement, MediaObject, SubscriptionId};
use crate::client::KurentoClient;

#[derive(Debug, Clone)]
pub struct PassThrough {
    object: MediaObject,
}

impl PassThrough {
    pub(crate) fn from_object(object: MediaObject) -> Self {
        Self { object }
    }

    /// A handle on a PassThrough that already exists.
    pub fn from_id(client: &KurentoClient, id: &str) -> Self {
        Self::from_object(MediaObject::new(client, id))
    }

    pub fn id(&self) -> &str {
        self.object.id()
    }

    /// `connect {sink}`: this PassThrough's media flows into `sink`.
    pub async fn connect(&self, sink: &impl MediaElement) -> MediaResult<()> {
        self.object.connect(sink.id()).await
    }

    /// `subscribe` to one of its events (OpenVidu listens to `Error`).
    pub async fn subscribe(&self, event: &str) -> MediaResult<SubscriptionId> {
        self.object.subscribe(event).await
    }

    pub async fn release(&self) -> MediaResult<()> {
        self.object.release().await
    }
}

impl MediaElement for PassThrough {
    fn id(&self) -> &str {
        self.object.id()
    }
}
