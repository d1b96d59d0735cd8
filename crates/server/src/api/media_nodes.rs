//! The media node operations: `/openvidu/api/media-nodes[/<id>]` (`/pro/media-nodes` in 2.13–2.15).

use axum::http::StatusCode;

use super::error::ApiError;

fn not_built() -> ApiError {
    ApiError::Message(StatusCode::NOT_IMPLEMENTED, "The media node API is not built yet".into())
}

pub async fn list() -> ApiError {
    not_built()
}

pub async fn get() -> ApiError {
    not_built()
}

pub async fn add() -> ApiError {
    not_built()
}

pub async fn discover() -> ApiError {
    not_built()
}

pub async fn remove() -> ApiError {
    not_built()
}

pub async fn modify() -> ApiError {
    not_built()
}
