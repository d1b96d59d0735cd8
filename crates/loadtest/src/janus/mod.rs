//! [`MediaServerDriver`] over Janus's WebSocket API and its VideoRoom plugin, so the
//! same clients can load Janus as a baseline:
//!
//! - one Janus session, kept alive with `keepalive` (Janus drops idle ones after 60 s);
//! - one plugin handle (`janus.plugin.videoroom`) per peer connection, plus
//!   one without a PeerConnection to create and destroy rooms;
//! - room: VideoRoom `create` (VP8 + Opus, not recorded); closing it detaches
//!   its peers' handles and `destroy`s it;
//! - publisher: `joinandconfigure` with the client's offer, answered by a
//!   `joined` event with Janus's answer;
//! - subscriber: Janus offers ([`Offerer::Server`]): `join` as a subscriber to
//!   the publisher's feed brings an `attached` event with Janus's offer, and
//!   `start` carries the client's answer;
//! - candidates: the client's with `trickle`; Janus's in its SDP (its default
//!   half-trickle) or as `trickle` events.
//!
//! Room ids are kept in [`RoomId`] as JSON text (`1234`, or `"abc"` with the
//! plugin's `string_ids`); a [`PeerId`] is the peer's handle id.

mod connection;
pub mod message;
pub mod transactions;
pub mod videoroom;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

pub use connection::Connection;
use message::{Id, Jsep};
use transactions::Completion;

use crate::driver::{
    DriverError, DriverResult, IceCandidate, MediaServerDriver, Negotiated, Offered, Offerer, PeerId, RoomId,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Well inside Janus's default 60 s session timeout.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(25);

/// What we know of a peer's handle.
struct Peer {
    room: RoomId,
    /// A publisher's id in its room: what its subscribers join.
    feed: Option<Value>,
}

pub struct JanusDriver {
    connection: Connection,
    session: Id,
    /// The handle rooms are created and destroyed with.
    admin: Id,
    peers: Mutex<HashMap<Id, Peer>>,
    keepalive: tokio::task::JoinHandle<()>,
}

fn error(operation: &str) -> impl FnOnce(String) -> DriverError + '_ {
    move |message| DriverError::new(operation, message)
}

fn room_value(room: &RoomId) -> DriverResult<Value> {
    match serde_json::from_str(&room.0) {
        Ok(id @ (Value::Number(_) | Value::String(_))) => Ok(id),
        _ => Err(DriverError::new("room", format!("{} is not a Janus room id", room.0))),
    }
}

fn handle_of(peer: &PeerId) -> DriverResult<Id> {
    peer.0.parse().map_err(|_| DriverError::new("peer", format!("{peer} is not a Janus handle id")))
}

/// Sends a keepalive every [`KEEPALIVE_INTERVAL`] until aborted.
async fn keep_alive(connection: Connection, session: Id) {
    let mut interval = tokio::time::interval(KEEPALIVE_INTERVAL);
    interval.tick().await;
    loop {
        interval.tick().await;
        if let Err(error) = connection.request(message::keepalive(session), Completion::Ack).await {
            tracing::warn!(%error, "Janus keepalive failed");
        }
    }
}

impl JanusDriver {
    /// Connects to `url` (`ws://host:8188/`), creates a session and the room-administration handle.
    pub async fn connect(url: &str) -> DriverResult<Self> {
        let connection = Connection::open(url, CONNECT_TIMEOUT, REQUEST_TIMEOUT).await.map_err(error("connect"))?;
        let reply =
            connection.request(message::create_session(), Completion::Reply).await.map_err(error("create session"))?;
        let session = reply.id().ok_or_else(|| DriverError::new("create session", "no session id in the reply"))?;
        let admin = attach(&connection, session).await?;
        let keepalive = tokio::spawn(keep_alive(connection.clone(), session));
        Ok(Self { connection, session, admin, peers: Mutex::new(HashMap::new()), keepalive })
    }

    /// Ends the Janus session (and with it every handle left). Dropping the
    /// driver without this only closes the socket, which Janus also cleans up after.
    pub async fn close(&self) {
        self.keepalive.abort();
        let request = message::destroy_session(self.session);
        if let Err(error) = self.connection.request(request, Completion::Reply).await {
            tracing::debug!(%error, "cannot destroy the Janus session");
        }
    }

    fn lock_peers(&self) -> MutexGuard<'_, HashMap<Id, Peer>> {
        self.peers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A VideoRoom request on `handle`: the plugin's answer and SDP, or its error.
    async fn plugin(
        &self,
        operation: &str,
        handle: Id,
        body: Value,
        jsep: Option<&Jsep>,
    ) -> DriverResult<(Value, Option<Jsep>)> {
        let request = message::message(self.session, handle, body, jsep);
        let reply = self.connection.request(request, Completion::Reply).await.map_err(error(operation))?;
        let data = reply.plugin_data().map_err(error(operation))?.clone();
        Ok((data, reply.jsep))
    }

    async fn detach(&self, handle: Id) -> DriverResult<()> {
        self.connection.forget_candidates(handle);
        let request = message::detach(self.session, handle);
        self.connection.request(request, Completion::Reply).await.map(|_| ()).map_err(error("detach"))
    }

    /// A new handle with its candidate channel, and what `negotiate` makes of it; a failed handle is detached.
    async fn with_handle<T>(
        &self,
        negotiate: impl AsyncFnOnce(Id) -> DriverResult<T>,
    ) -> DriverResult<(Id, T, tokio::sync::mpsc::UnboundedReceiver<IceCandidate>)> {
        let handle = attach(&self.connection, self.session).await?;
        let candidates = self.connection.candidates(handle);
        match negotiate(handle).await {
            Ok(negotiated) => Ok((handle, negotiated, candidates)),
            Err(failure) => {
                if let Err(error) = self.detach(handle).await {
                    tracing::debug!(%error, "cannot detach a failed handle");
                }
                Err(failure)
            }
        }
    }
}

async fn attach(connection: &Connection, session: Id) -> DriverResult<Id> {
    let request = message::attach(session, videoroom::PLUGIN);
    let reply = connection.request(request, Completion::Reply).await.map_err(error("attach"))?;
    reply.id().ok_or_else(|| DriverError::new("attach", "no handle id in the reply"))
}

/// The SDP of `kind` a reply must carry.
fn sdp(operation: &str, jsep: Option<Jsep>, kind: &str) -> DriverResult<String> {
    match jsep {
        Some(jsep) if jsep.kind == kind => Ok(jsep.sdp),
        Some(jsep) => Err(DriverError::new(operation, format!("expected an {kind}, got an {}", jsep.kind))),
        None => Err(DriverError::new(operation, format!("no {kind} in the reply"))),
    }
}

impl Drop for JanusDriver {
    fn drop(&mut self) {
        self.keepalive.abort();
    }
}

impl MediaServerDriver for JanusDriver {
    async fn create_room(&self) -> DriverResult<RoomId> {
        let (data, _) = self.plugin("create room", self.admin, videoroom::create_room(), None).await?;
        let room = videoroom::created_room(&data).map_err(error("create room"))?;
        Ok(RoomId(room.to_string()))
    }

    async fn publish(&self, room: &RoomId, offer: &str) -> DriverResult<Negotiated> {
        let id = room_value(room)?;
        let (handle, (feed, answer), candidates) = self
            .with_handle(async |handle| {
                let offer = Jsep::offer(offer);
                let (data, jsep) = self.plugin("publish", handle, videoroom::publish(&id), Some(&offer)).await?;
                let feed = videoroom::joined_feed(&data).map_err(error("publish"))?;
                Ok((feed, sdp("publish", jsep, "answer")?))
            })
            .await?;
        self.lock_peers().insert(handle, Peer { room: room.clone(), feed: Some(feed) });
        Ok(Negotiated { peer: PeerId(handle.to_string()), answer, candidates })
    }

    fn subscription_offerer(&self) -> Offerer {
        Offerer::Server
    }

    async fn subscribe(&self, _room: &RoomId, _publisher: &PeerId, _offer: &str) -> DriverResult<Negotiated> {
        Err(DriverError::new("subscribe", "Janus offers subscriptions itself (use subscribe_offered)"))
    }

    async fn subscribe_offered(&self, room: &RoomId, publisher: &PeerId) -> DriverResult<Offered> {
        let id = room_value(room)?;
        let publisher_handle = handle_of(publisher)?;
        let feed = self.lock_peers().get(&publisher_handle).and_then(|peer| peer.feed.clone());
        let feed = feed.ok_or_else(|| DriverError::new("subscribe", format!("{publisher} is not a publisher here")))?;
        let (handle, offer, candidates) = self
            .with_handle(async |handle| {
                let body = videoroom::subscribe(&id, &feed);
                let (data, jsep) = self.plugin("subscribe", handle, body, None).await?;
                videoroom::expect(&data, "attached").map_err(error("subscribe"))?;
                sdp("subscribe", jsep, "offer")
            })
            .await?;
        self.lock_peers().insert(handle, Peer { room: room.clone(), feed: None });
        Ok(Offered { peer: PeerId(handle.to_string()), offer, candidates })
    }

    async fn answer(&self, peer: &PeerId, answer: &str) -> DriverResult<()> {
        let handle = handle_of(peer)?;
        let (data, _) = self.plugin("start", handle, videoroom::start(), Some(&Jsep::answer(answer))).await?;
        videoroom::expect(&data, "event").map(|_| ()).map_err(error("start"))
    }

    async fn add_ice_candidate(&self, peer: &PeerId, candidate: &IceCandidate) -> DriverResult<()> {
        let request = message::trickle(self.session, handle_of(peer)?, candidate);
        self.connection.request(request, Completion::Ack).await.map(|_| ()).map_err(error("trickle"))
    }

    async fn close_peer(&self, peer: &PeerId) -> DriverResult<()> {
        let handle = handle_of(peer)?;
        self.lock_peers().remove(&handle);
        self.detach(handle).await
    }

    async fn close_room(&self, room: &RoomId) -> DriverResult<()> {
        let id = room_value(room)?;
        // Subscribers first: a publisher leaving before its subscribers makes Janus
        // renegotiate (and log errors for) subscriptions that are about to go anyway.
        let handles: Vec<Id> = {
            let mut peers = self.lock_peers();
            let mut handles: Vec<(bool, Id)> = peers
                .iter()
                .filter(|(_, peer)| peer.room == *room)
                .map(|(h, peer)| (peer.feed.is_some(), *h))
                .collect();
            handles.sort_unstable();
            peers.retain(|_, peer| peer.room != *room);
            handles.into_iter().map(|(_, handle)| handle).collect()
        };
        for handle in handles {
            if let Err(error) = self.detach(handle).await {
                tracing::debug!(%error, handle, "cannot detach a handle");
            }
        }
        let (data, _) = self.plugin("destroy room", self.admin, videoroom::destroy_room(&id), None).await?;
        videoroom::expect(&data, "destroyed").map(|_| ()).map_err(error("destroy room"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_and_peer_ids_round_trip() {
        let numeric = RoomId(serde_json::json!(1234).to_string());
        assert_eq!(room_value(&numeric).ok(), Some(serde_json::json!(1234)));
        let text = RoomId(serde_json::json!("room-1").to_string());
        assert_eq!(room_value(&text).ok(), Some(serde_json::json!("room-1")));
        assert!(room_value(&RoomId("{".into())).is_err());
        assert!(room_value(&RoomId("[1]".into())).is_err());
        assert_eq!(handle_of(&PeerId("42".into())).ok(), Some(42));
        assert!(handle_of(&PeerId("kurento/endpoint".into())).is_err());
    }

    #[test]
    fn replies_must_carry_the_expected_sdp() {
        assert_eq!(sdp("x", Some(Jsep::answer("v=0")), "answer").ok(), Some("v=0".to_string()));
        assert!(sdp("x", Some(Jsep::offer("v=0")), "answer").is_err());
        assert!(sdp("x", None, "offer").is_err());
    }
}
