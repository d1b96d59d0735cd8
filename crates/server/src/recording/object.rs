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

impl Recording {
    /// Reads back what [`Recording::to_json`] wrote (the `.recording.<id>` file of a
    /// previous run); `None` when a required field is missing or of the wrong type.
    pub fn from_json(json: &serde_json::Value) -> Option<Recording> {
        let text = |key: &str| json.get(key).and_then(serde_json::Value::as_str).map(str::to_string);
        let id = text("id")?;
        let session_id = text("sessionId")?;
        let status = <RecordingStatus as crate::openvidu_enums::WireEnum>::parse(&text("status")?)?;
        let mut properties =
            RecordingProperties::parse(&crate::json_fields::Fields::new(json.as_object()?), None).ok()?;
        if properties.name == id {
            // The JSON shows an unnamed recording's id as its name; both read the same.
            properties.name.clear();
        }
        Some(Recording {
            id,
            session_id,
            created_at: json.get("createdAt")?.as_u64()?,
            size: json.get("size").and_then(serde_json::Value::as_u64).unwrap_or(0),
            duration: json.get("duration").and_then(serde_json::Value::as_f64).unwrap_or(0.0),
            url: text("url"),
            status,
            properties,
        })
    }

    /// The name its files carry: the name, or the id when unnamed.
    pub fn file_name(&self) -> &str {
        if self.properties.name.is_empty() { &self.id } else { &self.properties.name }
    }

    pub fn is_in_progress(&self) -> bool {
        matches!(self.status, RecordingStatus::Starting | RecordingStatus::Started)
    }
}

/// A recording of session `session_id` with the default properties, for tests.
#[cfg(test)]
pub fn test_recording(id: &str, session_id: &str, status: RecordingStatus) -> Recording {
    Recording {
        id: id.into(),
        session_id: session_id.into(),
        created_at: 1,
        size: 0,
        duration: 0.0,
        url: None,
        status,
        properties: RecordingProperties::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_reads_back() {
        let fields = serde_json::json!({"outputMode": "INDIVIDUAL", "name": "n1", "hasVideo": false});
        let fields = fields.as_object().unwrap();
        let properties = RecordingProperties::parse(&crate::json_fields::Fields::new(fields), None).unwrap();
        let recording = Recording {
            id: "ses_A~2".into(),
            session_id: "ses_A".into(),
            created_at: 5,
            size: 100,
            duration: 1.5,
            url: Some("http://h/openvidu/recordings/ses_A~2/n1.zip".into()),
            status: RecordingStatus::Ready,
            properties,
        };
        assert_eq!(Recording::from_json(&recording.to_json()), Some(recording.clone()));
        let composed = Recording { properties: RecordingProperties::default(), url: None, ..recording };
        assert_eq!(Recording::from_json(&composed.to_json()), Some(composed));
        assert_eq!(Recording::from_json(&serde_json::json!({"id": "x"})), None);
    }

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
