//! A session: its properties, its connections, and its Session JSON.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use super::connection::Connection;
use super::properties::SessionProperties;
use crate::recording::RecordingProperties;
use crate::wire::{MediaMode, RecordingMode, VideoCodec};

/// The exact key set of OpenVidu 2.32's Session object (`DEFAULT_JSON_SESSION`); Pro adds
/// `mediaNode` (when requested at creation) and `mediaNodeId` (once placed).
pub const SESSION_KEYS: [&str; 13] = [
    "id",
    "object",
    "sessionId",
    "createdAt",
    "recording",
    "broadcasting",
    "mediaMode",
    "recordingMode",
    "defaultRecordingProperties",
    "customSessionId",
    "forcedVideoCodec",
    "allowTranscoding",
    "connections",
];

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub created_at: u64,
    pub props: SessionProperties,
    /// In creation order, which is the order the API lists them in.
    pub connections: IndexMap<String, Connection>,
    pub recording: bool,
    pub broadcasting: bool,
    /// The media node hosting the session, once its first participant joined.
    pub media_node_id: Option<String>,
    /// Since when the session has had no participants; `None` while it has some.
    pub empty_since: Option<u64>,
}

impl Session {
    pub fn new(id: String, props: SessionProperties, now: u64) -> Self {
        Self {
            id,
            created_at: now,
            props,
            connections: IndexMap::new(),
            recording: false,
            broadcasting: false,
            media_node_id: None,
            empty_since: Some(now),
        }
    }

    /// A session is active while at least one participant is connected.
    pub fn is_active(&self) -> bool {
        self.connections.values().any(Connection::is_active)
    }

    /// The Session object. Pending connections are listed only when asked for.
    pub fn to_json(&self, pending_connections: bool, webrtc_stats: bool) -> Value {
        let content: Vec<Value> = self
            .connections
            .values()
            .filter(|c| pending_connections || c.is_active())
            .map(|c| c.to_json(webrtc_stats))
            .collect();
        let json = SessionJson {
            id: &self.id,
            object: "session",
            session_id: &self.id,
            created_at: self.created_at,
            recording: self.recording,
            broadcasting: self.broadcasting,
            media_mode: self.props.media_mode,
            recording_mode: self.props.recording_mode,
            default_recording_properties: &self.props.default_recording,
            custom_session_id: &self.props.custom_session_id,
            media_node: self.props.media_node.as_deref().map(|id| MediaNodeRef { id }),
            media_node_id: self.media_node_id.as_deref(),
            forced_video_codec: self.props.forced_video_codec,
            allow_transcoding: self.props.allow_transcoding,
            connections: Connections { number_of_elements: content.len(), content },
        };
        serde_json::to_value(json).expect("session JSON is always serializable")
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionJson<'a> {
    id: &'a str,
    object: &'static str,
    session_id: &'a str,
    created_at: u64,
    recording: bool,
    broadcasting: bool,
    media_mode: MediaMode,
    recording_mode: RecordingMode,
    default_recording_properties: &'a RecordingProperties,
    custom_session_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_node: Option<MediaNodeRef<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_node_id: Option<&'a str>,
    forced_video_codec: VideoCodec,
    allow_transcoding: bool,
    connections: Connections,
}

#[derive(Serialize)]
struct MediaNodeRef<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Connections {
    number_of_elements: usize,
    content: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Fields;
    use crate::session::properties::SessionDefaults;
    use serde_json::json;

    fn session(body: Value) -> Session {
        let map = body.as_object().unwrap().clone();
        let defaults =
            SessionDefaults { forced_video_codec: VideoCodec::MediaServerPreferred, allow_transcoding: false };
        let props = SessionProperties::parse(&Fields::new(&map), defaults).unwrap();
        Session::new("ses_YnDaGYNcd7".into(), props, 1538481996019)
    }

    #[test]
    fn session_json_has_the_13_documented_keys() {
        let json = session(json!({})).to_json(false, false);
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let mut expected = SESSION_KEYS.to_vec();
        expected.sort();
        assert_eq!(keys, expected);
        assert_eq!(json["connections"], json!({"numberOfElements": 0, "content": []}));
        assert_eq!(json["forcedVideoCodec"], "MEDIA_SERVER_PREFERRED");
    }

    #[test]
    fn media_node_selector_is_echoed_as_an_object() {
        let json = session(json!({"mediaNode": {"id": "media_1"}})).to_json(false, false);
        assert_eq!(json["mediaNode"], json!({"id": "media_1"}));
    }
}
