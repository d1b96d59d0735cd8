//! The constructor parameters of RecorderEndpoint and Composite, checked
//! before anything is built: a bad URI or profile is refused at `create`,
//! never discovered later on a recording thread.

use std::path::{Component, Path, PathBuf};

use kurento_protocol::error::{ErrorCode, RpcError};
use serde_json::{Map, Value};

/// The container a recorder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Webm,
    Mkv,
    Mp4,
}

/// Kurento's `mediaProfile`: a container and the tracks it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaProfile {
    pub container: Container,
    pub audio: bool,
    pub video: bool,
}

impl MediaProfile {
    pub fn parse(name: &str) -> Option<Self> {
        let (container, rest) = if let Some(rest) = name.strip_prefix("WEBM") {
            (Container::Webm, rest)
        } else if let Some(rest) = name.strip_prefix("MKV") {
            (Container::Mkv, rest)
        } else if let Some(rest) = name.strip_prefix("MP4") {
            (Container::Mp4, rest)
        } else {
            return None;
        };
        let (audio, video) = match rest {
            "" => (true, true),
            "_AUDIO_ONLY" => (true, false),
            "_VIDEO_ONLY" => (false, true),
            _ => return None,
        };
        Some(Self { container, audio, video })
    }
}

/// How a Composite arranges its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    BestFit,
    PictureInPicture,
    VerticalPresentation,
    HorizontalPresentation,
}

impl LayoutKind {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "BEST_FIT" => Some(Self::BestFit),
            "PICTURE_IN_PICTURE" => Some(Self::PictureInPicture),
            "VERTICAL_PRESENTATION" => Some(Self::VerticalPresentation),
            "HORIZONTAL_PRESENTATION" => Some(Self::HorizontalPresentation),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompositeParams {
    pub layout: LayoutKind,
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub has_audio: bool,
    pub has_video: bool,
}

/// `RecorderEndpoint` create params: the file to write and its profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecorderParams {
    pub path: PathBuf,
    pub profile: MediaProfile,
}

pub fn recorder_params(params: &Map<String, Value>) -> Result<RecorderParams, RpcError> {
    let uri = params.get("uri").and_then(Value::as_str).ok_or_else(|| RpcError::marshall("uri", "String"))?;
    let path = file_path(uri)?;
    let profile = match params.get("mediaProfile") {
        None | Some(Value::Null) => MediaProfile::parse("WEBM").expect("known"),
        Some(Value::String(name)) => MediaProfile::parse(name).ok_or_else(|| {
            RpcError::new(ErrorCode::MarshallError, format!("'mediaProfile' parameter: unknown profile '{name}'"))
        })?,
        Some(_) => return Err(RpcError::marshall("mediaProfile", "MediaProfileSpecType")),
    };
    Ok(RecorderParams { path, profile })
}

/// `file:///abs/path` → `/abs/path`; other schemes, relative paths and `..` are refused.
pub fn file_path(uri: &str) -> Result<PathBuf, RpcError> {
    let uri_error = |why: String| RpcError::new(ErrorCode::MediaObjectEventNotSupported, why);
    let Some(rest) = uri.strip_prefix("file://") else {
        let scheme = uri.split_once("://").map_or(uri, |(scheme, _)| scheme);
        return Err(uri_error(format!("URI_ERROR: scheme '{scheme}' is not supported, only file:// URIs are")));
    };
    let path = Path::new(rest);
    if !path.is_absolute() || path.file_name().is_none() {
        return Err(uri_error(format!("URI_ERROR: '{uri}' does not name an absolute file path")));
    }
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(uri_error(format!("URI_ERROR: '{uri}' must not contain '..'")));
    }
    Ok(path.to_path_buf())
}

/// Whether `path` lies inside `root` (both absolute and free of `..`).
pub fn inside_root(path: &Path, root: &Path) -> bool {
    path.starts_with(root) && path != root
}

pub fn composite_params(params: &Map<String, Value>) -> Result<CompositeParams, RpcError> {
    let layout = match params.get("layout") {
        None | Some(Value::Null) => LayoutKind::BestFit,
        Some(Value::String(name)) => LayoutKind::parse(name).ok_or_else(|| {
            RpcError::new(ErrorCode::MarshallError, format!("'layout' parameter: unknown layout '{name}'"))
        })?,
        Some(_) => return Err(RpcError::marshall("layout", "String")),
    };
    let number = |name: &str, default: u32, max: u32| match params.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value
            .as_u64()
            .filter(|v| (2..=u64::from(max)).contains(v))
            .map(|v| v as u32)
            .ok_or_else(|| RpcError::new(ErrorCode::MarshallError, format!("'{name}' must be an int in 2..={max}"))),
    };
    let flag = |name: &str| match params.get(name) {
        None | Some(Value::Null) => Ok(true),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(RpcError::marshall(name, "boolean")),
    };
    let width = number("width", 1280, 7680)? & !1;
    let height = number("height", 720, 4320)? & !1;
    let frame_rate = number("frameRate", 25, 120)?;
    let (has_audio, has_video) = (flag("hasAudio")?, flag("hasVideo")?);
    if !has_audio && !has_video {
        return Err(RpcError::new(ErrorCode::MarshallError, "A Composite needs audio or video"));
    }
    Ok(CompositeParams { layout, width, height, frame_rate, has_audio, has_video })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn profiles_parse_to_container_and_tracks() {
        assert_eq!(
            MediaProfile::parse("WEBM"),
            Some(MediaProfile { container: Container::Webm, audio: true, video: true })
        );
        assert_eq!(
            MediaProfile::parse("MP4_AUDIO_ONLY"),
            Some(MediaProfile { container: Container::Mp4, audio: true, video: false })
        );
        assert_eq!(
            MediaProfile::parse("MKV_VIDEO_ONLY"),
            Some(MediaProfile { container: Container::Mkv, audio: false, video: true })
        );
        assert_eq!(MediaProfile::parse("WEBM_SOMETHING"), None);
        assert_eq!(MediaProfile::parse("AVI"), None);
    }

    #[test]
    fn recorder_uris_must_be_absolute_files() {
        let ok = recorder_params(&map(json!({"uri": "file:///tmp/rec/a.webm"}))).unwrap();
        assert_eq!(ok.path, PathBuf::from("/tmp/rec/a.webm"));
        assert_eq!(ok.profile.container, Container::Webm);
        let http = recorder_params(&map(json!({"uri": "http://x/a.webm"}))).unwrap_err();
        assert_eq!(http.code, 40106);
        assert!(http.message.contains("'http'"), "{}", http.message);
        assert_eq!(file_path("file://relative/a.webm").unwrap_err().code, 40106);
        assert_eq!(file_path("file:///tmp/../etc/a").unwrap_err().code, 40106);
        assert_eq!(recorder_params(&map(json!({}))).unwrap_err().code, 40001);
        let profile = recorder_params(&map(json!({"uri": "file:///a.mp4", "mediaProfile": "OGG"}))).unwrap_err();
        assert_eq!(profile.code, 40001);
        assert!(inside_root(Path::new("/rec/s/a.mp4"), Path::new("/rec")));
        assert!(!inside_root(Path::new("/recx/a.mp4"), Path::new("/rec")));
    }

    #[test]
    fn composite_params_have_defaults_and_limits() {
        let defaults = composite_params(&Map::new()).unwrap();
        assert_eq!(
            defaults,
            CompositeParams {
                layout: LayoutKind::BestFit,
                width: 1280,
                height: 720,
                frame_rate: 25,
                has_audio: true,
                has_video: true
            }
        );
        let custom = composite_params(&map(
            json!({"layout": "PICTURE_IN_PICTURE", "width": 641, "height": 360, "frameRate": 15, "hasVideo": false}),
        ))
        .unwrap();
        assert_eq!(
            (custom.layout, custom.width, custom.frame_rate, custom.has_video),
            (LayoutKind::PictureInPicture, 640, 15, false)
        );
        assert_eq!(composite_params(&map(json!({"layout": "MOSAIC"}))).unwrap_err().code, 40001);
        assert_eq!(composite_params(&map(json!({"width": 0}))).unwrap_err().code, 40001);
        assert!(composite_params(&map(json!({"hasAudio": false, "hasVideo": false}))).is_err());
    }
}
