//! The Recording object of the REST API.

use serde::Serialize;

use super::properties::RecordingProperties;
use crate::openvidu_enums::{OutputMode, RecordingLayout, wire_enum};

wire_enum!(
    /// A Recording's `status`.
    RecordingStatus { Starting = "starting", Started = "started", Stopped = "stopped", Ready = "ready", Failed = "failed" }
);

#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The session id, or `<sessionId>~N` when that folder already exists.
    pub id: String,
    pub session_id: String,
    pub created_at: u64,
    pub size: u64,
    pub duration: f64,
    /// `None` until the file is ready.
    pub url: Option<String>,
    pub status: RecordingStatus,
    pub properties: RecordingProperties,
}

/// The 2.32 Recording JSON: composed-with-video fields only when they apply.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordingJson<'a> {
    id: &'a str,
    object: &'static str,
    name: &'a str,
    output_mode: OutputMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frame_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_layout: Option<RecordingLayout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_layout: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_failed_streams: Option<bool>,
    session_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_node: Option<&'a str>,
    created_at: u64,
    size: u64,
    duration: f64,
    url: Option<&'a str>,
    has_audio: bool,
    has_video: bool,
    status: RecordingStatus,
}

impl Recording {
    pub fn to_json(&self) -> serde_json::Value {
        let p = &self.properties;
        let composed_video = p.output_mode.is_composed() && p.has_video;
        let json = RecordingJson {
            id: &self.id,
            object: "recording",
            // An unnamed recording is shown with its id as name, as OpenVidu does.
            name: if p.name.is_empty() { &self.id } else { &p.name },
            output_mode: p.output_mode,
            resolution: p.resolution.as_deref().filter(|_| composed_video),
            frame_rate: p.frame_rate.filter(|_| composed_video),
            recording_layout: p.recording_layout.filter(|_| composed_video),
            custom_layout: p.custom_layout.as_deref().filter(|_| composed_video),
            ignore_failed_streams: p.ignore_failed_streams.filter(|_| p.output_mode == OutputMode::Individual),
            session_id: &self.session_id,
            media_node: p.media_node.as_deref(),
            created_at: self.created_at,
            size: self.size,
            duration: self.duration,
            url: self.url.as_deref(),
            has_audio: p.has_audio,
            has_video: p.has_video,
            status: self.status,
        };
        serde_json::to_value(json).expect("recording JSON is always serializable")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_recording_has_the_fifteen_documented_keys() {
        let recording = Recording {
            id: "ses_A".into(),
            session_id: "ses_A".into(),
            created_at: 1,
            size: 0,
            duration: 0.0,
            url: None,
            status: RecordingStatus::Started,
            properties: RecordingProperties::default(),
        };
        let json = recording.to_json();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let mut expected = vec![
            "id",
            "object",
            "name",
            "outputMode",
            "resolution",
            "frameRate",
            "recordingLayout",
            "sessionId",
            "createdAt",
            "size",
            "duration",
            "url",
            "hasAudio",
            "hasVideo",
            "status",
        ];
        expected.sort();
        assert_eq!(keys, expected);
        assert_eq!(json["name"], "ses_A");
        assert_eq!(json["url"], serde_json::Value::Null);
        assert_eq!(json["status"], "started");
    }

    #[test]
    fn statuses_are_spelled_in_lower_case() {
        use crate::openvidu_enums::WireEnum;
        assert_eq!(RecordingStatus::allowed(), "starting, started, stopped, ready, failed");
        assert_eq!(RecordingStatus::parse("ready"), Some(RecordingStatus::Ready));
        assert_eq!(RecordingStatus::parse("READY"), None);
    }
}
