//! Why the conference core refused a command, with OpenVidu's error code
//! (`OpenViduException.Code`, and the JSON-RPC codes it uses).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Generic = 999,
    /// A method other than `joinRoom` before joining.
    Transport = 803,
    RoomNotFound = 202,
    RoomClosed = 203,
    /// No media node can host the session.
    RoomCannotBeCreated = 204,
    UserNotFound = 102,
    /// Bad token, or the role does not allow the method.
    UserUnauthorized = 401,
    MetadataFormatInvalid = 500,
    SignalFormatInvalid = 600,
    SignalToInvalid = 601,
    /// The offer lacks the session's forced video codec (`FORCED_CODEC_NOT_FOUND_IN_SDPOFFER`).
    ForcedCodecNotFound = 800,
    MediaNodeNotFound = 900,
    MediaNodeStatusWrong = 901,
    /// JSON-RPC: the reconnected session is unknown.
    ReconnectionError = 40007,
    /// JSON-RPC: the method does not exist.
    MethodNotFound = -32601,
    /// JSON-RPC: the parameters are wrong.
    InvalidParams = -32602,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub code: Code,
    pub message: String,
}

impl Refusal {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}
