//! The media methods of the signaling protocol (`publishVideo`, `receiveVideoFrom`,
//! `onIceCandidate`, `reconnectStream`, `unpublishVideo`, `unsubscribeFromVideo`,
//! `streamPropertyChanged`, `forceUnpublish`): the conference core decides, the
//! media layer negotiates with the node in between.

use kurento_protocol::error::RpcError;
use serde_json::{Value, json};

use super::codes::{Code, error, refused};
use super::params::{OnIceCandidate, PublishVideo, ReceiveVideoFrom, ReconnectStream, StreamPropertyChanged};
use crate::codec_forcing::{self, ForceCodecError, Offerer};
use crate::conference::{PropertyChange, PublishRequest, owner_of_stream};
use crate::events::EndReason;
use crate::media::Negotiated;
use crate::services::AppState;
use crate::session::connection::{EndpointStats, MediaOptions};

/// OpenVidu's error for an offer the session's codec rules refuse (code 800).
fn codec_refused(error: ForceCodecError, offerer: Offerer<'_>, offer: &str, rpc: &str) -> RpcError {
    super::codes::error(Code::ForcedCodecNotFound, codec_forcing::openvidu_message(error, offerer, offer), Some(rpc))
}

/// The `?webRtcStats=true` details of a negotiated endpoint.
fn endpoint_stats(offer: String, negotiated: Negotiated) -> EndpointStats {
    EndpointStats {
        webrtc_endpoint_name: negotiated.endpoint.id().to_string(),
        remote_sdp: offer,
        local_sdp: negotiated.answer,
        activity: negotiated.activity,
    }
}

pub async fn publish(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: PublishVideo,
) -> Result<Value, RpcError> {
    let has_video = params.has_video;
    let options = MediaOptions {
        has_audio: params.has_audio,
        audio_active: params.audio_active,
        has_video,
        video_active: params.video_active,
        type_of_video: params
            .type_of_video
            .clone()
            .unwrap_or_else(|| if has_video { "CAMERA".into() } else { String::new() }),
        frame_rate: params.frame_rate.as_ref().and_then(Value::as_i64).filter(|f| *f >= 0),
        video_dimensions: params.video_dimensions.unwrap_or_default(),
        filter: json!({}),
    };
    let request = PublishRequest { options, type_of_video: params.type_of_video };
    let ticket = state.conference().begin_publish(session, connection, request).map_err(refused(rpc))?;
    let offerer = Offerer { session, connection, is_publisher: true, is_reconnecting: false };
    let offer = match codec_forcing::publisher_offer(ticket.codec, &params.sdp_offer) {
        Ok(offer) => offer,
        Err(refusal) => {
            state.conference().abort_publish(&ticket);
            return Err(codec_refused(refusal, offerer, &params.sdp_offer, rpc));
        }
    };
    let Some(client) = state.cluster().client(&ticket.node) else {
        state.conference().abort_publish(&ticket);
        return Err(error(Code::RoomCannotBeCreated, "The session's media node is not reachable", Some(rpc)));
    };
    let bandwidth = state.default_bandwidth().with_overrides(ticket.kurento_options.as_ref());
    let negotiated = state
        .media()
        .publish(session, connection, &ticket.stream_id, &offer, bandwidth, client, state.hub().clone())
        .await;
    let negotiated = match negotiated {
        Ok(negotiated) => negotiated,
        Err(problem) => {
            state.conference().abort_publish(&ticket);
            return Err(error(Code::Generic, problem.to_string(), Some(rpc)));
        }
    };
    let answer = negotiated.answer.clone();
    let stream = ticket.stream_id.clone();
    let endpoint = endpoint_stats(offer, negotiated);
    let mut result =
        state.decide(|conference, now| conference.finish_publish(ticket, endpoint, now)).map_err(refused(rpc))?;
    result["sdpAnswer"] = json!(answer);
    tracing::info!(%session, %connection, %stream, "stream published");
    Ok(result)
}

pub async fn subscribe(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: ReceiveVideoFrom,
) -> Result<Value, RpcError> {
    subscribe_to(state, rpc, session, connection, params, false).await
}

/// `receiveVideoFrom`, or a subscriber's `reconnectStream`.
async fn subscribe_to(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: ReceiveVideoFrom,
    is_reconnecting: bool,
) -> Result<Value, RpcError> {
    let ticket = state.conference().begin_subscribe(session, connection, &params.sender).map_err(refused(rpc))?;
    let offerer = Offerer { session, connection, is_publisher: false, is_reconnecting };
    let offer = codec_forcing::subscriber_offer(ticket.codec, &params.sdp_offer, ticket.sending)
        .map_err(|refusal| codec_refused(refusal, offerer, &params.sdp_offer, rpc))?;
    let bandwidth = state.default_bandwidth().with_overrides(ticket.kurento_options.as_ref());
    let negotiated = state
        .media()
        .subscribe(session, connection, &ticket.publisher, &offer, bandwidth)
        .await
        .map_err(|e| error(Code::Generic, e.to_string(), Some(rpc)))?;
    let answer = negotiated.answer.clone();
    let endpoint = endpoint_stats(offer, negotiated);
    state.decide(|conference, now| (conference.finish_subscribe(ticket, endpoint, now), ()));
    Ok(json!({"sdpAnswer": answer}))
}

pub async fn ice_candidate(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: OnIceCandidate,
) -> Result<Value, RpcError> {
    let candidate = params.candidate();
    state
        .media()
        .add_candidate(session, connection, &params.endpoint_name, candidate)
        .await
        .map_err(|e| error(Code::Generic, e.to_string(), Some(rpc)))?;
    Ok(json!({}))
}

/// `reconnectStream`: the publisher renegotiates its own stream, or a subscriber a subscription.
pub async fn reconnect(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: ReconnectStream,
) -> Result<Value, RpcError> {
    let offer = params
        .sdp_offer
        .or(params.sdp_string)
        .ok_or_else(|| error(Code::InvalidParams, "Parameter 'sdpOffer' or 'sdpString' is required", Some(rpc)))?;
    let stream = params.stream;
    if owner_of_stream(&stream) != Some(connection) {
        let params = ReceiveVideoFrom { sender: stream, sdp_offer: offer };
        return subscribe_to(state, rpc, session, connection, params, true).await;
    }
    let (overrides, policy) = state
        .conference()
        .republish_terms(session, connection)
        .ok_or_else(|| error(Code::RoomClosed, "Session closed", Some(rpc)))?;
    let offerer = Offerer { session, connection, is_publisher: true, is_reconnecting: true };
    let offer = codec_forcing::publisher_offer(policy, &offer).map_err(|e| codec_refused(e, offerer, &offer, rpc))?;
    let bandwidth = state.default_bandwidth().with_overrides(overrides.as_ref());
    let negotiated = state
        .media()
        .republish(session, connection, &offer, bandwidth)
        .await
        .map_err(|e| error(Code::Generic, e.to_string(), Some(rpc)))?;
    let answer = negotiated.answer.clone();
    let endpoint = endpoint_stats(offer, negotiated);
    // The stream keeps its id and creation time; its endpoint is new.
    let created_at = state.decide(|conference, now| {
        (Default::default(), conference.republished(session, connection, &stream, endpoint).unwrap_or(now))
    });
    Ok(json!({"id": stream, "createdAt": created_at, "sdpAnswer": answer}))
}

pub fn unpublish(state: &AppState, rpc: &str, session: &str, connection: &str) -> Result<Value, RpcError> {
    state
        .try_decide(|conference, now| {
            conference.unpublish(session, connection, EndReason::Unpublish, false, now).map(|o| (o, json!({})))
        })
        .map_err(refused(rpc))
}

pub fn force_unpublish(state: &AppState, rpc: &str, session: &str, by: &str, stream: &str) -> Result<Value, RpcError> {
    state
        .try_decide(|conference, now| conference.force_unpublish(session, by, stream, now).map(|o| (o, json!({}))))
        .map_err(refused(rpc))
}

pub fn unsubscribe(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    sender: &str,
) -> Result<Value, RpcError> {
    state
        .try_decide(|conference, now| conference.unsubscribe(session, connection, sender, now).map(|o| (o, json!({}))))
        .map_err(refused(rpc))
}

pub fn property_changed(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: StreamPropertyChanged,
) -> Result<Value, RpcError> {
    let change = PropertyChange {
        stream: params.stream_id,
        property: params.property,
        new_value: params.new_value,
        reason: params.reason.unwrap_or_default(),
    };
    state
        .try_decide(|conference, _| conference.change_property(session, connection, change).map(|o| (o, json!({}))))
        .map_err(refused(rpc))
}
