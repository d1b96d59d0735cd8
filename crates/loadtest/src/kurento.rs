//! [`MediaServerDriver`] over the Kurento protocol, making the calls OpenVidu 2's
//! master makes (kurento-protocol.md §8):
//!
//! - room: `create MediaPipeline`, subscribe `Error` on it;
//! - publisher: `create WebRtcEndpoint`, the bandwidth setters, subscribe the
//!   endpoint listeners, `processOffer`, subscribe `IceCandidateFound`,
//!   `create PassThrough`, `connect` endpoint → PassThrough, `gatherCandidates`;
//! - subscriber: `create WebRtcEndpoint`, the bandwidth setters, the listeners,
//!   subscribe `IceCandidateFound`, `connect` PassThrough → endpoint,
//!   `processOffer` (client-initiated), `gatherCandidates`;
//! - client candidates with `addIceCandidate`; server candidates from
//!   `IceCandidateFound` events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kurento_protocol::event::OPENVIDU_ENDPOINT_EVENTS;
use kurento_protocol::{ClientError, ClientOptions, Event, KurentoClient};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::driver::{DriverError, DriverResult, IceCandidate, MediaServerDriver, Negotiated, PeerId, RoomId};

/// OpenVidu's default bandwidth limits (kbps): publishers' receive side, subscribers' send side.
const MAX_VIDEO_BANDWIDTH: u64 = 1000;
const MIN_VIDEO_BANDWIDTH: u64 = 300;

type CandidateRoutes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<IceCandidate>>>>;

pub struct KurentoDriver {
    client: KurentoClient,
    /// Where each endpoint's `IceCandidateFound` candidates go.
    routes: CandidateRoutes,
    /// Each publisher endpoint's PassThrough.
    passthroughs: Mutex<HashMap<String, String>>,
    dispatcher: tokio::task::JoinHandle<()>,
}

fn error(operation: &str) -> impl FnOnce(ClientError) -> DriverError + '_ {
    move |e| DriverError::new(operation, e)
}

impl KurentoDriver {
    /// Connects to `url` (`ws://host:port/kurento`).
    pub async fn connect(url: &str) -> DriverResult<Self> {
        let options = ClientOptions { reconnect: false, ..ClientOptions::default() };
        let client = KurentoClient::connect(url, options).await.map_err(error("connect"))?;
        let routes = CandidateRoutes::default();
        let dispatcher = tokio::spawn(dispatch(client.events(), routes.clone()));
        Ok(Self { client, routes, passthroughs: Mutex::new(HashMap::new()), dispatcher })
    }

    /// The underlying client (to watch events such as `MediaFlowInStateChanged`).
    pub fn client(&self) -> &KurentoClient {
        &self.client
    }

    fn lock_passthroughs(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.passthroughs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `create WebRtcEndpoint`, the bandwidth setters and the listeners; returns the endpoint and its candidates.
    async fn endpoint(
        &self,
        room: &RoomId,
        publisher: bool,
    ) -> DriverResult<(String, mpsc::UnboundedReceiver<IceCandidate>)> {
        let endpoint = self
            .client
            .create("WebRtcEndpoint", json!({"mediaPipeline": room.0}))
            .await
            .map_err(error("create WebRtcEndpoint"))?;
        let (sender, receiver) = mpsc::unbounded_channel();
        self.routes.lock().unwrap_or_else(|p| p.into_inner()).insert(endpoint.clone(), sender);
        let direction = if publisher { "Recv" } else { "Send" };
        for (limit, value) in [("Max", MAX_VIDEO_BANDWIDTH), ("Min", MIN_VIDEO_BANDWIDTH)] {
            let property = format!("{}Video{direction}Bandwidth", limit.to_lowercase());
            let operation = format!("set{limit}Video{direction}Bandwidth");
            let mut params = serde_json::Map::new();
            params.insert(property, json!(value));
            self.client.invoke(&endpoint, &operation, Value::Object(params)).await.map_err(error(&operation))?;
        }
        for event in OPENVIDU_ENDPOINT_EVENTS {
            self.client.subscribe(&endpoint, event).await.map_err(error("subscribe"))?;
        }
        Ok((endpoint, receiver))
    }

    async fn process_offer(&self, endpoint: &str, offer: &str) -> DriverResult<String> {
        match self.client.invoke(endpoint, "processOffer", json!({"offer": offer})).await {
            Ok(Value::String(answer)) => Ok(answer),
            Ok(other) => Err(DriverError::new("processOffer", format!("unexpected answer {other}"))),
            Err(e) => Err(DriverError::new("processOffer", e)),
        }
    }

    async fn connect_elements(&self, source: &str, sink: &str) -> DriverResult<()> {
        self.client.invoke(source, "connect", json!({"sink": sink})).await.map_err(error("connect")).map(|_| ())
    }

    async fn gather(&self, endpoint: &str) -> DriverResult<()> {
        self.client.invoke(endpoint, "gatherCandidates", json!({})).await.map_err(error("gatherCandidates")).map(|_| ())
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
        if event.kind != "IceCandidateFound" {
            continue;
        }
        let Some(found) = event.data.get("candidate") else { continue };
        let Some(candidate) = found.get("candidate").and_then(Value::as_str) else { continue };
        let candidate = IceCandidate {
            candidate: candidate.to_string(),
            sdp_mid: found.get("sdpMid").and_then(Value::as_str).map(str::to_string),
            sdp_mline_index: found.get("sdpMLineIndex").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok()),
        };
        if let Some(route) = routes.lock().unwrap_or_else(|p| p.into_inner()).get(&event.object) {
            let _ = route.send(candidate);
        }
    }
}

impl MediaServerDriver for KurentoDriver {
    async fn create_room(&self) -> DriverResult<RoomId> {
        let pipeline = self.client.create("MediaPipeline", json!({})).await.map_err(error("create MediaPipeline"))?;
        self.client.subscribe(&pipeline, "Error").await.map_err(error("subscribe"))?;
        Ok(RoomId(pipeline))
    }

    async fn publish(&self, room: &RoomId, offer: &str) -> DriverResult<Negotiated> {
        let (endpoint, candidates) = self.endpoint(room, true).await?;
        let answer = self.process_offer(&endpoint, offer).await?;
        self.client.subscribe(&endpoint, "IceCandidateFound").await.map_err(error("subscribe"))?;
        let passthrough = self
            .client
            .create("PassThrough", json!({"mediaPipeline": room.0}))
            .await
            .map_err(error("create PassThrough"))?;
        self.lock_passthroughs().insert(endpoint.clone(), passthrough.clone());
        self.connect_elements(&endpoint, &passthrough).await?;
        self.gather(&endpoint).await?;
        Ok(Negotiated { peer: PeerId(endpoint), answer, candidates })
    }

    async fn subscribe(&self, room: &RoomId, publisher: &PeerId, offer: &str) -> DriverResult<Negotiated> {
        let passthrough = self
            .lock_passthroughs()
            .get(&publisher.0)
            .cloned()
            .ok_or_else(|| DriverError::new("subscribe", format!("{publisher} is not a publisher here")))?;
        let (endpoint, candidates) = self.endpoint(room, false).await?;
        self.client.subscribe(&endpoint, "IceCandidateFound").await.map_err(error("subscribe"))?;
        self.connect_elements(&passthrough, &endpoint).await?;
        let answer = self.process_offer(&endpoint, offer).await?;
        self.gather(&endpoint).await?;
        Ok(Negotiated { peer: PeerId(endpoint), answer, candidates })
    }

    async fn add_ice_candidate(&self, peer: &PeerId, candidate: &IceCandidate) -> DriverResult<()> {
        let candidate = kurento_protocol::event::complex(
            "IceCandidate",
            json!({
                "candidate": candidate.candidate,
                "sdpMid": candidate.sdp_mid.clone().unwrap_or_default(),
                "sdpMLineIndex": candidate.sdp_mline_index.unwrap_or(0),
            }),
        );
        self.client
            .invoke(&peer.0, "addIceCandidate", json!({"candidate": candidate}))
            .await
            .map_err(error("addIceCandidate"))
            .map(|_| ())
    }

    async fn close_peer(&self, peer: &PeerId) -> DriverResult<()> {
        self.routes.lock().unwrap_or_else(|p| p.into_inner()).remove(&peer.0);
        let passthrough = self.lock_passthroughs().remove(&peer.0);
        if let Some(passthrough) = passthrough {
            self.client.release(&passthrough).await.map_err(error("release"))?;
        }
        self.client.release(&peer.0).await.map_err(error("release"))
    }

    async fn close_room(&self, room: &RoomId) -> DriverResult<()> {
        let prefix = format!("{}/", room.0);
        self.routes.lock().unwrap_or_else(|p| p.into_inner()).retain(|endpoint, _| !endpoint.starts_with(&prefix));
        self.lock_passthroughs().retain(|endpoint, _| !endpoint.starts_with(&prefix));
        self.client.release(&room.0).await.map_err(error("release"))
    }
}
