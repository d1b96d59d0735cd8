//! OpenVidu's signaling error codes (`OpenViduException.Code`) and the JSON-RPC ones it uses.

use kurento_protocol::error::RpcError;
use serde_json::{Map, Value, json};

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
    MediaNodeNotFound = 900,
    MediaNodeStatusWrong = 901,
    /// JSON-RPC: the reconnected session is unknown.
    ReconnectionError = 40007,
    /// JSON-RPC: the method does not exist.
    MethodNotFound = -32601,
    /// JSON-RPC: the parameters are wrong.
    InvalidParams = -32602,
}

/// An error for the client; `rpc_session` goes into `data` as kurento-jsonrpc does.
pub fn error(code: Code, message: impl Into<String>, rpc_session: Option<&str>) -> RpcError {
    RpcError {
        code: code as i64,
        message: message.into(),
        data: rpc_session.map(|session| json!({"sessionId": session})),
    }
}

/// A required string parameter; its absence is `InvalidParams` naming it.
pub fn required_text<'a>(params: &'a Map<String, Value>, name: &str, rpc: Option<&str>) -> Result<&'a str, RpcError> {
    params
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| error(Code::InvalidParams, format!("Parameter '{name}' (a string) is required"), rpc))
}
