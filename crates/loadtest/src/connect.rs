//! Bringing one client up: a socket and an `Rtc` with its host candidate, the
//! offer through [`Signaling`], the answer applied, the peer handed to an
//! engine, candidates trickled both ways.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid};
use str0m::{Candidate, Rtc};

use crate::clip::Clip;
use crate::engine::{EngineHandle, PeerHandle};
use crate::peer::{Peer, Role};
use crate::publisher::Publisher;
use crate::signaling::{IceCandidate, Negotiated, PeerId, RoomId, Signaling, SignalingError};
use crate::stats::SharedStats;
use crate::subscriber::Subscriber;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("signaling: {0}")]
    Signaling(#[from] SignalingError),
    #[error("SDP: {0}")]
    Sdp(String),
}

#[derive(Debug, Clone)]
pub struct PublisherOptions {
    /// Local address for the client's UDP socket (and host candidate).
    pub bind: IpAddr,
    pub clip: Arc<Clip>,
}

#[derive(Debug, Clone)]
pub struct SubscriberOptions {
    pub bind: IpAddr,
    /// Send PLIs until the first keyframe arrives, as a browser does.
    pub auto_keyframe: bool,
}

/// A connected (or connecting) client; closed when dropped.
pub struct Client {
    /// The server's id of this peer connection.
    pub peer: PeerId,
    pub handle: PeerHandle,
    pub local: SocketAddr,
    candidates: tokio::task::JoinHandle<()>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.candidates.abort();
        self.handle.close();
    }
}

struct Prepared {
    rtc: Rtc,
    socket: UdpSocket,
    candidate: Candidate,
    offer: SdpOffer,
    pending: SdpPendingOffer,
    audio: Mid,
    video: Mid,
}

/// An `Rtc` with one audio and one video m-line in `direction`, its offer, and its socket.
fn prepare(bind: IpAddr, direction: Direction, rtp_mode: bool) -> Result<Prepared, ConnectError> {
    let socket = UdpSocket::bind((bind, 0))?;
    let mut rtc = Rtc::builder()
        .clear_codecs()
        .enable_opus(true, false)
        .enable_vp8(true)
        .set_rtp_mode(rtp_mode)
        .set_stats_interval(None)
        .build(Instant::now());
    let candidate = Candidate::host(socket.local_addr()?, "udp").map_err(|e| ConnectError::Sdp(e.to_string()))?;
    rtc.add_local_candidate(candidate.clone());
    let mut api = rtc.sdp_api();
    let audio = api.add_media(MediaKind::Audio, direction, None, None, None);
    let video = api.add_media(MediaKind::Video, direction, None, None, None);
    let (offer, pending) = api.apply().ok_or_else(|| ConnectError::Sdp("no offer".into()))?;
    Ok(Prepared { rtc, socket, candidate, offer, pending, audio, video })
}

/// Applies the answer, starts the peer on `engine`, and trickles candidates both ways.
async fn finish<S: Signaling>(
    signaling: &S,
    engine: &EngineHandle,
    mut prepared: Prepared,
    negotiated: Negotiated,
    role: Role,
) -> Result<Client, ConnectError> {
    let answer = SdpAnswer::from_sdp_string(&negotiated.answer).map_err(|e| ConnectError::Sdp(e.to_string()))?;
    prepared.rtc.sdp_api().accept_answer(prepared.pending, answer).map_err(|e| ConnectError::Sdp(e.to_string()))?;
    let local = prepared.socket.local_addr()?;
    let stats = SharedStats::default();
    let peer = Peer::new(prepared.rtc, prepared.socket, role, stats.clone())?;
    let handle = engine.add(peer, stats);
    let mut candidates = negotiated.candidates;
    let remote = handle.clone();
    let forward = tokio::spawn(async move {
        while let Some(found) = candidates.recv().await {
            match Candidate::from_sdp_string(found.candidate.trim().trim_start_matches("a=")) {
                Ok(candidate) => remote.add_remote_candidate(candidate),
                Err(error) => tracing::debug!(%error, candidate = found.candidate, "unusable server candidate"),
            }
        }
    });
    let client = Client { peer: negotiated.peer, handle, local, candidates: forward };
    let ours = IceCandidate {
        candidate: prepared.candidate.to_sdp_string(),
        sdp_mid: Some(prepared.audio.to_string()),
        sdp_mline_index: Some(0),
    };
    signaling.add_ice_candidate(&client.peer, &ours).await?;
    Ok(client)
}

/// Publishes the clip (send-only audio and video) in `room`.
pub async fn connect_publisher<S: Signaling>(
    signaling: &S,
    engine: &EngineHandle,
    room: &RoomId,
    options: &PublisherOptions,
) -> Result<Client, ConnectError> {
    let prepared = prepare(options.bind, Direction::SendOnly, false)?;
    let negotiated = signaling.publish(room, &prepared.offer.to_sdp_string()).await?;
    let role = Role::Publisher(Publisher::new(options.clip.clone(), prepared.audio, prepared.video));
    finish(signaling, engine, prepared, negotiated, role).await
}

/// Receives `publisher`'s stream (receive-only audio and video, counted in RTP mode).
pub async fn connect_subscriber<S: Signaling>(
    signaling: &S,
    engine: &EngineHandle,
    room: &RoomId,
    publisher: &PeerId,
    options: &SubscriberOptions,
) -> Result<Client, ConnectError> {
    let prepared = prepare(options.bind, Direction::RecvOnly, true)?;
    let negotiated = signaling.subscribe(room, publisher, &prepared.offer.to_sdp_string()).await?;
    let role = Role::Subscriber(Subscriber::new(prepared.audio, prepared.video, options.auto_keyframe));
    finish(signaling, engine, prepared, negotiated, role).await
}
