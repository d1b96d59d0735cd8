//! What every handle is: a media object's id on the node a client talks to.
//!
//! Handles are cheap to clone (the client is a few `Arc`s, the id an `Arc<str>`)
//! so the master can keep them in its session maps and hand them to tasks.

use std::fmt;
use std::sync::Arc;

use serde_json::{Value, json};

use super::error::{MediaResult, Step, at};
use crate::client::KurentoClient;

/// The id `subscribe` returned, needed to `unsubscribe`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubscriptionId(pub String);

/// A remote object: where it lives and its id.
#[derive(Clone)]
pub(crate) struct MediaObject {
    client: KurentoClient,
    id: Arc<str>,
}

impl fmt::Debug for MediaObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl MediaObject {
    pub(crate) fn new(client: &KurentoClient, id: &str) -> Self {
        Self { client: client.clone(), id: Arc::from(id) }
    }

    /// `create` of `type_name` with `constructorParams`; `step` names the failure.
    pub(crate) async fn create(
        client: &KurentoClient,
        step: Step,
        type_name: &str,
        constructor_params: Value,
    ) -> MediaResult<Self> {
        let id = client.create(type_name, constructor_params).await.map_err(at(step))?;
        Ok(Self::new(client, &id))
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn client(&self) -> &KurentoClient {
        &self.client
    }

    /// `invoke` of the step's operation ([`Step::name`]); returns the result's `value`.
    pub(crate) async fn invoke(&self, step: Step, params: Value) -> MediaResult<Value> {
        self.client.invoke(&self.id, step.name(), params).await.map_err(at(step))
    }

    pub(crate) async fn subscribe(&self, event: &str) -> MediaResult<SubscriptionId> {
        self.client.subscribe(&self.id, event).await.map(SubscriptionId).map_err(at(Step::Subscribe))
    }

    pub(crate) async fn release(&self) -> MediaResult<()> {
        self.client.release(&self.id).await.map_err(at(Step::Release))
    }

    /// `connect {sink}`: media of this element flows into `sink`.
    pub(crate) async fn connect(&self, sink: &str) -> MediaResult<()> {
        self.invoke(Step::Connect, json!({"sink": sink})).await.map(drop)
    }
}

/// An element media can flow between: what [`super::WebRtcEndpoint::connect`] and
/// [`super::PassThrough::connect`] accept as a sink.
pub trait MediaElement {
    fn id(&self) -> &str;
}
