//! Recording properties: what `POST /recordings/start` accepts and what a
//! session stores as `defaultRecordingProperties`.
//!
//! The rules follow OpenVidu: unspecified values fall back to the session's
//! defaults; layout, resolution, frame rate and shm size only exist for
//! composed recordings with video; `ignoreFailedStreams` only for individual
//! ones. Type errors are 400s, range errors are 422s.

use serde::Serialize;

use crate::json_fields::{BadField, Fields};
use crate::openvidu_enums::{OutputMode, RecordingLayout};

pub const DEFAULT_RESOLUTION: &str = "1280x720";
pub const DEFAULT_FRAME_RATE: i64 = 25;
pub const DEFAULT_SHM_SIZE: i64 = 536_870_912;
pub const MIN_SHM_SIZE: i64 = 134_217_728;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordingProperties {
    pub name: String,
    pub has_audio: bool,
    pub has_video: bool,
    pub output_mode: OutputMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recording_layout: Option<RecordingLayout>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_layout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_failed_streams: Option<bool>,
    /// A plain string here, unlike the `{id}` object of sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_node: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingPropertiesError {
    /// A wrong type or an unknown value: HTTP 400.
    Invalid(String),
    /// A value of the right type outside its range: HTTP 422.
    OutOfRange(String),
}

impl RecordingPropertiesError {
    pub fn message(&self) -> &str {
        match self {
            Self::Invalid(m) | Self::OutOfRange(m) => m,
        }
    }
}

impl From<BadField> for RecordingPropertiesError {
    fn from(bad: BadField) -> Self {
        Self::Invalid(bad.0)
    }
}

impl Default for RecordingProperties {
    fn default() -> Self {
        Self {
            name: String::new(),
            has_audio: true,
            has_video: true,
            output_mode: OutputMode::Composed,
            recording_layout: Some(RecordingLayout::BestFit),
            resolution: Some(DEFAULT_RESOLUTION.into()),
            frame_rate: Some(DEFAULT_FRAME_RATE),
            shm_size: Some(DEFAULT_SHM_SIZE),
            custom_layout: None,
            ignore_failed_streams: None,
            media_node: None,
        }
    }
}

/// Values used for everything neither the request nor the session defaults set.
struct Fallback {
    recording_layout: RecordingLayout,
    resolution: String,
    frame_rate: i64,
    shm_size: i64,
    custom_layout: String,
    ignore_failed_streams: bool,
}

impl RecordingProperties {
    /// Parses `fields` over `defaults` (a session's `defaultRecordingProperties`).
    pub fn parse(fields: &Fields, defaults: Option<&RecordingProperties>) -> Result<Self, RecordingPropertiesError> {
        let base = defaults.cloned().unwrap_or_default();
        let fallback = Fallback {
            recording_layout: base.recording_layout.unwrap_or(RecordingLayout::BestFit),
            resolution: base.resolution.clone().unwrap_or_else(|| DEFAULT_RESOLUTION.into()),
            frame_rate: base.frame_rate.unwrap_or(DEFAULT_FRAME_RATE),
            shm_size: base.shm_size.unwrap_or(DEFAULT_SHM_SIZE),
            custom_layout: base.custom_layout.clone().unwrap_or_default(),
            ignore_failed_streams: base.ignore_failed_streams.unwrap_or(false),
        };

        let name = match fields.string("name")? {
            Some(name) if !name.is_empty() => {
                if !is_valid_recording_name(name) {
                    return Err(RecordingPropertiesError::Invalid(format!(
                        "Parameter 'name' is wrong: '{name}' must match [a-zA-Z0-9_\\-~]+"
                    )));
                }
                name.to_string()
            }
            _ => base.name.clone(),
        };
        let has_audio = fields.boolean("hasAudio")?.unwrap_or(base.has_audio);
        let has_video = fields.boolean("hasVideo")?.unwrap_or(base.has_video);
        let requested_mode = fields.choice::<OutputMode>("outputMode")?;
        let layout = fields.choice::<RecordingLayout>("recordingLayout")?;
        let resolution = match fields.value("resolution") {
            None => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(_) => {
                return Err(RecordingPropertiesError::Invalid(fields.string("resolution").unwrap_err().0));
            }
        };
        let frame_rate = fields.integer("frameRate")?;
        let shm_size = fields.integer("shmSize")?;
        let custom_layout = fields.string("customLayout")?.map(str::to_string);
        let ignore_failed_streams = fields.boolean("ignoreFailedStreams")?;
        let media_node = media_node_id(fields, true)?.or(base.media_node.clone());

        if !has_audio && !has_video {
            return Err(RecordingPropertiesError::OutOfRange(
                "Cannot record with both 'hasAudio' and 'hasVideo' set to false".into(),
            ));
        }
        // A session whose default is COMPOSED_QUICK_START keeps it when COMPOSED is asked, and vice versa.
        let output_mode = match (requested_mode, defaults.map(|d| d.output_mode)) {
            (Some(OutputMode::Composed), Some(OutputMode::ComposedQuickStart)) => OutputMode::ComposedQuickStart,
            (Some(OutputMode::ComposedQuickStart), Some(OutputMode::Composed)) => OutputMode::Composed,
            (Some(mode), _) => mode,
            (None, _) => base.output_mode,
        };

        let mut props = RecordingProperties {
            name,
            has_audio,
            has_video,
            output_mode,
            recording_layout: None,
            resolution: None,
            frame_rate: None,
            shm_size: None,
            custom_layout: None,
            ignore_failed_streams: None,
            media_node,
        };
        if output_mode.is_composed() {
            if let Some(resolution) = &resolution
                && !is_acceptable_resolution(resolution)
            {
                return Err(RecordingPropertiesError::OutOfRange(format!(
                    "Wrong 'resolution' parameter '{resolution}': width and height must each be from 100 to 1999 (WIDTHxHEIGHT)"
                )));
            }
            if let Some(rate) = frame_rate
                && !(1..=120).contains(&rate)
            {
                return Err(RecordingPropertiesError::OutOfRange(format!(
                    "Wrong 'frameRate' parameter {rate}: allowed range is 1 to 120"
                )));
            }
            if let Some(size) = shm_size
                && size < MIN_SHM_SIZE
            {
                return Err(RecordingPropertiesError::OutOfRange(format!(
                    "Wrong 'shmSize' parameter {size}: minimum is {MIN_SHM_SIZE} (128 MB)"
                )));
            }
            if has_video {
                let layout = layout.unwrap_or(fallback.recording_layout);
                props.recording_layout = Some(layout);
                props.resolution = Some(resolution.unwrap_or(fallback.resolution));
                props.frame_rate = Some(frame_rate.unwrap_or(fallback.frame_rate));
                props.shm_size = Some(shm_size.unwrap_or(fallback.shm_size));
                if layout == RecordingLayout::Custom {
                    props.custom_layout = Some(custom_layout.unwrap_or(fallback.custom_layout));
                }
            }
        } else {
            props.ignore_failed_streams = Some(ignore_failed_streams.unwrap_or(fallback.ignore_failed_streams));
        }
        Ok(props)
    }
}

/// Reads `mediaNode` as `{"id": "..."}`; recordings also tolerate a plain string.
pub fn media_node_id(fields: &Fields, allow_plain_string: bool) -> Result<Option<String>, BadField> {
    match fields.value("mediaNode") {
        None => Ok(None),
        Some(serde_json::Value::String(id)) if allow_plain_string => Ok(Some(id.clone())),
        Some(serde_json::Value::Object(map)) => match map.get("id") {
            Some(serde_json::Value::String(id)) => Ok(Some(id.clone())),
            None | Some(serde_json::Value::Null) => {
                Err(BadField("Error in parameter 'mediaNode': property 'id' not found".into()))
            }
            Some(other) => Err(BadField(format!(
                "Type error in parameter 'mediaNode.id': expected a string, got {}",
                crate::json_fields::describe(other)
            ))),
        },
        Some(other) => Err(BadField(format!(
            "Error in parameter 'mediaNode': expected a JSON object {{\"id\": \"...\"}}, got {}",
            crate::json_fields::describe(other)
        ))),
    }
}

/// `[a-zA-Z0-9_\-~]+`
pub fn is_valid_recording_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'~'))
}

/// `WIDTHxHEIGHT`, each from 100 to 1999 without leading zeros.
pub fn is_acceptable_resolution(text: &str) -> bool {
    fn side(s: &str) -> bool {
        !s.starts_with('0')
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| (100..=1999).contains(&n))
    }
    matches!(text.split_once('x'), Some((w, h)) if side(w) && side(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(
        body: serde_json::Value,
        defaults: Option<&RecordingProperties>,
    ) -> Result<RecordingProperties, RecordingPropertiesError> {
        let map = body.as_object().unwrap().clone();
        RecordingProperties::parse(&Fields::new(&map), defaults)
    }

    #[test]
    fn defaults_have_the_composed_key_set() {
        let json = serde_json::to_value(parse(json!({}), None).unwrap()).unwrap();
        assert_eq!(
            json,
            json!({"name": "", "hasAudio": true, "hasVideo": true, "outputMode": "COMPOSED",
                   "recordingLayout": "BEST_FIT", "resolution": "1280x720", "frameRate": 25, "shmSize": 536870912})
        );
    }

    #[test]
    fn individual_has_ignore_failed_streams_and_no_layout() {
        let json = serde_json::to_value(parse(json!({"outputMode": "INDIVIDUAL"}), None).unwrap()).unwrap();
        assert_eq!(
            json,
            json!({"name": "", "hasAudio": true, "hasVideo": true, "outputMode": "INDIVIDUAL", "ignoreFailedStreams": false})
        );
    }

    #[test]
    fn custom_layout_only_with_custom() {
        let props = parse(json!({"recordingLayout": "CUSTOM", "customLayout": "mine"}), None).unwrap();
        assert_eq!(props.custom_layout.as_deref(), Some("mine"));
        let props = parse(json!({"customLayout": "mine"}), None).unwrap();
        assert_eq!(props.custom_layout, None);
    }

    #[test]
    fn type_errors_are_invalid_and_ranges_are_out_of_range() {
        assert!(matches!(parse(json!({"resolution": 999}), None), Err(RecordingPropertiesError::Invalid(_))));
        assert!(matches!(parse(json!({"frameRate": true}), None), Err(RecordingPropertiesError::Invalid(_))));
        assert!(matches!(parse(json!({"name": "bad name"}), None), Err(RecordingPropertiesError::Invalid(_))));
        assert!(matches!(parse(json!({"outputMode": "X"}), None), Err(RecordingPropertiesError::Invalid(_))));
        for body in [
            json!({"resolution": "1920x2000"}),
            json!({"resolution": "99x1080"}),
            json!({"frameRate": 0}),
            json!({"frameRate": 121}),
            json!({"shmSize": 1000}),
            json!({"hasAudio": false, "hasVideo": false}),
        ] {
            assert!(matches!(parse(body.clone(), None), Err(RecordingPropertiesError::OutOfRange(_))), "{body}");
        }
    }

    #[test]
    fn composed_and_quick_start_follow_the_session_default() {
        let quick = parse(json!({"outputMode": "COMPOSED_QUICK_START"}), None).unwrap();
        assert_eq!(
            parse(json!({"outputMode": "COMPOSED"}), Some(&quick)).unwrap().output_mode,
            OutputMode::ComposedQuickStart
        );
        let composed = parse(json!({}), None).unwrap();
        assert_eq!(
            parse(json!({"outputMode": "COMPOSED_QUICK_START"}), Some(&composed)).unwrap().output_mode,
            OutputMode::Composed
        );
    }

    #[test]
    fn resolution_rule() {
        assert!(is_acceptable_resolution("1280x720"));
        assert!(is_acceptable_resolution("100x1999"));
        assert!(!is_acceptable_resolution("2000x720"));
        assert!(!is_acceptable_resolution("0100x720"));
        assert!(!is_acceptable_resolution("1280"));
    }

    #[test]
    fn media_node_accepts_object_or_plain_string_for_recordings() {
        assert_eq!(
            parse(json!({"mediaNode": {"id": "media_1"}}), None).unwrap().media_node.as_deref(),
            Some("media_1")
        );
        assert_eq!(parse(json!({"mediaNode": "media_1"}), None).unwrap().media_node.as_deref(), Some("media_1"));
        assert!(parse(json!({"mediaNode": {}}), None).is_err());
    }
}
