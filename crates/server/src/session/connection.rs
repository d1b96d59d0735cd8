//! A connection: a seat in a session, pending until a client joins with its
//! token, then active with the participant's details and streams.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::connection_properties::{ConnectionProperties, KurentoOptions};
use crate::ice::IceServer;
use crate::openvidu_enums::{ConnectionType, Role};

/// A single-use join credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// `tok_...`
    pub id: String,
    /// `ws(s)://host[:port]?sessionId=...&token=tok_...`, what clients are given.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub id: String,
    pub session_id: String,
    /// When the connection (its token) was created, ms since the epoch.
    pub created_at: u64,
    /// `None` for IP cameras.
    pub token: Option<Token>,
    pub props: ConnectionProperties,
    /// ICE servers as given to the client (TURN credentials already generated).
    pub ice_servers: Vec<IceServer>,
    /// Set once a client has joined with the token.
    pub participant: Option<Participant>,
}

/// What is known of a joined client.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub active_at: u64,
    pub location: String,
    pub ip: String,
    pub platform: String,
    pub client_data: String,
    pub publishers: Vec<Publisher>,
    pub subscribers: Vec<Subscriber>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Publisher {
    pub stream_id: String,
    pub created_at: u64,
    pub media_options: MediaOptions,
    pub endpoint: EndpointStats,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub stream_id: String,
    pub created_at: u64,
    pub endpoint: EndpointStats,
}

/// What a published stream carries, as the client declared it.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaOptions {
    pub has_audio: bool,
    pub audio_active: bool,
    pub has_video: bool,
    pub video_active: bool,
    pub type_of_video: String,
    pub frame_rate: Option<i64>,
    /// A JSON string such as `{"width":640,"height":480}`.
    pub video_dimensions: String,
    /// `{}` or `{type, options, lastExecMethod}`.
    pub filter: Value,
}

/// The media endpoint behind a stream, shown with `?webRtcStats=true`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStats {
    pub webrtc_endpoint_name: String,
    pub remote_sdp: String,
    pub local_sdp: String,
    /// `clientIceCandidates`, `serverIceCandidates`, `localCandidate`, `remoteCandidate`, `events`.
    #[serde(flatten)]
    pub activity: crate::session::endpoint_activity::SharedActivity,
}

/// The exact key set of OpenVidu 2.32's Connection object (`DEFAULT_JSON_PENDING_CONNECTION`).
pub const CONNECTION_KEYS: [&str; 24] = [
    "id",
    "object",
    "type",
    "status",
    "connectionId",
    "sessionId",
    "createdAt",
    "activeAt",
    "location",
    "ip",
    "platform",
    "token",
    "serverData",
    "record",
    "role",
    "kurentoOptions",
    "rtspUri",
    "adaptativeBitrate",
    "onlyPlayWithSubscribers",
    "networkCache",
    "clientData",
    "publishers",
    "subscribers",
    "customIceServers",
];

impl Connection {
    pub fn is_active(&self) -> bool {
        self.participant.is_some()
    }

    /// The 24-key Connection object of the REST API, ready to serialize
    /// without building an intermediate JSON tree.
    pub fn json(&self, webrtc_stats: bool) -> ConnectionJson<'_> {
        let ipcam = self.props.ipcam.as_ref();
        let participant = self.participant.as_ref();
        ConnectionJson {
            id: &self.id,
            object: "connection",
            status: if participant.is_some() { "active" } else { "pending" },
            connection_id: &self.id,
            session_id: &self.session_id,
            created_at: self.created_at,
            kind: self.props.kind,
            record: self.props.record,
            role: self.props.role,
            kurento_options: self.props.kurento_options.as_ref(),
            custom_ice_servers: &self.ice_servers,
            rtsp_uri: ipcam.map(|c| c.rtsp_uri.as_str()),
            adaptative_bitrate: ipcam.map(|c| c.adaptative_bitrate),
            only_play_with_subscribers: ipcam.map(|c| c.only_play_with_subscribers),
            network_cache: ipcam.map(|c| c.network_cache),
            server_data: &self.props.data,
            token: self.token.as_ref().map(|t| t.url.as_str()),
            active_at: participant.map(|p| p.active_at),
            location: participant.map(|p| p.location.as_str()),
            ip: participant.map(|p| p.ip.as_str()),
            platform: participant.map(|p| p.platform.as_str()),
            client_data: participant.map(|p| p.client_data.as_str()),
            publishers: participant.map(|p| Streams { items: &p.publishers, webrtc_stats }),
            subscribers: participant.map(|p| Streams { items: &p.subscribers, webrtc_stats }),
        }
    }

    /// The Token object of the deprecated `POST /tokens` (2.32 key set:
    /// `kurentoOptions` only when given, no `record`); `None` for IP cameras.
    pub fn token_json(&self) -> Option<TokenJson<'_>> {
        let token = self.token.as_ref()?;
        Some(TokenJson {
            id: &token.url,
            token: &token.url,
            connection_id: &self.id,
            created_at: self.created_at,
            session: &self.session_id,
            role: self.props.role,
            data: &self.props.data,
            kurento_options: self.props.kurento_options.as_ref(),
        })
    }

    /// [`Connection::json`] as a JSON value.
    pub fn to_json(&self, webrtc_stats: bool) -> Value {
        serde_json::to_value(self.json(webrtc_stats)).expect("connection JSON is always serializable")
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionJson<'a> {
    id: &'a str,
    object: &'static str,
    status: &'static str,
    connection_id: &'a str,
    session_id: &'a str,
    created_at: u64,
    #[serde(rename = "type")]
    kind: ConnectionType,
    record: bool,
    role: Option<Role>,
    kurento_options: Option<&'a KurentoOptions>,
    custom_ice_servers: &'a [IceServer],
    rtsp_uri: Option<&'a str>,
    adaptative_bitrate: Option<bool>,
    only_play_with_subscribers: Option<bool>,
    network_cache: Option<i64>,
    server_data: &'a str,
    token: Option<&'a str>,
    active_at: Option<u64>,
    location: Option<&'a str>,
    ip: Option<&'a str>,
    platform: Option<&'a str>,
    client_data: Option<&'a str>,
    publishers: Option<Streams<'a, Publisher>>,
    subscribers: Option<Streams<'a, Subscriber>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenJson<'a> {
    id: &'a str,
    token: &'a str,
    connection_id: &'a str,
    created_at: u64,
    session: &'a str,
    role: Option<Role>,
    data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kurento_options: Option<&'a KurentoOptions>,
}

/// A list of publishers or subscribers, serialized in place.
pub struct Streams<'a, T> {
    items: &'a [T],
    webrtc_stats: bool,
}

impl Serialize for Streams<'_, Publisher> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.items.iter().map(|p| StreamJson {
            created_at: p.created_at,
            stream_id: &p.stream_id,
            media_options: Some(&p.media_options),
            endpoint: self.webrtc_stats.then_some(&p.endpoint),
        }))
    }
}

impl Serialize for Streams<'_, Subscriber> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.items.iter().map(|s| StreamJson {
            created_at: s.created_at,
            stream_id: &s.stream_id,
            media_options: None,
            endpoint: self.webrtc_stats.then_some(&s.endpoint),
        }))
    }
}

/// A publisher (with `mediaOptions`) or a subscriber entry; endpoint details
/// are merged in with `?webRtcStats=true`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StreamJson<'a> {
    created_at: u64,
    stream_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_options: Option<&'a MediaOptions>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    endpoint: Option<&'a EndpointStats>,
}

/// `audioActive` only with audio; the video fields only with video.
impl Serialize for MediaOptions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("hasAudio", &self.has_audio)?;
        if self.has_audio {
            map.serialize_entry("audioActive", &self.audio_active)?;
        }
        map.serialize_entry("hasVideo", &self.has_video)?;
        if self.has_video {
            map.serialize_entry("videoActive", &self.video_active)?;
            map.serialize_entry("typeOfVideo", &self.type_of_video)?;
            map.serialize_entry("frameRate", &self.frame_rate)?;
            map.serialize_entry("videoDimensions", &self.video_dimensions)?;
        }
        map.serialize_entry("filter", &self.filter)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::connection_properties::ConnectionDefaults;
    use serde_json::json;

    pub(crate) fn pending() -> Connection {
        let map = serde_json::Map::new();
        let props = ConnectionProperties::parse(
            &crate::json_fields::Fields::new(&map),
            &ConnectionDefaults { ice_servers: &[] },
        )
        .unwrap();
        Connection {
            id: "con_Xnxg19tonh".into(),
            session_id: "ses_YnDaGYNcd7".into(),
            created_at: 1538481999022,
            token: Some(Token { id: "tok_A".into(), url: "wss://host?sessionId=ses_YnDaGYNcd7&token=tok_A".into() }),
            props,
            ice_servers: vec![],
            participant: None,
        }
    }

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    #[test]
    fn pending_connection_has_the_24_keys_with_nulls() {
        let json = pending().to_json(false);
        let mut expected: Vec<String> = CONNECTION_KEYS.iter().map(|k| k.to_string()).collect();
        expected.sort();
        assert_eq!(keys(&json), expected);
        assert_eq!(json["status"], "pending");
        assert_eq!(json["type"], "WEBRTC");
        assert_eq!(json["role"], "PUBLISHER");
        assert_eq!(json["activeAt"], Value::Null);
        assert_eq!(json["publishers"], Value::Null);
        assert_eq!(json["customIceServers"], json!([]));
        assert_eq!(json["serverData"], "");
    }

    #[test]
    fn active_connection_shows_participant_and_streams() {
        let mut connection = pending();
        connection.participant = Some(Participant {
            active_at: 1538482000000,
            location: "unknown".into(),
            ip: "127.0.0.1".into(),
            platform: "Chrome 120 on Linux".into(),
            client_data: "{\"name\":\"a\"}".into(),
            publishers: vec![Publisher {
                stream_id: "str_CAM_NhxL_con_Xnxg19tonh".into(),
                created_at: 1538481999710,
                media_options: MediaOptions {
                    has_audio: false,
                    audio_active: false,
                    has_video: true,
                    video_active: true,
                    type_of_video: "CAMERA".into(),
                    frame_rate: Some(30),
                    video_dimensions: "{\"width\":640,\"height\":480}".into(),
                    filter: json!({}),
                },
                endpoint: EndpointStats::default(),
            }],
            subscribers: vec![],
        });
        let json = connection.to_json(false);
        assert_eq!(json["status"], "active");
        assert_eq!(
            json["publishers"][0]["mediaOptions"],
            json!({"hasAudio": false, "hasVideo": true, "videoActive": true,
            "typeOfVideo": "CAMERA", "frameRate": 30, "videoDimensions": "{\"width\":640,\"height\":480}", "filter": {}})
        );
        assert_eq!(json["subscribers"], json!([]));
        assert!(json["publishers"][0].get("webrtcEndpointName").is_none());
        let with_stats = connection.to_json(true);
        assert_eq!(with_stats["publishers"][0]["webrtcEndpointName"], "");
        assert_eq!(with_stats["publishers"][0]["events"], json!([]));
    }
}
