//! `GET /openvidu/api/health` and `GET /openvidu/api/status`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::respond::ok_json;
use crate::services::AppState;

/// `UP` (200) when every media node is connected, `UNSTABLE` (409) when some are not,
/// and `DOWN` (503) when none is (or none is registered), as OpenVidu Pro 2.16+ answers.
/// Orchestrators should probe `/plenum/live` and `/plenum/ready` instead (`probes`).
pub async fn health(State(state): State<AppState>) -> Response {
    let registry = state.cluster().registry();
    let disconnected: Vec<&str> = registry.nodes().filter(|n| !n.connected).map(|n| n.id.as_str()).collect();
    let (code, status) = if registry.is_empty() || disconnected.len() == registry.len() {
        (StatusCode::SERVICE_UNAVAILABLE, "DOWN")
    } else if disconnected.is_empty() {
        (StatusCode::OK, "UP")
    } else {
        (StatusCode::CONFLICT, "UNSTABLE")
    };
    (code, ok_json(json!({"status": status, "disconnectedMediaNodes": disconnected}))).into_response()
}

pub async fn status(State(state): State<AppState>) -> Response {
    ok_json(json!(state.status()))
}
