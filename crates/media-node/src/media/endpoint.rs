//! One WebRtcEndpoint: a str0m `Rtc` plus what Kurento exposes about it
//! (SDPs, negotiated m-lines, bandwidth properties, flow and connection
//! states). No sockets here; the worker feeds it datagrams and timeouts.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kurento_protocol::error::{ErrorCode, RpcError};
use serde_json::Value;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, Mid};
use str0m::{Candidate, Rtc};

use super::endpoint_stats::EndpointStats;
use super::flow::{Flow, Throttle};
use super::ice_progress::IceProgress;
use super::sdp_text;
use crate::control::links::MediaType;
use crate::metrics::counters::StreamCursor;

/// How long sent packets stay available for resending (see `limit_resend_history`).
const RESEND_HISTORY: Duration = Duration::from_secs(1);
/// At most this many per stream (1 s of a 4 Mbit/s video stream in 1,200-byte packets).
const RESEND_PACKETS: usize = 500;

/// How often str0m emits its stats events, for `getStats` and the node's metrics.
const STATS_INTERVAL: Duration = Duration::from_secs(1);

/// Index into per-media arrays: audio 0, video 1.
pub fn media_index(media: MediaType) -> Option<usize> {
    match media {
        MediaType::Audio => Some(0),
        MediaType::Video => Some(1),
        MediaType::Data => None,
    }
}

pub fn media_type(kind: MediaKind) -> MediaType {
    match kind {
        MediaKind::Audio => MediaType::Audio,
        MediaKind::Video => MediaType::Video,
    }
}

/// What the statistics reports of one of the endpoint's streams said last.
#[derive(Debug, Clone, Copy)]
pub struct StreamStats {
    pub mid: Mid,
    /// Received (from a publisher) rather than sent (to a subscriber).
    pub incoming: bool,
    pub cursor: StreamCursor,
    /// The latest fraction of packets lost.
    pub loss: Option<f32>,
}

pub struct WebRtcEndpoint {
    pub rtc: Rtc,
    recv_only: bool,
    send_only: bool,
    local_candidate: Candidate,
    local_sdp: Option<String>,
    remote_sdp: Option<String>,
    pending_offer: Option<SdpPendingOffer>,
    /// The m-line each media type arrives on and leaves on.
    incoming: [Option<Mid>; 2],
    outgoing: [Option<Mid>; 2],
    /// Kurento bandwidth properties (kbps); `maxVideoRecvBandwidth` caps the browser's sending.
    max_video_recv_kbps: u64,
    pub flow_in: [Flow; 2],
    pub flow_out: [Flow; 2],
    pub keyframes: Throttle,
    /// `gatherCandidates` came before negotiation: announce once the SDP exists.
    pub gather_pending: bool,
    pub ice_connected: bool,
    pub ice_progress: IceProgress,
    pub media_connected: bool,
    pub remote_addr: Option<SocketAddr>,
    remote_candidates: Vec<String>,
    /// When str0m next wants `Input::Timeout`.
    pub deadline: Instant,
    /// What `getStats` answers.
    pub stats: EndpointStats,
    /// One entry per stream that has reported statistics (at most one per media and direction).
    streams: Vec<StreamStats>,
}

fn sdp_error(code: ErrorCode, what: &str, detail: impl std::fmt::Display) -> RpcError {
    // The parser's detail ends with an internal position (`at PointerOffset(0x…)`) that helps nobody.
    let detail = detail.to_string();
    let detail = detail.split(" at PointerOffset").next().unwrap_or(&detail);
    RpcError::new(code, format!("{what}: {detail}"))
}

impl WebRtcEndpoint {
    pub fn new(local: SocketAddr, recv_only: bool, send_only: bool, now: Instant) -> Result<Self, RpcError> {
        let mut rtc = Rtc::builder()
            .set_ice_lite(true)
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true)
            .enable_vp9(true)
            .enable_h264(true)
            // For `getStats` and `/metrics`: str0m reports each stream's counters, loss, jitter and RTT this often.
            .set_stats_interval(Some(STATS_INTERVAL))
            .build(now);
        let local_candidate = Candidate::host(local, "udp").map_err(|e| {
            RpcError::new(ErrorCode::IceGatherCandidatesError, format!("Bad local address {local}: {e}"))
        })?;
        rtc.add_local_candidate(local_candidate.clone());
        Ok(Self {
            rtc,
            recv_only,
            send_only,
            local_candidate,
            local_sdp: None,
            remote_sdp: None,
            pending_offer: None,
            incoming: [None; 2],
            outgoing: [None; 2],
            max_video_recv_kbps: 0,
            flow_in: Default::default(),
            flow_out: Default::default(),
            keyframes: Throttle::default(),
            gather_pending: false,
            ice_connected: false,
            ice_progress: IceProgress::default(),
            media_connected: false,
            remote_addr: None,
            remote_candidates: Vec::new(),
            deadline: now,
            stats: EndpointStats::default(),
            streams: Vec::new(),
        })
    }

    fn negotiated(&self) -> bool {
        self.remote_sdp.is_some() || self.pending_offer.is_some()
    }

    pub fn process_offer(&mut self, offer: &str) -> Result<String, RpcError> {
        if self.negotiated() {
            return Err(RpcError::new(ErrorCode::SdpEndPointAlreadyNegotiated, "Endpoint already negotiated"));
        }
        if offer.trim().is_empty() {
            return Err(RpcError::new(ErrorCode::SdpParseError, "Error processing offer: the SDP is empty"));
        }
        let stripped;
        let offer_to_accept = if sdp_text::only_receives(offer) {
            stripped = sdp_text::without_transport_cc(offer);
            stripped.as_str()
        } else {
            offer
        };
        let parsed = SdpOffer::from_sdp_string(offer_to_accept)
            .map_err(|e| sdp_error(ErrorCode::SdpParseError, "Error parsing the SDP offer", e))?;
        let answer = self
            .rtc
            .sdp_api()
            .accept_offer(parsed)
            .map_err(|e| sdp_error(ErrorCode::SdpEndPointProcessOfferError, "Error processing offer", e))?;
        let answer = sdp_text::with_video_bandwidth(&answer.to_sdp_string(), self.max_video_recv_kbps);
        self.remote_sdp = Some(offer.to_string());
        self.local_sdp = Some(answer.clone());
        Ok(answer)
    }

    /// An offer with an audio and a video m-line; `receive_*` false makes that line send-only.
    pub fn generate_offer(&mut self, receive_audio: bool, receive_video: bool) -> Result<String, RpcError> {
        if self.negotiated() {
            return Err(RpcError::new(ErrorCode::SdpEndPointAlreadyNegotiated, "Endpoint already negotiated"));
        }
        let direction = |receive: bool| match (self.recv_only, self.send_only, receive) {
            (true, _, _) => Direction::RecvOnly,
            (_, true, _) | (_, _, false) => Direction::SendOnly,
            _ => Direction::SendRecv,
        };
        let (audio_dir, video_dir) = (direction(receive_audio), direction(receive_video));
        let mut api = self.rtc.sdp_api();
        let audio = api.add_media(MediaKind::Audio, audio_dir, None, None, None);
        let video = api.add_media(MediaKind::Video, video_dir, None, None, None);
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| RpcError::new(ErrorCode::SdpEndPointGenerateOfferError, "Error generating offer"))?;
        self.record_media(audio, MediaKind::Audio, audio_dir);
        self.record_media(video, MediaKind::Video, video_dir);
        let offer = sdp_text::with_video_bandwidth(&offer.to_sdp_string(), self.max_video_recv_kbps);
        self.pending_offer = Some(pending);
        self.local_sdp = Some(offer.clone());
        Ok(offer)
    }

    pub fn process_answer(&mut self, answer: &str) -> Result<String, RpcError> {
        if self.remote_sdp.is_some() {
            return Err(RpcError::new(ErrorCode::SdpEndPointAnswerAlreadyProccesed, "Answer already processed"));
        }
        let pending = self.pending_offer.take().ok_or_else(|| {
            RpcError::new(ErrorCode::SdpEndPointNotOfferGenerated, "processAnswer needs a generateOffer first")
        })?;
        let parsed = match SdpAnswer::from_sdp_string(answer) {
            Ok(parsed) => parsed,
            Err(e) => {
                self.pending_offer = Some(pending);
                return Err(sdp_error(ErrorCode::SdpParseError, "Error parsing the SDP answer", e));
            }
        };
        self.rtc
            .sdp_api()
            .accept_answer(pending, parsed)
            .map_err(|e| sdp_error(ErrorCode::SdpEndPointProcessAnswerError, "Error processing answer", e))?;
        self.remote_sdp = Some(answer.to_string());
        Ok(self.local_sdp.clone().unwrap_or_default())
    }

    pub fn local_sdp(&self) -> Result<String, RpcError> {
        self.local_sdp.clone().ok_or_else(|| RpcError::new(ErrorCode::SdpEndPointNoLocalSdpError, "No local SDP yet"))
    }

    pub fn remote_sdp(&self) -> Result<String, RpcError> {
        self.remote_sdp
            .clone()
            .ok_or_else(|| RpcError::new(ErrorCode::SdpEndPointNoRemoteSdpError, "No remote SDP yet"))
    }

    /// `(candidate, sdpMid, sdpMLineIndex)` for each m-line; empty before negotiation.
    pub fn candidates_to_announce(&self) -> Vec<(String, String, usize)> {
        let Some(sdp) = &self.local_sdp else { return Vec::new() };
        let candidate = self.local_candidate.to_sdp_string();
        sdp_text::mids(sdp).into_iter().enumerate().map(|(index, mid)| (candidate.clone(), mid, index)).collect()
    }

    pub fn local_candidate(&self) -> String {
        self.local_candidate.to_sdp_string()
    }

    /// Adds a trickled candidate. mDNS (`.local`) candidates cannot be resolved here and are skipped.
    pub fn add_remote_candidate(&mut self, candidate: &str) -> Result<(), RpcError> {
        let text = candidate.trim().trim_start_matches("a=");
        if text.is_empty() || text.split_whitespace().nth(4).is_some_and(|host| host.ends_with(".local")) {
            return Ok(());
        }
        let parsed = Candidate::from_sdp_string(text).map_err(|e| {
            RpcError::new(ErrorCode::IceAddCandidateError, format!("Invalid ICE candidate '{candidate}': {e}"))
        })?;
        self.remote_candidates.push(text.to_string());
        self.rtc.add_remote_candidate(parsed);
        Ok(())
    }

    /// The remote candidate in use: a trickled one at that address, else a peer-reflexive description.
    pub fn remote_candidate(&self) -> String {
        let Some(addr) = self.remote_addr else { return String::new() };
        let needle = format!(" {} {} ", addr.ip(), addr.port());
        self.remote_candidates
            .iter()
            .find(|c| c.contains(&needle))
            .cloned()
            .unwrap_or_else(|| format!("candidate:1 1 udp 1845501695 {} {} typ prflx", addr.ip(), addr.port()))
    }

    pub fn configure(&mut self, property: &str, value: &Value) {
        if property == "maxVideoRecvBandwidth" {
            self.max_video_recv_kbps = value.as_u64().unwrap_or(0);
        }
    }

    pub fn record_media(&mut self, mid: Mid, kind: MediaKind, direction: Direction) {
        if direction.is_sending() {
            self.limit_resend_history(mid);
        }
        let index = media_index(media_type(kind)).unwrap_or(0);
        for (slot, active) in
            [(&mut self.incoming[index], direction.is_receiving()), (&mut self.outgoing[index], direction.is_sending())]
        {
            if active {
                *slot = Some(mid);
            } else if *slot == Some(mid) {
                *slot = None;
            }
        }
    }

    /// Keeps sent packets for resending (NACK) for [`RESEND_HISTORY`] instead of str0m's
    /// 3 s. A subscriber's NACK comes within a round trip, and with a thousand
    /// subscribers per worker 3 s of packets each is most of the node's memory
    /// (~0.7 MB per subscriber) and of its cache misses.
    fn limit_resend_history(&mut self, mid: Mid) {
        if let Some(stream) = self.rtc.direct_api().stream_tx_by_mid(mid, None) {
            stream.set_rtx_cache(RESEND_PACKETS, RESEND_HISTORY, None);
        } else {
            tracing::debug!(?mid, "no send stream yet; the default resend history applies");
        }
    }

    pub fn incoming_media(&self, mid: Mid) -> Option<MediaType> {
        self.incoming.iter().position(|m| *m == Some(mid)).map(|i| [MediaType::Audio, MediaType::Video][i])
    }

    pub fn outgoing_mid(&self, media: MediaType) -> Option<Mid> {
        media_index(media).and_then(|i| self.outgoing[i])
    }

    pub fn outgoing_media(&self, mid: Mid) -> Option<MediaType> {
        self.outgoing.iter().position(|m| *m == Some(mid)).map(|i| [MediaType::Audio, MediaType::Video][i])
    }

    /// The statistics kept for one stream, created at its first report.
    pub fn stream_stats(&mut self, mid: Mid, incoming: bool) -> &mut StreamStats {
        let index = match self.streams.iter().position(|s| s.mid == mid && s.incoming == incoming) {
            Some(index) => index,
            None => {
                self.streams.push(StreamStats { mid, incoming, cursor: StreamCursor::default(), loss: None });
                self.streams.len() - 1
            }
        };
        &mut self.streams[index]
    }

    pub fn streams(&self) -> &[StreamStats] {
        &self.streams
    }

    /// Asks the remote sender for a keyframe on its video, if it sends any.
    pub fn request_keyframe(&mut self) -> bool {
        let Some(mid) = self.incoming[1] else { return false };
        let Some(mut writer) = self.rtc.writer(mid) else { return false };
        let kind = if writer.is_request_keyframe_possible(KeyframeRequestKind::Pli) {
            KeyframeRequestKind::Pli
        } else {
            KeyframeRequestKind::Fir
        };
        writer.request_keyframe(None, kind).is_ok()
    }
}
