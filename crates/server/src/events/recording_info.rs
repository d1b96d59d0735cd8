//! What `recordingStatusChanged` says of a recording (reference §6.1). The
//! recording issue feeds it; the type is here so the CDR, webhooks and the
//! crash handling (recordings of a lost node are `failed`) share one shape.

use serde_json::{Map, Value, json};

use super::reason::EndReason;

/// The video part of a COMPOSED recording with video.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposedVideo {
    pub resolution: String,
    pub frame_rate: i64,
    pub recording_layout: String,
    /// Only for `recordingLayout: CUSTOM`.
    pub custom_layout: Option<String>,
    pub media_node_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordingInfo {
    pub id: String,
    pub name: String,
    /// `COMPOSED` or `INDIVIDUAL`.
    pub output_mode: String,
    pub composed_video: Option<ComposedVideo>,
    pub has_audio: bool,
    pub has_video: bool,
    /// When the recording started (ms).
    pub start_time: u64,
    /// Bytes.
    pub size: u64,
    /// Seconds, fractional.
    pub duration: f64,
    /// `started`, `stopped`, `ready` or `failed`.
    pub status: &'static str,
    /// Why it stopped (`stopped`, `ready`, `failed`).
    pub reason: Option<EndReason>,
}

impl RecordingInfo {
    pub(super) fn add_to(&self, fields: &mut Map<String, Value>) {
        fields.insert("startTime".into(), json!(self.start_time));
        fields.insert("id".into(), json!(self.id));
        fields.insert("name".into(), json!(self.name));
        fields.insert("outputMode".into(), json!(self.output_mode));
        if let Some(video) = &self.composed_video {
            fields.insert("resolution".into(), json!(video.resolution));
            fields.insert("frameRate".into(), json!(video.frame_rate));
            fields.insert("recordingLayout".into(), json!(video.recording_layout));
            if let Some(layout) = &video.custom_layout {
                fields.insert("customLayout".into(), json!(layout));
            }
            if let Some(node) = &video.media_node_id {
                fields.insert("media_node_id".into(), json!(node));
            }
        }
        fields.insert("hasAudio".into(), json!(self.has_audio));
        fields.insert("hasVideo".into(), json!(self.has_video));
        fields.insert("size".into(), json!(self.size));
        fields.insert("duration".into(), json!(self.duration));
        fields.insert("status".into(), json!(self.status));
        if let Some(reason) = self.reason {
            use crate::openvidu_enums::WireEnum;
            fields.insert("reason".into(), json!(reason.as_str()));
        }
    }
}
