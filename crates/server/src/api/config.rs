//! `GET /openvidu/api/config` (`/config` in 2.13) and its sub-paths.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::respond::ok_json;
use crate::config::{OPENVIDU_VERSION, config_json, keys};
use crate::services::AppState;

pub async fn all(State(state): State<AppState>) -> Response {
    ok_json(config_json(state.config(), state.public()))
}

pub async fn version() -> &'static str {
    OPENVIDU_VERSION
}

pub async fn public_url(State(state): State<AppState>) -> String {
    state.public().http_url.clone()
}

pub async fn recording(State(state): State<AppState>) -> Response {
    Json(state.config().recording).into_response()
}

pub async fn recording_path(State(state): State<AppState>) -> String {
    state.config().recording_path.display().to_string()
}

pub async fn cdr(State(state): State<AppState>) -> Response {
    Json(state.config().settings.get(keys::OPENVIDU_CDR)).into_response()
}
