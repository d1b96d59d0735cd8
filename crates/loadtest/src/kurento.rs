//! [`MediaServerDriver`] over the Kurento protocol, making the calls OpenVidu 2's
//! master makes (kurento-protocol.md §8) through kurento-protocol's typed
//! facade, so that the load generator and the master share one recipe:
//!
//! - room: `create MediaPipeline`, subscribe `Error` on it;
//! - publisher: `create PassThrough`, then [`EndpointRecipe::publisher`]
//!   (an endpoint feeding that PassThrough);
//! - subscriber: [`EndpointRecipe::subscriber`] (an endpoint fed from the
//!   publisher's PassThrough), the client offering;
//! - client candidates with `addIceCandidate`; server candidates from
//!   `IceCandidateFound` events, routed by endpoint id from the endpoint's creation on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use kurento_protocol::media::{
    EndpointRecipe, IceCandidate as KurentoCandidate, MediaError, MediaPipeline, PassThrough, VideoBandwidth,
    WebRtcEndpoint,
};
use kurento_protocol::{ClientOptions, Event, KurentoClient};
use tokio::sync::{broadcast, mpsc};

use crate::driver::{DriverError, DriverResult, IceCandidate, MediaServerDriver, Negotiated, PeerId, RoomId};

/// OpenVidu's default bandwidth limits (kbps): publishers' receive side, subscribers' send side.
const BANDWIDTH: VideoBandwidth = VideoBandwidth { max_kbps: 1000, min_kbps: 300 };

type CandidateRoutes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<IceCandidate>>>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct KurentoDriver {
    client: KurentoClient,
    /// Where each endpoint's `IceCandidateFound` candidates go.
    routes: CandidateRoutes,
    /// Each publisher endpoint's PassThrough.
    passthroughs: Mutex<HashMap<String, PassThrough>>,
    dispatcher: tokio::task::JoinHandle<()>,
    /// With [`KurentoDriver::share_room`]: the one pipeline every room is, once made.
    shared: Option<tokio::sync::Mutex<Option<RoomId>>>,
}

/// A failed step of the facade, named as the node's operation (`processOffer`, `create PassThrough`, …).
fn failed(error: MediaError) -> DriverError {
    DriverError::new(error.step.name(), error.source)
}

impl KurentoDriver {
    /// Connects to `url` (`ws://host:port/kurento`).
    pub async fn connect(url: &str) -> DriverResult<Self> {
        let options = ClientOptions { reconnect: false, ..ClientOptions::default() };
        let client = KurentoClient::connect(url, options).await.map_err(|e| DriverError::new("connect", e))?;
        let routes = CandidateRoutes::default();
        let dispatcher = tokio::spawn(dispatch(client.events(), routes.clone()));
        Ok(Self { client, routes, passthroughs: Mutex::new(HashMap::new()), dispatcher, shared: None })
    }

    /// Every room is one media pipeline (made by the first `create_room`), as the publishers of one
    /// OpenVidu session share its pipeline; another client can then mix or record them there.
    pub fn share_room(mut self) -> Self {
        self.shared = Some(tokio::sync::Mutex::new(None));
        self
    }

    /// The underlying client (to watch events such as `MediaFlowInStateChanged`).
    pub fn client(&self) -> &KurentoClient {
        &self.client
    }

    /// Runs `recipe` in `pipeline`, routing the endpoint's candidates from its creation on.
    async fn negotiate(&self, pipeline: &MediaPipeline, recipe: EndpointRecipe<'_>) -> DriverResult<Negotiated> {
        let (route, candidates) = mpsc::unbounded_channel();
        let mut created = None;
        let outcome = recipe
            .run(pipeline, |endpoint| {
                created = Some(endpoint.id().to_string());
                lock(&self.routes).insert(endpoint.id().to_string(), route);
            })
            .await;
        match outcome {
            Ok(done) => {
                Ok(Negotiated { peer: PeerId(done.endpoint.id().to_string()), answer: done.answer, candidates })
            }
            Err(error) => {
                if let Some(endpoint) = created {
                    lock(&self.routes).remove(&endpoint);
                }
                Err(failed(error))
            }
        }
    }
}

impl Drop for KurentoDriver {
    fn drop(&mut self) {
        self.dispatcher.abort();
        self.client.close();
    }
}

/// Hands `IceCandidateFound` candidates to the endpoint they belong to.
async fn dispatch(mut events: broadcast::Receiver<Event>, routes: CandidateRoutes) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "fell behind the media node's events; some trickled candidates were missed");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(found) = KurentoCandidate::from_event(&event) else { continue };
        let candidate = IceCandidate {
            candidate: found.candidate,
            sdp_mid: Some(found.sdp_mid),
            sdp_mline_index: Some(found.sdp_m_line_index),
        };
        if let Some(route) = lock(&routes).get(&event.object) {
            let _ = route.send(candidate);
        }
    }
}

impl MediaServerDriver for KurentoDriver {
    async fn create_room(&self) -> DriverResult<RoomId> {
        let mut shared = match &self.shared {
            Some(shared) => Some(shared.lock().await),
            None => None,
        };
        if let Some(Some(room)) = shared.as_deref() {
            return Ok(room.clone());
        }
        let pipeline = MediaPipeline::create(&self.client).await.map_err(failed)?;
        pipeline.subscribe("Error").await.map_err(failed)?;
        let room = RoomId(pipeline.id().to_string());
        if let Some(slot) = shared.as_deref_mut() {
            *slot = Some(room.clone());
        }
        Ok(room)
    }

    async fn publish(&self, room: &RoomId, offer: &str) -> DriverResult<Negotiated> {
        let pipeline = MediaPipeline::from_id(&self.client, &room.0);
        let passthrough = pipeline.create_passthrough().await.map_err(failed)?;
        match self.negotiate(&pipeline, EndpointRecipe::publisher(&passthrough, offer, BANDWIDTH)).await {
            Ok(negotiated) => {
                lock(&self.passthroughs).insert(negotiated.peer.0.clone(), passthrough);
                Ok(negotiated)
            }
            Err(error) => {
                if let Err(release) = passthrough.release().await {
                    tracing::debug!(%release, "releasing the PassThrough of a failed publisher failed");
                }
                Err(error)
            }
        }
    }

    async fn subscribe(&self, room: &RoomId, publisher: &PeerId, offer: &str) -> DriverResult<Negotiated> {
        let passthrough = lock(&self.passthroughs)
            .get(&publisher.0)
            .cloned()
            .ok_or_else(|| DriverError::new("subscribe", format!("{publisher} is not a publisher here")))?;
        let pipeline = MediaPipeline::from_id(&self.client, &room.0);
        self.negotiate(&pipeline, EndpointRecipe::subscriber(&passthrough, offer, BANDWIDTH)).await
    }

    async fn add_ice_candidate(&self, peer: &PeerId, candidate: &IceCandidate) -> DriverResult<()> {
        let candidate = KurentoCandidate {
            candidate: candidate.candidate.clone(),
            sdp_mid: candidate.sdp_mid.clone().unwrap_or_default(),
            sdp_m_line_index: candidate.sdp_mline_index.unwrap_or(0),
        };
        WebRtcEndpoint::from_id(&self.client, &peer.0).add_ice_candidate(&candidate).await.map_err(failed)
    }

    async fn close_peer(&self, peer: &PeerId) -> DriverResult<()> {
        lock(&self.routes).remove(&peer.0);
        let passthrough = lock(&self.passthroughs).remove(&peer.0);
        if let Some(passthrough) = passthrough {
            passthrough.release().await.map_err(failed)?;
        }
        WebRtcEndpoint::from_id(&self.client, &peer.0).release().await.map_err(failed)
    }

    async fn close_room(&self, room: &RoomId) -> DriverResult<()> {
        if let Some(shared) = &self.shared {
            // A shared pipeline is released once, by the first room closed.
            let mut slot = shared.lock().await;
            if slot.as_ref() != Some(room) {
                return Ok(());
            }
            *slot = None;
        }
        let prefix = format!("{}/", room.0);
        lock(&self.routes).retain(|endpoint, _| !endpoint.starts_with(&prefix));
        lock(&self.passthroughs).retain(|endpoint, _| !endpoint.starts_with(&prefix));
        MediaPipeline::from_id(&self.client, &room.0).release().await.map_err(failed)
    }
}
