//! Plenum's own probes for orchestrators, outside OpenVidu's API (which keeps
//! `GET /openvidu/api/health` as OpenVidu answers it). Both are public: a probe
//! has no credentials, and neither says more than whether nodes can take sessions.
//!
//! - `GET /plenum/live`: 200 while the process serves HTTP. It looks at nothing
//!   else on purpose: a lost media node or an unreachable webhook endpoint is not
//!   cured by restarting the master, so it must not fail liveness.
//! - `GET /plenum/ready`: 200 when some media node can host a new session now,
//!   else 503 saying why (no node yet, all lost, draining, …).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::respond::ok_json;
use crate::services::AppState;

pub async fn live() -> Response {
    ok_json(json!({"status": "UP"}))
}

pub async fn ready(State(state): State<AppState>) -> Response {
    let registry = state.cluster().registry();
    match registry.check_placeable(None) {
        Ok(()) => ok_json(json!({"status": "READY"})),
        Err(why) => {
            let nodes: Vec<_> = registry
                .nodes()
                .map(|n| json!({"id": n.id, "status": n.status.to_string(), "connected": n.connected}))
                .collect();
            let body = json!({"status": "NOT_READY", "reason": why.to_string(), "mediaNodes": nodes});
            (StatusCode::SERVICE_UNAVAILABLE, ok_json(body)).into_response()
        }
    }
}
