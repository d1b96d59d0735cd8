//! The load generator's pluggable media-server driver: how its clients get a
//! room to publish in, an SDP offer/answer for each peer connection, and
//! trickled ICE candidates both ways. The trait knows nothing of a particular
//! server's control protocol; [`crate::kurento`] speaks Kurento's (as OpenVidu's
//! master does), [`crate::janus`] Janus's VideoRoom. ("Signaling" in Plenum is
//! the master's browser protocol only; nothing here speaks it.)

use std::future::Future;

use tokio::sync::mpsc;

/// A room (a Kurento media pipeline, a Janus video room, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoomId(pub String);

/// The server's side of one peer connection; a publisher's also names its stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerId(pub String);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ICE candidate as trickled to and from the server (`candidate:...`, as in an SDP `a=` line without `a=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCandidate {
    pub candidate: String,
    pub sdp_mid: Option<String>,
    pub sdp_mline_index: Option<u32>,
}

/// The outcome of an offer: the server's answer and its candidates, as they come.
#[derive(Debug)]
pub struct Negotiated {
    pub peer: PeerId,
    pub answer: String,
    /// Candidates the server trickles; ends when the server is done or the peer is closed.
    pub candidates: mpsc::UnboundedReceiver<IceCandidate>,
}

/// Who writes the SDP offer of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offerer {
    /// The client offers to receive and the server answers (Kurento's `processOffer`, as OpenVidu does).
    Client,
    /// The server offers what it will send and the client answers (Janus's VideoRoom).
    Server,
}

/// A subscription the server offered; the client answers it with [`MediaServerDriver::answer`].
#[derive(Debug)]
pub struct Offered {
    pub peer: PeerId,
    pub offer: String,
    /// Candidates the server trickles; ends when the server is done or the peer is closed.
    pub candidates: mpsc::UnboundedReceiver<IceCandidate>,
}

/// A request to the media server that failed: which one, and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct DriverError {
    pub operation: String,
    pub message: String,
}

impl DriverError {
    pub fn new(operation: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self { operation: operation.into(), message: message.to_string() }
    }
}

pub type DriverResult<T> = Result<T, DriverError>;

/// Drives one media server for the load generator. Publishers
/// always offer (send-only). Subscriptions are offered by whichever side
/// [`MediaServerDriver::subscription_offerer`] names: the client (a receive-only offer
/// to [`MediaServerDriver::subscribe`]) or the server ([`MediaServerDriver::subscribe_offered`],
/// then [`MediaServerDriver::answer`]). Servers whose subscriptions are client-offered
/// need not implement the server-offered pair.
pub trait MediaServerDriver: Send + Sync + 'static {
    fn create_room(&self) -> impl Future<Output = DriverResult<RoomId>> + Send;

    /// Publishes a stream in `room` with a send-only offer.
    fn publish(&self, room: &RoomId, offer: &str) -> impl Future<Output = DriverResult<Negotiated>> + Send;

    /// Who offers for subscriptions on this server.
    fn subscription_offerer(&self) -> Offerer {
        Offerer::Client
    }

    /// Receives `publisher`'s stream with a receive-only offer (when the client offers).
    fn subscribe(
        &self,
        room: &RoomId,
        publisher: &PeerId,
        offer: &str,
    ) -> impl Future<Output = DriverResult<Negotiated>> + Send;

    /// Asks to receive `publisher`'s stream; the server offers it (when the server offers).
    fn subscribe_offered(
        &self,
        room: &RoomId,
        publisher: &PeerId,
    ) -> impl Future<Output = DriverResult<Offered>> + Send {
        let _ = (room, publisher);
        std::future::ready(Err(DriverError::new("subscribe", "this server expects subscribers to offer")))
    }

    /// Answers the offer of a server-offered subscription.
    fn answer(&self, peer: &PeerId, answer: &str) -> impl Future<Output = DriverResult<()>> + Send {
        let _ = (peer, answer);
        std::future::ready(Err(DriverError::new("answer", "this server expects subscribers to offer")))
    }

    /// Trickles one of the client's candidates to the server.
    fn add_ice_candidate(
        &self,
        peer: &PeerId,
        candidate: &IceCandidate,
    ) -> impl Future<Output = DriverResult<()>> + Send;

    /// Ends one peer connection on the server.
    fn close_peer(&self, peer: &PeerId) -> impl Future<Output = DriverResult<()>> + Send;

    /// Ends a room and everything in it.
    fn close_room(&self, room: &RoomId) -> impl Future<Output = DriverResult<()>> + Send;
}
