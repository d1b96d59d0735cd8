//! The master's typed handle on the media objects behind each session, on the
//! media node it was placed on, as OpenVidu builds them (reference §4): one
//! MediaPipeline per session; per publisher a WebRtcEndpoint feeding a
//! PassThrough; per subscription a WebRtcEndpoint fed from that PassThrough.
//! The calls themselves are `kurento_protocol::media`'s (the endpoint recipe
//! is written once there, for the master and the load generator); this module
//! keeps which object belongs to whom, and relays the node's events
//! ([`relay`]).

mod bandwidth;
mod failure;
mod relay;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use kurento_protocol::KurentoClient;
use kurento_protocol::media::{EndpointRecipe, IceCandidate, MediaPipeline, PassThrough, WebRtcEndpoint};
use tokio::task::JoinHandle;

pub use bandwidth::Bandwidth;
pub use failure::{MediaFailure, MediaResult};

use crate::clock::now_ms;
use crate::hub::Hub;
use crate::session::endpoint_activity::{SharedActivity, candidate_json};
use relay::{EndpointOwner, Owners, lock};

/// A negotiated endpoint: its handle, the SDP answer, and its activity record.
#[derive(Debug, Clone)]
pub struct Negotiated {
    pub endpoint: WebRtcEndpoint,
    pub answer: String,
    pub activity: SharedActivity,
}

/// One endpoint of a session: a publisher's (`publisher` is `None`) or a subscription to `publisher`'s stream.
#[derive(Debug, Clone)]
pub struct EndpointRef {
    pub session: String,
    pub connection: String,
    pub stream_id: String,
    pub publisher: Option<String>,
    pub endpoint: WebRtcEndpoint,
}

/// A publisher's media objects: its endpoint feeds its PassThrough, which feeds its subscriptions.
#[derive(Debug, Clone)]
struct Published {
    stream_id: String,
    passthrough: PassThrough,
    endpoint: Negotiated,
}

/// What a new endpoint on a publisher's PassThrough needs (see [`Media::source`]).
struct Source {
    pipeline: MediaPipeline,
    owners: Owners,
    passthrough: PassThrough,
    stream_id: String,
}

struct SessionMedia {
    client: Arc<KurentoClient>,
    pipeline: MediaPipeline,
    /// publisher connection → its endpoint and PassThrough
    publishers: HashMap<String, Published>,
    /// (subscriber connection, publisher connection) → endpoint
    subscriptions: HashMap<(String, String), WebRtcEndpoint>,
    /// endpoint id → its owner and activity record
    owners: Owners,
    relay: JoinHandle<()>,
}

/// A node object to release once nothing uses it.
enum Element {
    Endpoint(WebRtcEndpoint),
    PassThrough(PassThrough),
    Pipeline(MediaPipeline),
}

impl Element {
    async fn release(&self) -> Result<(), kurento_protocol::media::MediaError> {
        match self {
            Element::Endpoint(endpoint) => endpoint.release().await,
            Element::PassThrough(passthrough) => passthrough.release().await,
            Element::Pipeline(pipeline) => pipeline.release().await,
        }
    }
}

/// One endpoint to set up through the recipe, and whom it belongs to.
struct Plan<'a> {
    recipe: EndpointRecipe<'a>,
    /// The participant its candidates are relayed to, and its `endpointName` in signaling.
    owner: (String, String),
    /// Its name in media events: the stream id, or `<subscriber>_<stream id>`.
    label: String,
}

/// Runs the recipe, registering the endpoint's owner as soon as it exists (the node's
/// events are routed by endpoint id from the first one on), and forgetting it if the
/// recipe fails (the recipe has released the endpoint then).
async fn negotiate(pipeline: &MediaPipeline, owners: &Owners, plan: Plan<'_>) -> MediaResult<Negotiated> {
    let activity = SharedActivity::default();
    let (connection, endpoint_name) = plan.owner;
    let owner = EndpointOwner {
        connection,
        endpoint_name,
        label: plan.label,
        created_at: now_ms(),
        activity: activity.clone(),
    };
    let mut created = None;
    let outcome = plan
        .recipe
        .run(pipeline, |endpoint| {
            created = Some(endpoint.id().to_string());
            lock(owners).insert(endpoint.id().to_string(), owner);
        })
        .await;
    match outcome {
        Ok(done) => Ok(Negotiated { endpoint: done.endpoint, answer: done.answer, activity }),
        Err(error) => {
            if let Some(id) = created {
                lock(owners).remove(&id);
            }
            Err(error.into())
        }
    }
}

#[derive(Default)]
pub struct Media {
    sessions: Mutex<HashMap<String, SessionMedia>>,
}

impl Media {
    fn sessions(&self) -> MutexGuard<'_, HashMap<String, SessionMedia>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session's pipeline, created on `client`'s node at first use.
    async fn pipeline(
        &self,
        session: &str,
        client: Arc<KurentoClient>,
        hub: Arc<Hub>,
    ) -> MediaResult<(Arc<KurentoClient>, MediaPipeline, Owners)> {
        if let Some(media) = self.sessions().get(session) {
            return Ok((media.client.clone(), media.pipeline.clone(), media.owners.clone()));
        }
        let pipeline = MediaPipeline::create(&client).await?;
        let owners: Owners = Arc::default();
        let relay =
            tokio::spawn(relay::relay_endpoint_events(client.clone(), session.to_string(), owners.clone(), hub));
        let mut sessions = self.sessions();
        if let Some(existing) = sessions.get(session) {
            // Another request created one meanwhile: keep the first.
            relay.abort();
            release_later(vec![Element::Pipeline(pipeline)]);
            return Ok((existing.client.clone(), existing.pipeline.clone(), existing.owners.clone()));
        }
        sessions.insert(
            session.to_string(),
            SessionMedia {
                client: client.clone(),
                pipeline: pipeline.clone(),
                publishers: HashMap::new(),
                subscriptions: HashMap::new(),
                owners: owners.clone(),
                relay,
            },
        );
        Ok((client, pipeline, owners))
    }

    /// `publishVideo`: endpoint + PassThrough; returns the SDP answer.
    #[allow(clippy::too_many_arguments)]
    pub async fn publish(
        &self,
        session: &str,
        connection: &str,
        stream_id: &str,
        offer: &str,
        bandwidth: Bandwidth,
        client: Arc<KurentoClient>,
        hub: Arc<Hub>,
    ) -> MediaResult<Negotiated> {
        let (_, pipeline, owners) = self.pipeline(session, client, hub).await?;
        let passthrough = pipeline.create_passthrough().await?;
        let plan = Plan {
            recipe: EndpointRecipe::publisher(&passthrough, offer, bandwidth.publisher()),
            owner: (connection.into(), connection.into()),
            label: stream_id.into(),
        };
        let endpoint = match negotiate(&pipeline, &owners, plan).await {
            Ok(done) => done,
            Err(error) => {
                release_later(vec![Element::PassThrough(passthrough)]);
                return Err(error);
            }
        };
        let published = Published { stream_id: stream_id.into(), passthrough, endpoint: endpoint.clone() };
        if let Some(media) = self.sessions().get_mut(session) {
            media.publishers.insert(connection.to_string(), published);
        }
        Ok(endpoint)
    }

    /// The session's node objects around `publisher`'s PassThrough; `missing` says why not.
    fn source(&self, session: &str, publisher: &str, missing: MediaFailure) -> MediaResult<Source> {
        let sessions = self.sessions();
        let media = sessions.get(session).ok_or(MediaFailure::NoMedia)?;
        let published = media.publishers.get(publisher).ok_or(missing)?;
        Ok(Source {
            pipeline: media.pipeline.clone(),
            owners: media.owners.clone(),
            passthrough: published.passthrough.clone(),
            stream_id: published.stream_id.clone(),
        })
    }

    /// `reconnectStream` by the publisher: a new endpoint (new offer) feeding the same
    /// PassThrough, so subscriptions stay; the old endpoint is released.
    pub async fn republish(
        &self,
        session: &str,
        connection: &str,
        offer: &str,
        bandwidth: Bandwidth,
    ) -> MediaResult<Negotiated> {
        let Source { pipeline, owners, passthrough, stream_id } =
            self.source(session, connection, MediaFailure::NotPublishing)?;
        let plan = Plan {
            recipe: EndpointRecipe::publisher(&passthrough, offer, bandwidth.publisher()),
            owner: (connection.into(), connection.into()),
            label: stream_id,
        };
        let negotiated = negotiate(&pipeline, &owners, plan).await?;
        let old = self.sessions().get_mut(session).and_then(|media| {
            let published = media.publishers.get_mut(connection)?;
            Some(std::mem::replace(&mut published.endpoint, negotiated.clone()).endpoint)
        });
        if let Some(old) = old {
            lock(&owners).remove(old.id());
            release_later(vec![Element::Endpoint(old)]);
        }
        Ok(negotiated)
    }

    /// `receiveVideoFrom`: an endpoint fed from the publisher's PassThrough. A previous
    /// subscription to the same publisher is replaced.
    pub async fn subscribe(
        &self,
        session: &str,
        subscriber: &str,
        publisher: &str,
        offer: &str,
        bandwidth: Bandwidth,
    ) -> MediaResult<Negotiated> {
        let Source { pipeline, owners, passthrough, stream_id } =
            self.source(session, publisher, MediaFailure::NotPublished)?;
        let plan = Plan {
            recipe: EndpointRecipe::subscriber(&passthrough, offer, bandwidth.subscriber()),
            owner: (subscriber.into(), publisher.into()),
            label: format!("{subscriber}_{stream_id}"),
        };
        let negotiated = negotiate(&pipeline, &owners, plan).await?;
        let replaced = self.sessions().get_mut(session).and_then(|media| {
            media.subscriptions.insert((subscriber.to_string(), publisher.to_string()), negotiated.endpoint.clone())
        });
        if let Some(old) = replaced {
            lock(&owners).remove(old.id());
            release_later(vec![Element::Endpoint(old)]);
        }
        Ok(negotiated)
    }

    /// `onIceCandidate`: `endpoint_name` is the caller's own id (its publisher endpoint)
    /// or a publisher's id (the caller's subscription to it).
    pub async fn add_candidate(
        &self,
        session: &str,
        caller: &str,
        endpoint_name: &str,
        candidate: IceCandidate,
    ) -> MediaResult<()> {
        let (endpoint, owners) = {
            let sessions = self.sessions();
            let media = sessions.get(session).ok_or(MediaFailure::NoMedia)?;
            let endpoint = if endpoint_name == caller {
                media.publishers.get(caller).map(|p| p.endpoint.endpoint.clone())
            } else {
                media.subscriptions.get(&(caller.to_string(), endpoint_name.to_string())).cloned()
            };
            let endpoint = endpoint.ok_or_else(|| MediaFailure::NoEndpoint(endpoint_name.to_string()))?;
            (endpoint, media.owners.clone())
        };
        endpoint.add_ice_candidate(&candidate).await?;
        if let Some(owner) = lock(&owners).get(endpoint.id()) {
            let shown = candidate_json(
                &candidate.candidate.as_str().into(),
                &candidate.sdp_mid.as_str().into(),
                &candidate.sdp_m_line_index.into(),
            );
            owner.activity.lock().client_ice_candidates.push(shown);
        }
        Ok(())
    }

    /// Releases a publisher's objects and every subscription to it; returns the subscribers.
    pub fn unpublish(&self, session: &str, publisher: &str) -> Vec<String> {
        let mut sessions = self.sessions();
        let Some(media) = sessions.get_mut(session) else { return Vec::new() };
        let mut released = Vec::new();
        let mut subscribers = Vec::new();
        if let Some(published) = media.publishers.remove(publisher) {
            released.push(Element::Endpoint(published.endpoint.endpoint));
            released.push(Element::PassThrough(published.passthrough));
        }
        media.subscriptions.retain(|(subscriber, source), endpoint| {
            let keep = source != publisher;
            if !keep {
                subscribers.push(subscriber.clone());
                released.push(Element::Endpoint(endpoint.clone()));
            }
            keep
        });
        release_later(released);
        subscribers
    }

    /// Releases one subscription.
    pub fn unsubscribe(&self, session: &str, subscriber: &str, publisher: &str) -> bool {
        let mut sessions = self.sessions();
        let Some(media) = sessions.get_mut(session) else { return false };
        match media.subscriptions.remove(&(subscriber.to_string(), publisher.to_string())) {
            Some(endpoint) => {
                release_later(vec![Element::Endpoint(endpoint)]);
                true
            }
            None => false,
        }
    }

    /// A participant is gone: its publisher and subscriptions go.
    pub fn forget(&self, session: &str, connection: &str) {
        self.unpublish(session, connection);
        let mut sessions = self.sessions();
        let Some(media) = sessions.get_mut(session) else { return };
        let mut released = Vec::new();
        media.subscriptions.retain(|(subscriber, _), endpoint| {
            let keep = subscriber != connection;
            if !keep {
                released.push(Element::Endpoint(endpoint.clone()));
            }
            keep
        });
        release_later(released);
    }

    /// The session closed: its pipeline (and with it every element) is released.
    /// The returned task ends when the node has answered (or the release failed).
    pub fn close(&self, session: &str) -> Option<JoinHandle<()>> {
        self.close_after(session, None)
    }

    /// [`Media::close`], releasing the pipeline only once `before` has ended (a recording
    /// of the session finishing its files: releasing the pipeline would cut them short).
    /// The session's objects are forgotten at once, so a new session of that id starts afresh.
    pub fn close_after(&self, session: &str, before: Option<JoinHandle<()>>) -> Option<JoinHandle<()>> {
        let Some(media) = self.sessions().remove(session) else {
            return before;
        };
        media.relay.abort();
        let Some(before) = before else { return release_later(vec![Element::Pipeline(media.pipeline)]) };
        Some(tokio::spawn(async move {
            let _ = before.await;
            if let Some(release) = release_later(vec![Element::Pipeline(media.pipeline)]) {
                let _ = release.await;
            }
        }))
    }

    /// The session's pipeline, created on `client`'s node when it has none yet (a
    /// recording started before anyone published).
    pub async fn ensure_pipeline(
        &self,
        session: &str,
        client: Arc<KurentoClient>,
        hub: Arc<Hub>,
    ) -> MediaResult<MediaPipeline> {
        self.pipeline(session, client, hub).await.map(|(_, pipeline, _)| pipeline)
    }

    /// The PassThrough of `connection`'s published stream: what a recorder is fed from.
    pub fn passthrough_of(&self, session: &str, connection: &str) -> Option<(String, PassThrough)> {
        let sessions = self.sessions();
        let published = sessions.get(session)?.publishers.get(connection)?;
        Some((published.stream_id.clone(), published.passthrough.clone()))
    }

    /// Every WebRTC endpoint on record, for sampling its stats (the Inspector's stream charts).
    pub fn endpoints(&self) -> Vec<EndpointRef> {
        let sessions = self.sessions();
        let mut all = Vec::new();
        for (session, media) in sessions.iter() {
            for (connection, published) in &media.publishers {
                all.push(EndpointRef {
                    session: session.clone(),
                    connection: connection.clone(),
                    stream_id: published.stream_id.clone(),
                    publisher: None,
                    endpoint: published.endpoint.endpoint.clone(),
                });
            }
            for ((subscriber, publisher), endpoint) in &media.subscriptions {
                let Some(published) = media.publishers.get(publisher) else { continue };
                all.push(EndpointRef {
                    session: session.clone(),
                    connection: subscriber.clone(),
                    stream_id: published.stream_id.clone(),
                    publisher: Some(publisher.clone()),
                    endpoint: endpoint.clone(),
                });
            }
        }
        all
    }

    /// The node lost the session's objects (it restarted): forget them, releasing nothing.
    pub fn reset(&self, session: &str) {
        if let Some(media) = self.sessions().remove(session) {
            media.relay.abort();
        }
    }

    /// Whether the session has media objects on record (tests check nothing is left).
    pub fn has_session(&self, session: &str) -> bool {
        self.sessions().contains_key(session)
    }
}

fn release_later(objects: Vec<Element>) -> Option<JoinHandle<()>> {
    if objects.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        for object in objects {
            if let Err(error) = object.release().await {
                tracing::debug!(%error, "release failed (the node may be gone)");
            }
        }
    }))
}
