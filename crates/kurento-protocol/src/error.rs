//! Error codes of the Kurento protocol and the JSON-RPC error object.
//!
//! Clients key on the numeric code (the Java client's reconnection logic on
//! 40007, the JS client's exception classes on 401xx), so the codes and their
//! `data.type` names follow Kurento Media Server exactly.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A JSON-RPC 2.0 error object: `{code, message, data?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

macro_rules! error_codes {
    ($($variant:ident = $code:literal),+ $(,)?) => {
        /// Kurento's error codes; `data.type` carries the variant's name in SCREAMING_SNAKE_CASE.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode { $($variant),+ }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            pub fn code(self) -> i64 {
                match self { $(ErrorCode::$variant => $code),+ }
            }

            pub fn from_code(code: i64) -> Option<Self> {
                match code { $($code => Some(ErrorCode::$variant),)+ _ => None }
            }
        }
    };
}

error_codes! {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    InternalError = -32603,
    ServerError = -32000,
    MarshallError = 40001,
    UnexpectedError = 40003,
    ConnectError = 40004,
    UnsupportedMediaType = 40005,
    NotImplemented = 40006,
    InvalidSession = 40007,
    MalformedTransaction = 40008,
    NotEnoughResources = 40009,
    MediaObjectTypeNotFound = 40100,
    MediaObjectNotFound = 40101,
    MediaObjectConstructorNotFound = 40104,
    MediaObjectMethodNotFound = 40105,
    MediaObjectEventNotSupported = 40106,
    MediaObjectIllegalParamError = 40107,
    MediaObjectNotAvailable = 40108,
    MediaObjectNotFoundTransactionNoCommit = 40109,
    MediaObjectTagKeyNotFound = 40110,
    MediaObjectOperationNotSupported = 40111,
    SdpCreateError = 40200,
    SdpParseError = 40201,
    SdpEndPointNoLocalSdpError = 40202,
    SdpEndPointNoRemoteSdpError = 40203,
    SdpEndPointGenerateOfferError = 40204,
    SdpEndPointProcessOfferError = 40205,
    SdpEndPointProcessAnswerError = 40206,
    SdpConfigurationError = 40207,
    SdpEndPointAlreadyNegotiated = 40208,
    SdpEndPointNotOfferGenerated = 40209,
    SdpEndPointAnswerAlreadyProccesed = 40210,
    SdpEndPointCannotCreateSesson = 40211,
    IceGatherCandidatesError = 40400,
    IceAddCandidateError = 40401,
    ServerManagerErrorKmdNotFound = 40500,
}

impl ErrorCode {
    /// The `data.type` name, as Kurento writes it (`MEDIA_OBJECT_NOT_FOUND`).
    pub fn type_name(self) -> String {
        let debug = format!("{self:?}");
        let mut name = String::with_capacity(debug.len() + 8);
        for (i, c) in debug.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_uppercase());
        }
        name
    }

    /// Whether this is a JSON-RPC framework error, which carries no `data.type`
    /// (except INVALID_PARAMS, which Kurento does annotate).
    fn is_framework(self) -> bool {
        self.code() < 0 && self != ErrorCode::InvalidParams
    }
}

impl RpcError {
    /// An error with Kurento's `data: {type}` annotation where Kurento adds one.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        let data = (!code.is_framework()).then(|| json!({"type": code.type_name()}));
        Self { code: code.code(), message: message.into(), data }
    }

    /// 40001 in Kurento's wording for a missing or mistyped parameter:
    /// `'<param>' parameter should be a <type>`.
    pub fn marshall(param: &str, expected: &str) -> Self {
        Self::new(ErrorCode::MarshallError, format!("'{param}' parameter should be a {expected}"))
    }

    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_kurento() {
        assert_eq!(ErrorCode::MediaObjectNotFound.type_name(), "MEDIA_OBJECT_NOT_FOUND");
        assert_eq!(ErrorCode::InvalidSession.type_name(), "INVALID_SESSION");
        assert_eq!(ErrorCode::SdpEndPointAnswerAlreadyProccesed.type_name(), "SDP_END_POINT_ANSWER_ALREADY_PROCCESED");
        assert_eq!(ErrorCode::InvalidParams.type_name(), "INVALID_PARAMS");
    }

    #[test]
    fn codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.code()), Some(*code));
        }
    }

    #[test]
    fn error_objects_have_kurento_shape() {
        let error = RpcError::new(ErrorCode::MediaObjectNotFound, "Object 'x' not found");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            json!({"code": 40101, "message": "Object 'x' not found", "data": {"type": "MEDIA_OBJECT_NOT_FOUND"}})
        );
        let framework = RpcError::new(ErrorCode::MethodNotFound, "Method not found.");
        assert_eq!(serde_json::to_value(&framework).unwrap(), json!({"code": -32601, "message": "Method not found."}));
        let params = RpcError::new(ErrorCode::InvalidParams, "'params' is required");
        assert_eq!(params.data, Some(json!({"type": "INVALID_PARAMS"})));
    }
}
