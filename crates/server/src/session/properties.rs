//! What `POST /sessions` may set on a session.

use crate::json_fields::{BadField, Fields};
use crate::openvidu_enums::{MediaMode, OutputMode, RecordingLayout, RecordingMode, VideoCodec, WireEnum};
use crate::recording::{RecordingProperties, media_node_id};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionProperties {
    pub media_mode: MediaMode,
    pub recording_mode: RecordingMode,
    /// Empty when the server chose the id.
    pub custom_session_id: String,
    /// As requested (or the global default); `MEDIA_SERVER_PREFERRED` is kept as such.
    pub forced_video_codec: VideoCodec,
    pub allow_transcoding: bool,
    pub default_recording: RecordingProperties,
    /// `mediaNode.id`: the media node this session must be placed on.
    pub media_node: Option<String>,
}

/// Server-wide defaults for what a request leaves out.
#[derive(Debug, Clone, Copy)]
pub struct SessionDefaults {
    pub forced_video_codec: VideoCodec,
    pub allow_transcoding: bool,
}

impl SessionProperties {
    /// Parses a `POST /sessions` body. Every error is a 400.
    ///
    /// Besides the 2.16+ `defaultRecordingProperties`, the 2.13-2.15 keys
    /// `defaultOutputMode`, `defaultRecordingLayout` and `defaultCustomLayout`
    /// (sent by openvidu-node-client 2.14) are honoured when the object is absent.
    pub fn parse(fields: &Fields, defaults: SessionDefaults) -> Result<Self, BadField> {
        let media_mode = fields.choice::<MediaMode>("mediaMode")?.unwrap_or(MediaMode::Routed);
        let recording_mode = fields.choice::<RecordingMode>("recordingMode")?.unwrap_or(RecordingMode::Manual);
        let custom_session_id = fields.string("customSessionId")?.unwrap_or("").to_string();
        if !custom_session_id.is_empty() && !is_valid_custom_session_id(&custom_session_id) {
            return Err(BadField(format!(
                "Parameter 'customSessionId' is wrong: '{custom_session_id}' must match [a-zA-Z0-9_-]+"
            )));
        }
        let forced_video_codec =
            fields.choice::<VideoCodec>("forcedVideoCodec")?.unwrap_or(defaults.forced_video_codec);
        let allow_transcoding = fields.boolean("allowTranscoding")?.unwrap_or(defaults.allow_transcoding);
        let default_recording = match fields.object("defaultRecordingProperties", "defaultRecordingProperties.")? {
            Some(nested) => RecordingProperties::parse(&nested, None).map_err(|e| {
                BadField(format!("Parameter 'defaultRecordingProperties' is not valid: {}", e.message()))
            })?,
            None => legacy_recording_defaults(fields)?,
        };
        let media_node = media_node_id(fields, false)?;
        Ok(Self {
            media_mode,
            recording_mode,
            custom_session_id,
            forced_video_codec,
            allow_transcoding,
            default_recording,
            media_node,
        })
    }
}

fn legacy_recording_defaults(fields: &Fields) -> Result<RecordingProperties, BadField> {
    const LEGACY_KEYS: [&str; 3] = ["defaultOutputMode", "defaultRecordingLayout", "defaultCustomLayout"];
    if LEGACY_KEYS.iter().all(|key| fields.value(key).is_none()) {
        return Ok(RecordingProperties::default());
    }
    let mut legacy = serde_json::Map::new();
    if let Some(mode) = fields.choice::<OutputMode>("defaultOutputMode")? {
        legacy.insert("outputMode".into(), mode.as_str().into());
    }
    if let Some(layout) = fields.choice::<RecordingLayout>("defaultRecordingLayout")? {
        legacy.insert("recordingLayout".into(), layout.as_str().into());
    }
    if let Some(custom) = fields.string("defaultCustomLayout")? {
        legacy.insert("customLayout".into(), custom.into());
    }
    RecordingProperties::parse(&Fields::new(&legacy), None).map_err(|e| BadField(e.message().to_string()))
}

/// `[a-zA-Z0-9_-]+`
pub fn is_valid_custom_session_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULTS: SessionDefaults =
        SessionDefaults { forced_video_codec: VideoCodec::MediaServerPreferred, allow_transcoding: false };

    fn parse(body: serde_json::Value) -> Result<SessionProperties, BadField> {
        let map = body.as_object().unwrap().clone();
        SessionProperties::parse(&Fields::new(&map), DEFAULTS)
    }

    #[test]
    fn empty_body_takes_every_default() {
        let props = parse(json!({})).unwrap();
        assert_eq!(props.media_mode, MediaMode::Routed);
        assert_eq!(props.recording_mode, RecordingMode::Manual);
        assert_eq!(props.custom_session_id, "");
        assert_eq!(props.forced_video_codec, VideoCodec::MediaServerPreferred);
        assert_eq!(props.default_recording, RecordingProperties::default());
    }

    #[test]
    fn rejects_what_openvidu_rejects() {
        for body in [
            json!({"mediaMode": "WRONG"}),
            json!({"recordingMode": false}),
            json!({"customSessionId": 999}),
            json!({"customSessionId": "with space"}),
            json!({"recordingMode": "WRONG"}),
            json!({"defaultRecordingProperties": "STR"}),
            json!({"defaultRecordingProperties": {"outputMode": "WRONG"}}),
            json!({"defaultRecordingProperties": {"recordingLayout": "WRONG"}}),
            json!({"defaultRecordingProperties": {"frameRate": 0}}),
            json!({"forcedVideoCodec": "AV1"}),
            json!({"allowTranscoding": "yes"}),
            json!({"mediaNode": "media_1"}),
            json!({"mediaNode": {"id": 5}}),
        ] {
            assert!(parse(body.clone()).is_err(), "{body} should be rejected");
        }
    }

    #[test]
    fn legacy_recording_keys_map_onto_default_recording_properties() {
        let props = parse(
            json!({"defaultOutputMode": "COMPOSED", "defaultRecordingLayout": "CUSTOM", "defaultCustomLayout": "x"}),
        )
        .unwrap();
        assert_eq!(props.default_recording.recording_layout, Some(RecordingLayout::Custom));
        assert_eq!(props.default_recording.custom_layout.as_deref(), Some("x"));
        assert!(parse(json!({"defaultOutputMode": "NOPE"})).is_err());
    }

    #[test]
    fn media_node_is_an_object_with_a_string_id() {
        assert_eq!(parse(json!({"mediaNode": {"id": "media_1"}})).unwrap().media_node.as_deref(), Some("media_1"));
    }
}
