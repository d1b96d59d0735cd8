//! Success responses.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub fn ok_json(value: serde_json::Value) -> Response {
    (StatusCode::OK, Json(value)).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
