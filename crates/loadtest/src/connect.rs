//! Bringing one client up: a socket and an `Rtc` with its host candidate, the
//! offer/answer exchange through [`MediaServerDriver`] (the client offers, or for
//! subscriptions on some servers the server does), the peer handed to an
//! engine, candidates trickled both ways.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Instant;

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind, Mid};
use str0m::{Candidate, Rtc};
use tokio::sync::mpsc;

use crate::clip::Clip;
use crate::driver::{DriverError, IceCandidate, MediaServerDriver, Negotiated, Offerer, PeerId, RoomId};
use crate::engine::{EngineHandle, PeerHandle};
use crate::peer::{Peer, Role};
use crate::publisher::Publisher;
use crate::stats::SharedStats;
use crate::subscriber::Subscriber;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("media server: {0}")]
    Driver(#[from] DriverError),
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

/// An `Rtc` (Opus and VP8 only) with its UDP socket and host candidate.
struct Local {
    rtc: Rtc,
    socket: UdpSocket,
    candidate: Candidate,
}

fn local(bind: IpAddr, rtp_mode: bool) -> Result<Local, ConnectError> {
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
    Ok(Local { rtc, socket, candidate })
}

/// A client-side offer, waiting for the server's answer.
struct Prepared {
    local: Local,
    offer: SdpOffer,
    pending: SdpPendingOffer,
    audio: Mid,
    video: Mid,
}

/// An `Rtc` with one audio and one video m-line in `direction`, its offer, and its socket.
fn prepare(bind: IpAddr, direction: Direction, rtp_mode: bool) -> Result<Prepared, ConnectError> {
    let mut local = local(bind, rtp_mode)?;
    let mut api = local.rtc.sdp_api();
    let audio = api.add_media(MediaKind::Audio, direction, None, None, None);
    let video = api.add_media(MediaKind::Video, direction, None, None, None);
    let (offer, pending) = api.apply().ok_or_else(|| ConnectError::Sdp("no offer".into()))?;
    Ok(Prepared { local, offer, pending, audio, video })
}

/// Applies the answer to our offer, then starts the peer.
async fn finish<S: MediaServerDriver>(
    driver: &S,
    engine: &EngineHandle,
    mut prepared: Prepared,
    negotiated: Negotiated,
    role: Role,
) -> Result<Client, ConnectError> {
    let answer = SdpAnswer::from_sdp_string(&negotiated.answer).map_err(|e| ConnectError::Sdp(e.to_string()))?;
    prepared
        .local
        .rtc
        .sdp_api()
        .accept_answer(prepared.pending, answer)
        .map_err(|e| ConnectError::Sdp(e.to_string()))?;
    start(driver, engine, prepared.local, negotiated.peer, negotiated.candidates, role, prepared.audio).await
}

/// Starts the negotiated peer on `engine` and trickles candidates both ways
/// (ours is announced on `first_mid`, the first m-line's).
async fn start<S: MediaServerDriver>(
    driver: &S,
    engine: &EngineHandle,
    local: Local,
    peer: PeerId,
    mut candidates: mpsc::UnboundedReceiver<IceCandidate>,
    role: Role,
    first_mid: Mid,
) -> Result<Client, ConnectError> {
    let address = local.socket.local_addr()?;
    let stats = SharedStats::default();
    let handle = engine.add(Peer::new(local.rtc, local.socket, role, stats.clone())?, stats);
    let remote = handle.clone();
    let forward = tokio::spawn(async move {
        while let Some(found) = candidates.recv().await {
            match Candidate::from_sdp_string(found.candidate.trim().trim_start_matches("a=")) {
                Ok(candidate) => remote.add_remote_candidate(candidate),
                Err(error) => tracing::debug!(%error, candidate = found.candidate, "unusable server candidate"),
            }
        }
    });
    let client = Client { peer, handle, local: address, candidates: forward };
    let ours = IceCandidate {
        candidate: local.candidate.to_sdp_string(),
        sdp_mid: Some(first_mid.to_string()),
        sdp_mline_index: Some(0),
    };
    driver.add_ice_candidate(&client.peer, &ours).await?;
    Ok(client)
}

/// Publishes the clip (send-only audio and video) in `room`.
pub async fn connect_publisher<S: MediaServerDriver>(
    driver: &S,
    engine: &EngineHandle,
    room: &RoomId,
    options: &PublisherOptions,
) -> Result<Client, ConnectError> {
    let prepared = prepare(options.bind, Direction::SendOnly, false)?;
    let negotiated = driver.publish(room, &prepared.offer.to_sdp_string()).await?;
    let role = Role::Publisher(Publisher::new(options.clip.clone(), prepared.audio, prepared.video));
    finish(driver, engine, prepared, negotiated, role).await
}

/// Receives `publisher`'s stream (audio and video, counted in RTP mode), with
/// the client or the server offering as the server wants.
pub async fn connect_subscriber<S: MediaServerDriver>(
    driver: &S,
    engine: &EngineHandle,
    room: &RoomId,
    publisher: &PeerId,
    options: &SubscriberOptions,
) -> Result<Client, ConnectError> {
    if driver.subscription_offerer() == Offerer::Server {
        return connect_offered_subscriber(driver, engine, room, publisher, options).await;
    }
    let prepared = prepare(options.bind, Direction::RecvOnly, true)?;
    let negotiated = driver.subscribe(room, publisher, &prepared.offer.to_sdp_string()).await?;
    let role = Role::Subscriber(Subscriber::new(prepared.audio, prepared.video, options.auto_keyframe));
    finish(driver, engine, prepared, negotiated, role).await
}

/// A subscriber to a server that offers: accept its offer, send the answer.
/// The server-side peer is closed again if that fails.
async fn connect_offered_subscriber<S: MediaServerDriver>(
    driver: &S,
    engine: &EngineHandle,
    room: &RoomId,
    publisher: &PeerId,
    options: &SubscriberOptions,
) -> Result<Client, ConnectError> {
    let mut local = local(options.bind, true)?;
    let offered = driver.subscribe_offered(room, publisher).await?;
    let answered = async {
        let (answer, mids) = accept(&mut local.rtc, &offered.offer)?;
        driver.answer(&offered.peer, &answer).await?;
        Ok::<_, ConnectError>(mids)
    }
    .await;
    let mids = match answered {
        Ok(mids) => mids,
        Err(error) => {
            if let Err(close) = driver.close_peer(&offered.peer).await {
                tracing::debug!(%close, "cannot close a failed subscription");
            }
            return Err(error);
        }
    };
    let role = Role::Subscriber(Subscriber::new(mids.audio, mids.video, options.auto_keyframe));
    start(driver, engine, local, offered.peer, offered.candidates, role, mids.first).await
}

/// The m-lines of an offer this client needs.
#[derive(Debug, PartialEq, Eq)]
struct OfferedMids {
    first: Mid,
    audio: Mid,
    video: Mid,
}

/// Accepts the server's offer: the answer, and which mids carry what.
fn accept(rtc: &mut Rtc, offer: &str) -> Result<(String, OfferedMids), ConnectError> {
    let mids = offered_mids(offer)?;
    let offer = SdpOffer::from_sdp_string(offer).map_err(|e| ConnectError::Sdp(e.to_string()))?;
    let answer = rtc.sdp_api().accept_offer(offer).map_err(|e| ConnectError::Sdp(e.to_string()))?;
    Ok((answer.to_sdp_string(), mids))
}

/// The first m-line's mid and the first audio and video ones, read from the SDP text
/// (str0m only reports an accepted offer's m-lines as events, once the peer runs).
fn offered_mids(sdp: &str) -> Result<OfferedMids, ConnectError> {
    let mut lines: Vec<(String, Option<Mid>)> = Vec::new();
    for line in sdp.lines().map(str::trim) {
        if let Some(media) = line.strip_prefix("m=") {
            lines.push((media.split(' ').next().unwrap_or_default().to_string(), None));
        } else if let (Some(mid), Some((_, current))) = (line.strip_prefix("a=mid:"), lines.last_mut()) {
            current.get_or_insert_with(|| Mid::from(mid));
        }
    }
    let find = |kind: &str| lines.iter().find(|(media, _)| media == kind).and_then(|(_, mid)| *mid);
    let missing = |what: &str| ConnectError::Sdp(format!("the server's offer has no {what} with a mid"));
    Ok(OfferedMids {
        first: lines.first().and_then(|(_, mid)| *mid).ok_or_else(|| missing("m-line"))?,
        audio: find("audio").ok_or_else(|| missing("audio"))?,
        video: find("video").ok_or_else(|| missing("video"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mids_are_read_from_the_offer() {
        let offer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n\
                     m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n";
        let mids = offered_mids(offer).unwrap();
        assert_eq!(mids, OfferedMids { first: Mid::from("0"), audio: Mid::from("0"), video: Mid::from("1") });
        let video_first = "m=video 9 RTP/SAVPF 96\na=mid:v\nm=audio 9 RTP/SAVPF 111\na=mid:a\n";
        let mids = offered_mids(video_first).unwrap();
        assert_eq!((mids.first, mids.audio, mids.video), (Mid::from("v"), Mid::from("a"), Mid::from("v")));
    }

    #[test]
    fn an_offer_without_audio_or_video_is_refused() {
        assert!(offered_mids("").is_err());
        assert!(offered_mids("a=mid:0\r\n").is_err());
        assert!(offered_mids("m=audio 9 RTP/SAVPF 111\r\na=mid:0\r\n").is_err());
        assert!(offered_mids("m=audio 9 RTP/SAVPF 111\r\nm=video 9 RTP/SAVPF 96\r\na=mid:1\r\n").is_err());
    }

    #[test]
    fn a_garbage_offer_is_an_error() {
        let mut local = local(IpAddr::from([127, 0, 0, 1]), true).unwrap();
        let garbage = "m=audio x\r\na=mid:0\r\nm=video y\r\na=mid:1\r\n";
        assert!(matches!(accept(&mut local.rtc, garbage), Err(ConnectError::Sdp(_))));
    }
}
