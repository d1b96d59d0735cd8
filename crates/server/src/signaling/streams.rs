//! The media methods of the signaling protocol (`publishVideo`, `receiveVideoFrom`,
//! `onIceCandidate`, `unpublishVideo`, `unsubscribeFromVideo`, `streamPropertyChanged`,
//! `forceUnpublish`) and REST `DELETE …/stream/{id}`: the session store records the
//! streams, [`super::media`] drives the node, and the hub tells the participants.

use kurento_protocol::error::RpcError;
use serde_json::{Map, Value, json};

use super::codes::{Code, error, required_text};
use super::media::{Bandwidth, Negotiated};
use crate::api::AppState;
use crate::clock::now_ms;
use crate::codec_forcing::{self, CodecPolicy, ForceCodecError, Offerer};
use crate::session::connection::{EndpointStats, MediaOptions, Publisher, Subscriber};
use crate::wire::{Role, VideoCodec};

fn text(params: &Map<String, Value>, name: &str, rpc: &str) -> Result<String, RpcError> {
    required_text(params, name, Some(rpc)).map(str::to_string)
}

fn flag(params: &Map<String, Value>, name: &str, default: bool) -> bool {
    params.get(name).and_then(Value::as_bool).unwrap_or(default)
}

/// `str_<CAM|SCR|CUS|MIC>_<1 upper + 3 alnum>_<connectionId>`, OpenVidu's stream id form.
fn stream_id(type_of_video: Option<&str>, has_video: bool, connection: &str) -> String {
    let kind = match (has_video, type_of_video) {
        (false, _) => "MIC".to_string(),
        (true, Some(kind)) if kind.len() >= 3 => kind[..3].to_uppercase(),
        _ => "CAM".to_string(),
    };
    let tail = crate::session::ids::random_alphanumeric(4);
    let first = tail.chars().next().unwrap_or('A').to_ascii_uppercase();
    format!("str_{kind}_{first}{}_{connection}", &tail[1..])
}

/// The publisher connection of a stream id: from its last `con_`.
pub fn owner_of_stream(stream_id: &str) -> Option<&str> {
    stream_id.rfind("con_").map(|index| &stream_id[index..])
}

fn bandwidth(state: &AppState, session: &str, connection: &str) -> Bandwidth {
    let settings = &state.config().settings;
    let mut bandwidth = Bandwidth {
        max_recv: settings.int("OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH"),
        min_recv: settings.int("OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH"),
        max_send: settings.int("OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH"),
        min_send: settings.int("OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH"),
    };
    let sessions = state.sessions();
    if let Some(options) = sessions.connection(session, connection).ok().and_then(|c| c.props.kurento_options.as_ref())
    {
        for (slot, value) in [
            (&mut bandwidth.max_recv, options.video_max_recv_bandwidth),
            (&mut bandwidth.min_recv, options.video_min_recv_bandwidth),
            (&mut bandwidth.max_send, options.video_max_send_bandwidth),
            (&mut bandwidth.min_send, options.video_min_send_bandwidth),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
    }
    bandwidth
}

/// The session's `forcedVideoCodec` and `allowTranscoding` (no forcing once it is gone).
fn codec_policy(state: &AppState, session: &str) -> CodecPolicy {
    let sessions = state.sessions();
    let props = sessions.session(session).map(|s| (s.props.forced_video_codec, s.props.allow_transcoding));
    let (forced, allow_transcoding) = props.unwrap_or((VideoCodec::None, false));
    CodecPolicy { forced, allow_transcoding }
}

/// The codec `publisher` sends `stream` in: the first video codec of its endpoint's answer.
fn sending_codec(state: &AppState, session: &str, publisher: &str, stream: &str) -> Option<VideoCodec> {
    let sessions = state.sessions();
    let participant = sessions.connection(session, publisher).ok()?.participant.as_ref()?;
    let published = participant.publishers.iter().find(|p| p.stream_id == stream)?;
    codec_forcing::first_video_codec(&published.endpoint.local_sdp)
}

/// OpenVidu's error for an offer the session's codec rules refuse.
fn codec_refused(error: ForceCodecError, offerer: Offerer<'_>, offer: &str, rpc: &str) -> RpcError {
    let message = codec_forcing::openvidu_message(error, offerer, offer);
    RpcError { code: codec_forcing::FORCED_CODEC_ERROR_CODE, ..super::codes::error(Code::Generic, message, Some(rpc)) }
}

/// The stream as events and `joinRoom` results show it.
pub fn stream_json(publisher: &Publisher) -> Value {
    let options = &publisher.media_options;
    json!({
        "id": publisher.stream_id,
        "createdAt": publisher.created_at,
        "hasAudio": options.has_audio,
        "hasVideo": options.has_video,
        "audioActive": options.audio_active,
        "videoActive": options.video_active,
        "typeOfVideo": options.type_of_video,
        "frameRate": options.frame_rate,
        "videoDimensions": options.video_dimensions,
        "filter": options.filter,
    })
}

pub async fn publish(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    // Hidden (secret) participants have no REST connection and may only subscribe.
    let role = state.sessions().connection(session, connection).map(|c| c.props.role).unwrap_or(Some(Role::Subscriber));
    if role == Some(Role::Subscriber) {
        return Err(error(Code::UserUnauthorized, "A SUBSCRIBER cannot publish", Some(rpc)));
    }
    if state.media().is_publishing(session, connection) {
        return Err(error(Code::Generic, "This participant is publishing already", Some(rpc)));
    }
    let offer = text(params, "sdpOffer", rpc)?;
    let offerer = Offerer { session, connection, is_publisher: true, is_reconnecting: false };
    let offer = codec_forcing::publisher_offer(codec_policy(state, session), &offer)
        .map_err(|e| codec_refused(e, offerer, &offer, rpc))?;
    let has_video = flag(params, "hasVideo", true);
    let type_of_video = params.get("typeOfVideo").and_then(Value::as_str).map(str::to_string);
    let options = MediaOptions {
        has_audio: flag(params, "hasAudio", true),
        audio_active: flag(params, "audioActive", true),
        has_video,
        video_active: flag(params, "videoActive", true),
        type_of_video: type_of_video.clone().unwrap_or_else(|| if has_video { "CAMERA".into() } else { String::new() }),
        frame_rate: params.get("frameRate").and_then(Value::as_i64).filter(|f| *f >= 0),
        video_dimensions: params.get("videoDimensions").and_then(Value::as_str).unwrap_or("").to_string(),
        filter: json!({}),
    };
    let node = state.sessions().session(session).and_then(|s| s.media_node_id.clone());
    let client = node
        .as_deref()
        .and_then(|node| state.cluster().client(node))
        .ok_or_else(|| error(Code::RoomCannotBeCreated, "The session's media node is not reachable", Some(rpc)))?;
    let id = stream_id(type_of_video.as_deref(), has_video, connection);
    let bandwidth = bandwidth(state, session, connection);
    let negotiated = state
        .media()
        .publish(session, connection, &id, &offer, bandwidth, client, state.signaling_arc())
        .await
        .map_err(|e| error(Code::Generic, e, Some(rpc)))?;
    let answer = negotiated.answer.clone();
    let created_at = now_ms();
    let publisher = Publisher {
        stream_id: id.clone(),
        created_at,
        media_options: options,
        endpoint: endpoint_stats(offer, negotiated),
    };
    let stream = stream_json(&publisher);
    if let Some(participant) = state.sessions().participant_mut(session, connection) {
        participant.publishers.push(publisher);
    }
    state.signaling().notify_except(
        session,
        connection,
        "participantPublished",
        &json!({"id": connection, "streams": [stream]}),
    );
    tracing::info!(%session, %connection, stream = %id, "stream published");
    Ok(json!({"sdpAnswer": answer, "id": id, "createdAt": created_at}))
}

/// The `?webRtcStats=true` details of a negotiated endpoint.
fn endpoint_stats(offer: String, negotiated: Negotiated) -> EndpointStats {
    EndpointStats {
        webrtc_endpoint_name: negotiated.endpoint,
        remote_sdp: offer,
        local_sdp: negotiated.answer,
        activity: negotiated.activity,
    }
}

pub async fn subscribe(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let sender = text(params, "sender", rpc)?;
    let offer = text(params, "sdpOffer", rpc)?;
    subscribe_to(state, rpc, session, connection, sender, offer, false).await
}

/// `receiveVideoFrom`, or a subscriber's `reconnectStream`: `offer` for the stream `sender`.
async fn subscribe_to(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    sender: String,
    offer: String,
    is_reconnecting: bool,
) -> Result<Value, RpcError> {
    let publisher = owner_of_stream(&sender)
        .ok_or_else(|| error(Code::InvalidParams, format!("'{sender}' is not a stream id"), Some(rpc)))?
        .to_string();
    let offerer = Offerer { session, connection, is_publisher: false, is_reconnecting };
    let sending = sending_codec(state, session, &publisher, &sender);
    let offer = codec_forcing::subscriber_offer(codec_policy(state, session), &offer, sending)
        .map_err(|e| codec_refused(e, offerer, &offer, rpc))?;
    let bandwidth = bandwidth(state, session, connection);
    let negotiated = state
        .media()
        .subscribe(session, connection, &publisher, &offer, bandwidth)
        .await
        .map_err(|e| error(Code::Generic, e, Some(rpc)))?;
    let answer = negotiated.answer.clone();
    let subscriber =
        Subscriber { stream_id: sender.clone(), created_at: now_ms(), endpoint: endpoint_stats(offer, negotiated) };
    if let Some(participant) = state.sessions().participant_mut(session, connection) {
        participant.subscribers.retain(|s| s.stream_id != sender);
        participant.subscribers.push(subscriber);
    }
    Ok(json!({"sdpAnswer": answer}))
}

pub async fn ice_candidate(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let endpoint_name = text(params, "endpointName", rpc)?;
    let candidate = json!({
        "__module__": "kurento",
        "__type__": "IceCandidate",
        "candidate": text(params, "candidate", rpc)?,
        "sdpMid": params.get("sdpMid").cloned().unwrap_or(json!("")),
        "sdpMLineIndex": params.get("sdpMLineIndex").cloned().unwrap_or(json!(0)),
    });
    state
        .media()
        .add_candidate(session, connection, &endpoint_name, candidate)
        .await
        .map_err(|e| error(Code::Generic, e, Some(rpc)))?;
    Ok(json!({}))
}

/// `reconnectStream`: the publisher renegotiates its own stream (`sdpString` is its new
/// offer), or a subscriber renegotiates a subscription (`sdpOffer`, or `sdpString`).
pub async fn reconnect(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let stream = text(params, "stream", rpc)?;
    let offer = params
        .get("sdpOffer")
        .or_else(|| params.get("sdpString"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| error(Code::InvalidParams, "Parameter 'sdpOffer' or 'sdpString' is required", Some(rpc)))?;
    if owner_of_stream(&stream) == Some(connection) {
        let offerer = Offerer { session, connection, is_publisher: true, is_reconnecting: true };
        let offer = codec_forcing::publisher_offer(codec_policy(state, session), &offer)
            .map_err(|e| codec_refused(e, offerer, &offer, rpc))?;
        let bandwidth = bandwidth(state, session, connection);
        let negotiated = state
            .media()
            .republish(session, connection, &offer, bandwidth)
            .await
            .map_err(|e| error(Code::Generic, e, Some(rpc)))?;
        let answer = negotiated.answer.clone();
        // The stream keeps its id and creation time; its endpoint is new.
        let created_at = state
            .sessions()
            .participant_mut(session, connection)
            .and_then(|p| p.publishers.iter_mut().find(|s| s.stream_id == stream))
            .map(|published| {
                published.endpoint = endpoint_stats(offer, negotiated);
                published.created_at
            })
            .unwrap_or_else(now_ms);
        return Ok(json!({"id": stream, "createdAt": created_at, "sdpAnswer": answer}));
    }
    subscribe_to(state, rpc, session, connection, stream, offer, true).await
}

/// Takes a participant's stream down; the others (and, when forced, the owner) get
/// `participantUnpublished`. False when it was not publishing.
pub fn unpublish(state: &AppState, session: &str, connection: &str, reason: &str, tell_owner: bool) -> bool {
    let stream = state
        .sessions()
        .participant_mut(session, connection)
        .and_then(|p| (!p.publishers.is_empty()).then(|| p.publishers.remove(0).stream_id));
    let Some(stream) = stream else { return false };
    state.media().unpublish(session, connection);
    if let Some(session_state) = state.sessions().session_mut(session) {
        for other in session_state.connections.values_mut() {
            if let Some(participant) = other.participant.as_mut() {
                participant.subscribers.retain(|s| s.stream_id != stream);
            }
        }
    }
    let event = json!({"connectionId": connection, "reason": reason});
    if tell_owner {
        state.signaling().notify(session, None, "participantUnpublished", &event);
    } else {
        state.signaling().notify_except(session, connection, "participantUnpublished", &event);
    }
    tracing::info!(%session, %connection, %stream, reason, "stream unpublished");
    true
}

pub fn unsubscribe(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let sender = text(params, "sender", rpc)?;
    // 2.32 sends the publisher's connection id; older browsers a stream id.
    let publisher = owner_of_stream(&sender).unwrap_or(&sender).to_string();
    if !state.media().unsubscribe(session, connection, &publisher) {
        return Err(error(Code::Generic, format!("Not subscribed to '{sender}'"), Some(rpc)));
    }
    if let Some(participant) = state.sessions().participant_mut(session, connection) {
        participant.subscribers.retain(|s| owner_of_stream(&s.stream_id) != Some(publisher.as_str()));
    }
    Ok(json!({}))
}

/// `streamPropertyChanged`: recorded and passed on to the others.
pub fn property_changed(
    state: &AppState,
    rpc: &str,
    session: &str,
    connection: &str,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let stream = text(params, "streamId", rpc)?;
    let property = text(params, "property", rpc)?;
    let new_value = params.get("newValue").cloned().unwrap_or(Value::Null);
    let reason = params.get("reason").and_then(Value::as_str).unwrap_or("").to_string();
    if let Some(participant) = state.sessions().participant_mut(session, connection) {
        let Some(publisher) = participant.publishers.iter_mut().find(|p| p.stream_id == stream) else {
            return Err(error(Code::Generic, format!("'{stream}' is not a stream of this participant"), Some(rpc)));
        };
        let as_bool = |v: &Value| v.as_bool().or_else(|| v.as_str().map(|s| s == "true")).unwrap_or(false);
        match property.as_str() {
            "audioActive" => publisher.media_options.audio_active = as_bool(&new_value),
            "videoActive" => publisher.media_options.video_active = as_bool(&new_value),
            "videoDimensions" => {
                publisher.media_options.video_dimensions = new_value.as_str().unwrap_or_default().to_string()
            }
            _ => {}
        }
    }
    let event = json!({"connectionId": connection, "streamId": stream, "property": property,
                       "newValue": new_value, "reason": reason});
    state.signaling().notify_except(session, connection, "streamPropertyChanged", &event);
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_have_openvidu_s_form_and_name_their_owner() {
        let id = stream_id(Some("SCREEN"), true, "con_Abc1234567");
        assert!(id.starts_with("str_SCR_") && id.ends_with("_con_Abc1234567"), "{id}");
        assert_eq!(owner_of_stream(&id), Some("con_Abc1234567"));
        assert!(stream_id(None, false, "con_X").starts_with("str_MIC_"));
        assert!(stream_id(None, true, "con_X").starts_with("str_CAM_"));
    }
}
