//! Media objects behind a session, on the media node it was placed on, as
//! OpenVidu builds them (reference §4): one MediaPipeline per session; per
//! publisher a WebRtcEndpoint feeding a PassThrough; per subscription a
//! WebRtcEndpoint fed from that PassThrough. ICE candidates the node finds are
//! relayed to the endpoint's owner as `iceCandidate` events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use kurento_protocol::client::KurentoClient;
use kurento_protocol::event::OPENVIDU_ENDPOINT_EVENTS;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::hub::Hub;
use crate::session::activity::{SharedActivity, candidate_json, event_json};

/// Why a media step failed, for the client's error message.
pub type MediaResult<T> = Result<T, String>;

/// The bandwidth properties (kbps) of endpoints: OpenVidu's `OPENVIDU_STREAMS_VIDEO_*`,
/// overridden per connection by the token's `kurentoOptions`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bandwidth {
    pub max_recv: i64,
    pub min_recv: i64,
    pub max_send: i64,
    pub min_send: i64,
}

impl Bandwidth {
    /// These limits, with the ones the connection's token names (`kurentoOptions`) instead.
    pub fn with_overrides(mut self, options: Option<&crate::session::KurentoOptions>) -> Self {
        let Some(options) = options else { return self };
        for (slot, value) in [
            (&mut self.max_recv, options.video_max_recv_bandwidth),
            (&mut self.min_recv, options.video_min_recv_bandwidth),
            (&mut self.max_send, options.video_max_send_bandwidth),
            (&mut self.min_send, options.video_min_send_bandwidth),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        self
    }

    /// `(setter, parameter, kbps)` for a publisher's endpoint: what the node may receive.
    fn publisher_properties(self) -> [(&'static str, &'static str, i64); 2] {
        [
            ("setMaxVideoRecvBandwidth", "maxVideoRecvBandwidth", self.max_recv),
            ("setMinVideoRecvBandwidth", "minVideoRecvBandwidth", self.min_recv),
        ]
    }

    /// The same for a subscriber's endpoint: what the node sends.
    fn subscriber_properties(self) -> [(&'static str, &'static str, i64); 2] {
        [
            ("setMaxVideoSendBandwidth", "maxVideoSendBandwidth", self.max_send),
            ("setMinVideoSendBandwidth", "minVideoSendBandwidth", self.min_send),
        ]
    }
}

/// How a new endpoint joins the graph.
enum Link<'a> {
    /// A publisher's endpoint feeds this PassThrough.
    Into(&'a str),
    /// A subscriber's endpoint is fed from this PassThrough.
    From(&'a str),
}

/// Relayed to the endpoint's owner and listed in `serverIceCandidates`; the other
/// events OpenVidu listens to ([`OPENVIDU_ENDPOINT_EVENTS`]) are recorded for `?webRtcStats=true`.
const CANDIDATE_EVENT: &str = "IceCandidateFound";

/// Who an endpoint belongs to, and what happened on it.
#[derive(Debug, Clone)]
struct EndpointOwner {
    /// The participant its candidates are relayed to.
    connection: String,
    /// Its `endpointName` in signaling: the publisher's connection id.
    endpoint_name: String,
    /// Its name in media events: the stream id, or `<subscriber>_<stream id>`.
    label: String,
    created_at: u64,
    activity: SharedActivity,
}

type Owners = Arc<Mutex<HashMap<String, EndpointOwner>>>;

fn lock(owners: &Owners) -> MutexGuard<'_, HashMap<String, EndpointOwner>> {
    owners.lock().unwrap_or_else(|p| p.into_inner())
}

/// A negotiated endpoint: its id, the SDP answer, and its activity record.
#[derive(Debug, Clone)]
pub struct Negotiated {
    pub endpoint: String,
    pub answer: String,
    pub activity: SharedActivity,
}

/// One WebRtcEndpoint to set up for an offer, as OpenVidu does for publishers and subscribers.
struct Negotiation<'a> {
    /// `(owner connection, endpointName)` for relaying its ICE candidates.
    owner: (String, String),
    /// The endpoint's name in its media events.
    label: String,
    offer: &'a str,
    properties: [(&'static str, &'static str, i64); 2],
    link: Link<'a>,
}

/// Creates the endpoint, sets its bandwidths, subscribes to its candidates and to
/// OpenVidu's other endpoint events (at once: one round trip), processes the offer,
/// links it and starts gathering.
/// On failure the endpoint is released and forgotten.
async fn negotiate(
    client: &KurentoClient,
    pipeline: &str,
    owners: &Owners,
    plan: Negotiation<'_>,
) -> MediaResult<Negotiated> {
    let endpoint = client
        .create("WebRtcEndpoint", json!({"mediaPipeline": pipeline}))
        .await
        .map_err(failed("creating the endpoint"))?;
    let activity = SharedActivity::default();
    let (connection, endpoint_name) = plan.owner;
    let owner = EndpointOwner {
        connection,
        endpoint_name,
        label: plan.label,
        created_at: now_ms(),
        activity: activity.clone(),
    };
    lock(owners).insert(endpoint.clone(), owner);
    let setup = async {
        for (setter, parameter, kbps) in plan.properties {
            client.invoke(&endpoint, setter, json!({ parameter: kbps })).await.map_err(failed(setter))?;
        }
        let events = std::iter::once(CANDIDATE_EVENT).chain(OPENVIDU_ENDPOINT_EVENTS);
        let subscriptions = events.map(|event| client.subscribe(&endpoint, event));
        futures_util::future::try_join_all(subscriptions).await.map_err(failed("subscribing to its events"))?;
        let answer = client
            .invoke(&endpoint, "processOffer", json!({"offer": plan.offer}))
            .await
            .map_err(failed("processOffer"))?;
        let (source, sink) = match plan.link {
            Link::Into(passthrough) => (endpoint.as_str(), passthrough),
            Link::From(passthrough) => (passthrough, endpoint.as_str()),
        };
        client.invoke(source, "connect", json!({"sink": sink})).await.map_err(failed("connecting"))?;
        client.invoke(&endpoint, "gatherCandidates", json!({})).await.map_err(failed("gatherCandidates"))?;
        Ok::<_, String>(answer.as_str().unwrap_or_default().to_string())
    };
    match setup.await {
        Ok(answer) => Ok(Negotiated { endpoint, answer, activity }),
        Err(error) => {
            lock(owners).remove(&endpoint);
            let _ = client.release(&endpoint).await;
            Err(error)
        }
    }
}

/// A publisher's media objects: its endpoint feeds its PassThrough, which feeds its subscriptions.
#[derive(Debug, Clone)]
struct Published {
    stream_id: String,
    passthrough: String,
    endpoint: Negotiated,
}

/// What a new endpoint on a publisher's PassThrough needs (see [`Media::source`]).
struct Source {
    client: Arc<KurentoClient>,
    pipeline: String,
    owners: Owners,
    passthrough: String,
    stream_id: String,
}

struct SessionMedia {
    client: Arc<KurentoClient>,
    pipeline: String,
    /// publisher connection → its endpoint and PassThrough
    publishers: HashMap<String, Published>,
    /// (subscriber connection, publisher connection) → endpoint
    subscriptions: HashMap<(String, String), String>,
    /// endpoint → its owner and ICE record
    owners: Owners,
    relay: JoinHandle<()>,
}

#[derive(Default)]
pub struct Media {
    sessions: Mutex<HashMap<String, SessionMedia>>,
}

fn failed(step: &str) -> impl Fn(kurento_protocol::client::ClientError) -> String + '_ {
    move |e| format!("media node: {step} failed: {e}")
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
    ) -> MediaResult<(Arc<KurentoClient>, String, Owners)> {
        if let Some(media) = self.sessions().get(session) {
            return Ok((media.client.clone(), media.pipeline.clone(), media.owners.clone()));
        }
        let pipeline = client.create("MediaPipeline", json!({})).await.map_err(failed("creating the pipeline"))?;
        let owners: Owners = Arc::default();
        let relay = tokio::spawn(relay_endpoint_events(client.clone(), session.to_string(), owners.clone(), hub));
        let mut sessions = self.sessions();
        if let Some(existing) = sessions.get(session) {
            // Another request created one meanwhile: keep the first.
            relay.abort();
            let client = client.clone();
            let pipeline = pipeline.clone();
            tokio::spawn(async move { client.release(&pipeline).await });
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
        let (client, pipeline, owners) = self.pipeline(session, client, hub).await?;
        let passthrough = client
            .create("PassThrough", json!({"mediaPipeline": pipeline}))
            .await
            .map_err(failed("creating the PassThrough"))?;
        let plan = Negotiation {
            owner: (connection.into(), connection.into()),
            label: stream_id.into(),
            offer,
            properties: bandwidth.publisher_properties(),
            link: Link::Into(&passthrough),
        };
        let endpoint = match negotiate(&client, &pipeline, &owners, plan).await {
            Ok(done) => done,
            Err(error) => {
                release_later(client, vec![passthrough]);
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
    fn source(&self, session: &str, publisher: &str, missing: &'static str) -> MediaResult<Source> {
        let sessions = self.sessions();
        let media = sessions.get(session).ok_or("the session has no media yet")?;
        let published = media.publishers.get(publisher).ok_or(missing)?;
        Ok(Source {
            client: media.client.clone(),
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
        let Source { client, pipeline, owners, passthrough, stream_id } =
            self.source(session, connection, "this participant is not publishing")?;
        let plan = Negotiation {
            owner: (connection.into(), connection.into()),
            label: stream_id,
            offer,
            properties: bandwidth.publisher_properties(),
            link: Link::Into(&passthrough),
        };
        let negotiated = negotiate(&client, &pipeline, &owners, plan).await?;
        let old = self.sessions().get_mut(session).and_then(|media| {
            let published = media.publishers.get_mut(connection)?;
            Some(std::mem::replace(&mut published.endpoint, negotiated.clone()).endpoint)
        });
        if let Some(old) = old {
            lock(&owners).remove(&old);
            release_later(client, vec![old]);
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
        let Source { client, pipeline, owners, passthrough, stream_id } =
            self.source(session, publisher, "that stream is not published")?;
        let plan = Negotiation {
            owner: (subscriber.into(), publisher.into()),
            label: format!("{subscriber}_{stream_id}"),
            offer,
            properties: bandwidth.subscriber_properties(),
            link: Link::From(&passthrough),
        };
        let negotiated = negotiate(&client, &pipeline, &owners, plan).await?;
        let replaced = self.sessions().get_mut(session).and_then(|media| {
            media.subscriptions.insert((subscriber.to_string(), publisher.to_string()), negotiated.endpoint.clone())
        });
        if let Some(old) = replaced {
            lock(&owners).remove(&old);
            release_later(client, vec![old]);
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
        candidate: Value,
    ) -> MediaResult<()> {
        let (client, endpoint, owners) = {
            let sessions = self.sessions();
            let media = sessions.get(session).ok_or("the session has no media yet")?;
            let endpoint = if endpoint_name == caller {
                media.publishers.get(caller).map(|p| p.endpoint.endpoint.clone())
            } else {
                media.subscriptions.get(&(caller.to_string(), endpoint_name.to_string())).cloned()
            };
            let endpoint = endpoint.ok_or_else(|| format!("no endpoint named '{endpoint_name}'"))?;
            (media.client.clone(), endpoint, media.owners.clone())
        };
        let shown = candidate_json(&candidate["candidate"], &candidate["sdpMid"], &candidate["sdpMLineIndex"]);
        client
            .invoke(&endpoint, "addIceCandidate", json!({"candidate": candidate}))
            .await
            .map_err(failed("addIceCandidate"))?;
        if let Some(owner) = lock(&owners).get(&endpoint) {
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
            released.push(published.endpoint.endpoint);
            released.push(published.passthrough);
        }
        media.subscriptions.retain(|(subscriber, source), endpoint| {
            let keep = source != publisher;
            if !keep {
                subscribers.push(subscriber.clone());
                released.push(endpoint.clone());
            }
            keep
        });
        release_later(media.client.clone(), released);
        subscribers
    }

    /// Releases one subscription.
    pub fn unsubscribe(&self, session: &str, subscriber: &str, publisher: &str) -> bool {
        let mut sessions = self.sessions();
        let Some(media) = sessions.get_mut(session) else { return false };
        match media.subscriptions.remove(&(subscriber.to_string(), publisher.to_string())) {
            Some(endpoint) => {
                release_later(media.client.clone(), vec![endpoint]);
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
                released.push(endpoint.clone());
            }
            keep
        });
        release_later(media.client.clone(), released);
    }

    /// The session closed: its pipeline (and with it every element) is released.
    /// The returned task ends when the node has answered (or the release failed).
    pub fn close(&self, session: &str) -> Option<JoinHandle<()>> {
        let media = self.sessions().remove(session)?;
        media.relay.abort();
        release_later(media.client, vec![media.pipeline])
    }
}

fn release_later(client: Arc<KurentoClient>, objects: Vec<String>) -> Option<JoinHandle<()>> {
    if objects.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        for object in objects {
            if let Err(error) = client.release(&object).await {
                tracing::debug!(%object, %error, "release failed (the node may be gone)");
            }
        }
    }))
}

/// Relays `IceCandidateFound` of the session's endpoints to their owners as
/// `iceCandidate`, and records candidates, selected pairs and media events for the
/// REST views.
async fn relay_endpoint_events(client: Arc<KurentoClient>, session: String, owners: Owners, hub: Arc<Hub>) {
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
        if event.kind != CANDIDATE_EVENT && !OPENVIDU_ENDPOINT_EVENTS.contains(&event.kind.as_str()) {
            continue;
        }
        let Some(owner) = lock(&owners).get(&event.object).cloned() else { continue };
        match event.kind.as_str() {
            CANDIDATE_EVENT => {
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
