//! A session: its properties, its connections, and its Session JSON.

use std::cell::OnceCell;

use bytes::Bytes;
use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::connection::Connection;
use super::properties::SessionProperties;
use crate::openvidu_enums::{MediaMode, OutputMode, RecordingLayout, RecordingMode, VideoCodec};
use crate::recording::RecordingProperties;

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

/// Which Session JSON to build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionView {
    /// Also list connections nobody has joined with yet.
    pub pending_connections: bool,
    /// Show endpoint details (`?webRtcStats=true`).
    pub webrtc_stats: bool,
    /// Add the 2.13-2.15 keys `defaultOutputMode`, `defaultRecordingLayout` and
    /// `defaultCustomLayout`, for requests on the 2.13 path family.
    pub legacy_keys: bool,
}

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
    /// Participants that joined with the secret (the recorder's way in): REST and
    /// the other participants never see them, but they receive the session's
    /// notifications. Connection id → join time.
    pub hidden: IndexMap<String, u64>,
    /// Serialized Session JSON per view (without `webRtcStats`), filled on
    /// first read. Applications poll `GET /sessions/{id}`, and the JSON only
    /// changes when the session does. The store hands out `&mut Session`
    /// only through a method that clears this, so it is never stale.
    json_cache: [OnceCell<Bytes>; 4],
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
            hidden: IndexMap::new(),
            json_cache: Default::default(),
        }
    }

    /// Forgets the cached JSON; called whenever the session may change.
    pub(super) fn invalidate_json(&mut self) {
        self.json_cache = Default::default();
    }

    /// The serialized Session JSON, from the cache when the view allows it.
    pub fn json_bytes(&self, view: SessionView) -> Bytes {
        let serialize = || {
            let mut body = Vec::with_capacity(1024);
            serde_json::to_writer(&mut body, &self.json(view)).expect("session JSON is always serializable");
            Bytes::from(body)
        };
        if view.webrtc_stats {
            return serialize();
        }
        let slot = usize::from(view.pending_connections) | usize::from(view.legacy_keys) << 1;
        self.json_cache[slot].get_or_init(serialize).clone()
    }

    /// A session is active while at least one participant is connected.
    pub fn is_active(&self) -> bool {
        self.connections.values().any(Connection::is_active)
    }

    /// The Session object, ready to serialize without building an intermediate
    /// JSON tree. Pending connections are listed only when asked for.
    pub fn json(&self, view: SessionView) -> SessionJson<'_> {
        let recording = &self.props.default_recording;
        let legacy = view.legacy_keys.then(|| {
            let composed = recording.output_mode.is_composed();
            let layout = recording.recording_layout.unwrap_or(RecordingLayout::BestFit);
            LegacyRecordingKeys {
                default_output_mode: recording.output_mode,
                default_recording_layout: composed.then_some(layout),
                default_custom_layout: (composed && layout == RecordingLayout::Custom)
                    .then(|| recording.custom_layout.as_deref().unwrap_or("")),
            }
        });
        SessionJson {
            id: &self.id,
            object: "session",
            session_id: &self.id,
            created_at: self.created_at,
            recording: self.recording,
            broadcasting: self.broadcasting,
            media_mode: self.props.media_mode,
            recording_mode: self.props.recording_mode,
            default_recording_properties: recording,
            custom_session_id: &self.props.custom_session_id,
            media_node: self.props.media_node.as_deref().map(|id| MediaNodeRef { id }),
            media_node_id: self.media_node_id.as_deref(),
            forced_video_codec: self.props.forced_video_codec,
            allow_transcoding: self.props.allow_transcoding,
            legacy,
            connections: ConnectionsJson { session: self, view },
        }
    }

    /// [`Session::json`] as a JSON value.
    pub fn to_json(&self, view: SessionView) -> Value {
        serde_json::to_value(self.json(view)).expect("session JSON is always serializable")
    }

    fn listed_connections(&self, view: SessionView) -> impl Iterator<Item = &Connection> {
        self.connections.values().filter(move |c| view.pending_connections || c.is_active())
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionJson<'a> {
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
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    legacy: Option<LegacyRecordingKeys<'a>>,
    connections: ConnectionsJson<'a>,
}

/// The 2.13-2.15 top-level recording defaults, which openvidu-node-client 2.14
/// reads back when it fetches a session.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LegacyRecordingKeys<'a> {
    default_output_mode: OutputMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_recording_layout: Option<RecordingLayout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_custom_layout: Option<&'a str>,
}

#[derive(Serialize)]
struct MediaNodeRef<'a> {
    id: &'a str,
}

/// `{numberOfElements, content}`, serialized in place.
struct ConnectionsJson<'a> {
    session: &'a Session,
    view: SessionView,
}

impl Serialize for ConnectionsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("numberOfElements", &self.session.listed_connections(self.view).count())?;
        map.serialize_entry("content", &ConnectionList(self))?;
        map.end()
    }
}

struct ConnectionList<'a, 'b>(&'b ConnectionsJson<'a>);

impl Serialize for ConnectionList<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ConnectionsJson { session, view } = self.0;
        serializer.collect_seq(session.listed_connections(*view).map(|c| c.json(view.webrtc_stats)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_fields::Fields;
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
        let json = session(json!({})).to_json(SessionView::default());
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
        let json = session(json!({"mediaNode": {"id": "media_1"}})).to_json(SessionView::default());
        assert_eq!(json["mediaNode"], json!({"id": "media_1"}));
    }

    #[test]
    fn cached_json_follows_changes_made_through_invalidation() {
        let mut session = session(json!({}));
        let view = SessionView::default();
        let before = session.json_bytes(view);
        assert_eq!(serde_json::from_slice::<Value>(&before).unwrap(), session.to_json(view));
        assert_eq!(session.json_bytes(view), before, "served from the cache");
        session.invalidate_json();
        session.recording = true;
        let after: Value = serde_json::from_slice(&session.json_bytes(view)).unwrap();
        assert_eq!(after["recording"], true);
        let legacy = SessionView { legacy_keys: true, ..view };
        assert!(
            serde_json::from_slice::<Value>(&session.json_bytes(legacy)).unwrap().get("defaultOutputMode").is_some()
        );
    }

    #[test]
    fn legacy_view_adds_the_2_13_recording_keys() {
        let legacy = SessionView { legacy_keys: true, ..SessionView::default() };
        let json = session(json!({"defaultRecordingProperties": {"recordingLayout": "CUSTOM", "customLayout": "l"}}))
            .to_json(legacy);
        assert_eq!(json["defaultOutputMode"], "COMPOSED");
        assert_eq!(json["defaultRecordingLayout"], "CUSTOM");
        assert_eq!(json["defaultCustomLayout"], "l");
        let individual = session(json!({"defaultRecordingProperties": {"outputMode": "INDIVIDUAL"}})).to_json(legacy);
        assert_eq!(individual["defaultOutputMode"], "INDIVIDUAL");
        assert!(individual.get("defaultRecordingLayout").is_none());
        let plain = session(json!({})).to_json(legacy);
        assert!(plain.get("defaultCustomLayout").is_none());
        assert_eq!(plain["defaultRecordingLayout"], "BEST_FIT");
    }
}
