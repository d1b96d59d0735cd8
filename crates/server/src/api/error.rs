//! Errors of the REST API, mapped to HTTP in one place.
//!
//! OpenVidu answers many 4xx with an empty body and others with a Spring-style
//! JSON body `{timestamp, status, error, message, path}`. A handler only says
//! which; [`with_error_body`], called by the front door, writes the body,
//! because only the middleware knows the request path the body must name.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::clock::now_ms;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// A status with an empty body, where OpenVidu sends one.
    Empty(StatusCode),
    /// A status with the JSON error body.
    Message(StatusCode, String),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Message(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn not_implemented(feature: &str) -> Self {
        Self::Message(StatusCode::NOT_IMPLEMENTED, format!("{feature} is not implemented in this version of Plenum"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Empty(status) | Self::Message(status, _) => *status,
        }
    }
}

impl From<crate::json_fields::BadField> for ApiError {
    fn from(bad: crate::json_fields::BadField) -> Self {
        Self::bad_request(bad.0)
    }
}

/// Carried from the handler to [`fill_error_bodies`].
#[derive(Clone)]
struct PendingErrorBody(String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Empty(status) => status.into_response(),
            Self::Message(status, message) => {
                let mut response = status.into_response();
                if status == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"OpenVidu\""));
                }
                response.extensions_mut().insert(PendingErrorBody(message));
                response
            }
        }
    }
}

/// Writes the JSON body of an [`ApiError::Message`] response (naming the
/// request path) and logs the rejection; other responses pass unchanged.
pub fn with_error_body(mut response: Response, method: &Method, path: &str) -> Response {
    let Some(PendingErrorBody(message)) = response.extensions_mut().remove::<PendingErrorBody>() else {
        return response;
    };
    let status = response.status();
    tracing::warn!(%method, %path, status = status.as_u16(), %message, "request rejected");
    let body = json!({
        "timestamp": now_ms(),
        "status": status.as_u16(),
        "error": status.canonical_reason().unwrap_or(""),
        "message": message,
        "path": path,
    });
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body.to_string()))
}
