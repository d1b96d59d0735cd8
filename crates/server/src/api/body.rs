//! The JSON body of a request, read leniently about headers and strictly about content.
//!
//! OpenVidu clients do not always send `Content-Type: application/json` (the
//! e2e client sends form encoding on body-less calls, node-client on
//! `stopRecording`), so the body is parsed whatever the header says. An empty
//! body is "no body"; anything else must be one JSON object.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::error::ApiError;
use crate::json_fields::describe;

/// Largest request body accepted; OpenVidu requests are a few kilobytes. This
/// is axum's default limit, which its `Bytes` extractor applies on its own, so
/// no per-request layer is needed to enforce it (the tests check the limit).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub struct JsonBody(pub Option<Map<String, Value>>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Message(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("Request body is larger than the limit of {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::bad_request(format!("Cannot read the request body: {}", rejection.body_text()))
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

pub fn parse(bytes: &[u8]) -> Result<Option<Map<String, Value>>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(other) => {
            Err(ApiError::bad_request(format!("The request body must be a JSON object, got {}", describe(&other))))
        }
        Err(err) => Err(ApiError::bad_request(format!("Malformed JSON in the request body: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_none_and_objects_parse() {
        assert_eq!(parse(b"").unwrap(), None);
        assert_eq!(parse(b"  \n").unwrap(), None);
        assert!(parse(b"{\"a\":1}").unwrap().is_some());
    }

    #[test]
    fn malformed_or_non_object_bodies_are_precise_400s() {
        let ApiError::Message(status, message) = parse(b"{\"a\":").unwrap_err() else { panic!() };
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message.starts_with("Malformed JSON"), "{message}");
        let ApiError::Message(_, message) = parse(b"[1]").unwrap_err() else { panic!() };
        assert_eq!(message, "The request body must be a JSON object, got an array");
    }
}
