//! The parameters of the client methods (reference §3.4), typed: each method's
//! parameters are read once into a struct, and a missing or mistyped one is an
//! `InvalidParams` error that names it.

use kurento_protocol::error::RpcError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::codes::{Code, error};

/// Reads `params` as `T`; the error says which parameter is wrong and why.
pub fn read<T: DeserializeOwned>(method: &str, params: &Map<String, Value>, rpc: &str) -> Result<T, RpcError> {
    T::deserialize(Value::Object(params.clone()))
        .map_err(|e| error(Code::InvalidParams, format!("Invalid parameters of '{method}': {e}"), Some(rpc)))
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
pub struct JoinRoom {
    pub session: String,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub recorder: Option<bool>,
    #[serde(default)]
    pub platform: Option<String>,
    /// openvidu-browser's `clientData`.
    #[serde(default)]
    pub metadata: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishVideo {
    pub sdp_offer: String,
    #[serde(default = "yes")]
    pub has_audio: bool,
    #[serde(default = "yes")]
    pub audio_active: bool,
    #[serde(default = "yes")]
    pub has_video: bool,
    #[serde(default = "yes")]
    pub video_active: bool,
    #[serde(default)]
    pub type_of_video: Option<String>,
    #[serde(default)]
    pub frame_rate: Option<Value>,
    #[serde(default)]
    pub video_dimensions: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveVideoFrom {
    pub sender: String,
    pub sdp_offer: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnIceCandidate {
    pub endpoint_name: String,
    pub candidate: String,
    #[serde(default)]
    pub sdp_mid: Option<Value>,
    #[serde(default)]
    pub sdp_m_line_index: Option<Value>,
}

impl OnIceCandidate {
    /// The candidate as the node takes it: a mid given as a number is read as its text,
    /// a missing or unusable index as 0 (as the media node itself reads them).
    pub fn candidate(&self) -> kurento_protocol::media::IceCandidate {
        let sdp_mid = match &self.sdp_mid {
            Some(Value::String(mid)) => mid.clone(),
            Some(Value::Number(mid)) => mid.to_string(),
            _ => String::new(),
        };
        let sdp_m_line_index =
            self.sdp_m_line_index.as_ref().and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok()).unwrap_or(0);
        kurento_protocol::media::IceCandidate { candidate: self.candidate.clone(), sdp_mid, sdp_m_line_index }
    }
}

/// `reconnectStream`: `sdpOffer` (2.32), or `sdpString` (older clients).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconnectStream {
    pub stream: String,
    #[serde(default)]
    pub sdp_offer: Option<String>,
    #[serde(default)]
    pub sdp_string: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UnsubscribeFromVideo {
    pub sender: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamPropertyChanged {
    pub stream_id: String,
    pub property: String,
    #[serde(default)]
    pub new_value: Value,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SendMessage {
    /// A JSON string `{to, data, type}`.
    pub message: String,
}

/// The JSON inside `sendMessage`'s `message`.
#[derive(Debug, Default, Deserialize)]
pub struct Message {
    #[serde(default)]
    pub to: Option<Vec<String>>,
    #[serde(default, rename = "type")]
    pub kind: Option<Value>,
    #[serde(default)]
    pub data: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceDisconnect {
    #[serde(default)]
    pub connection_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForceUnpublish {
    #[serde(default)]
    pub stream_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_missing_or_mistyped_parameter_is_named() {
        let error = read::<PublishVideo>("publishVideo", &params(json!({"hasAudio": true})), "rpc").unwrap_err();
        assert_eq!(error.code, Code::InvalidParams as i64);
        assert!(error.message.contains("sdpOffer"), "{}", error.message);
        let error = read::<ReceiveVideoFrom>("receiveVideoFrom", &params(json!({"sender": 5, "sdpOffer": "o"})), "r")
            .unwrap_err();
        assert!(error.message.contains("expected a string"), "{}", error.message);
    }

    #[test]
    fn flags_default_to_openvidu_s_values() {
        let publish: PublishVideo = read("publishVideo", &params(json!({"sdpOffer": "v=0"})), "r").unwrap();
        assert!(publish.has_audio && publish.has_video && publish.audio_active && publish.video_active);
        assert_eq!(publish.type_of_video, None);
    }
}
