//! `GET /openvidu/api/health` and `GET /openvidu/api/status`.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::respond::ok_json;
use super::state::AppState;

/// The master answers, so it is `UP`. Media nodes join the answer
/// (`UNSTABLE`/`DOWN`, `disconnectedMediaNodes`) when the cluster exists.
pub async fn health() -> Response {
    ok_json(json!({"status": "UP", "disconnectedMediaNodes": []}))
}

pub async fn status(State(state): State<AppState>) -> Response {
    ok_json(json!(state.status()))
}
