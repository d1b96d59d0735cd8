//! How participants and streams appear in notifications, `joinRoom` results
//! and events.

use serde_json::{Value, json};

use crate::events::{ParticipantInfo, SessionRef, StreamInfo};
use crate::session::connection::Publisher;
use crate::session::{Connection, Session};

/// The participant's `metadata`: client data and server data joined with `%/%`, empty parts left out.
pub fn metadata(connection: &Connection) -> String {
    let client = connection.participant.as_ref().map(|p| p.client_data.as_str()).unwrap_or("");
    [client, connection.props.data.as_str()].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("%/%")
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

/// An existing participant as `joinRoom` lists it: id, join time, metadata and its streams.
pub fn participant_entry(connection: &Connection) -> Value {
    let mut entry = json!({
        "id": connection.id,
        "createdAt": connection.participant.as_ref().map(|p| p.active_at),
        "metadata": metadata(connection),
    });
    let streams: Vec<Value> = connection.participant.iter().flat_map(|p| &p.publishers).map(stream_json).collect();
    if !streams.is_empty() {
        entry["streams"] = Value::Array(streams);
    }
    entry
}

pub fn session_ref(session: &Session) -> SessionRef {
    SessionRef { session_id: session.id.clone(), created_at: session.created_at }
}

/// The participant of a joined connection, for its events.
pub fn participant_info(connection: &Connection) -> ParticipantInfo {
    let participant = connection.participant.as_ref();
    let text = |pick: fn(&crate::session::Participant) -> &String| participant.map(pick).cloned().unwrap_or_default();
    ParticipantInfo {
        connection_id: connection.id.clone(),
        location: text(|p| &p.location),
        ip: text(|p| &p.ip),
        platform: text(|p| &p.platform),
        client_data: text(|p| &p.client_data),
        server_data: connection.props.data.clone(),
    }
}

/// A WebRTC connection of `connection`: its own stream (`receiving_from` None) or a
/// subscription to `publisher`'s.
pub fn stream_info(connection: &str, publisher: &Publisher, receiving_from: Option<&str>) -> StreamInfo {
    let options = &publisher.media_options;
    StreamInfo {
        stream_id: publisher.stream_id.clone(),
        connection_id: connection.to_string(),
        receiving_from: receiving_from.map(str::to_string),
        video_source: options.type_of_video.clone(),
        video_framerate: options.frame_rate,
        video_dimensions: options.video_dimensions.clone(),
        audio_enabled: options.audio_active,
        video_enabled: options.video_active,
    }
}

/// The publisher connection of a stream id: from its last `con_`.
pub fn owner_of_stream(stream_id: &str) -> Option<&str> {
    stream_id.rfind("con_").map(|index| &stream_id[index..])
}
