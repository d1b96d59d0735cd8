//! Success responses.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// 200 with a JSON body, serialized straight from `value` into a buffer sized
/// for a typical Session object, so it is rarely grown.
pub fn ok_json(value: impl Serialize) -> Response {
    let mut body = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut body, &value) {
        Ok(()) => ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot serialize a response");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// 200 with JSON already serialized.
pub fn json_bytes(body: bytes::Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `{numberOfElements, content}`, OpenVidu's list envelope.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    number_of_elements: usize,
    content: Vec<T>,
}

impl<T> Page<T> {
    pub fn new(content: Vec<T>) -> Self {
        Self { number_of_elements: content.len(), content }
    }
}
