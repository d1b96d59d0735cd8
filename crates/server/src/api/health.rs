//! `GET /openvidu/api/health` and `GET /openvidu/api/status`.

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use super::respond::ok_json;
use crate::services::AppState;

/// `UP` when every media node is connected, `UNSTABLE` when some are not, and
/// `DOWN` when none is (or none is registered), as OpenVidu Pro 2.16+ reports it.
pub async fn health(State(state): State<AppState>) -> Response {
    let registry = state.cluster().registry();
    let disconnected: Vec<&str> = registry.nodes().filter(|n| !n.connected).map(|n| n.id.as_str()).collect();
    let status = if registry.is_empty() || disconnected.len() == registry.len() {
        "DOWN"
    } else if disconnected.is_empty() {
        "UP"
    } else {
        "UNSTABLE"
    };
    ok_json(json!({"status": status, "disconnectedMediaNodes": disconnected}))
}

pub async fn status(State(state): State<AppState>) -> Response {
    ok_json(json!(state.status()))
}
