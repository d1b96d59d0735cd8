//! Connections and tokens are only handed out when a media node can host
//! the session: a token that cannot join would only fail later, in the browser.

use axum::http::StatusCode;

use super::error::ApiError;
use crate::cluster::placement::PlacementError;
use crate::services::AppState;

/// `503` when no node is running and connected (or the session's named node is not).
pub async fn ensure(state: &AppState, named: Option<&str>) -> Result<(), ApiError> {
    state.cluster().ensure_capacity(named).await.map_err(|error| {
        let hint = match error {
            PlacementError::NoNodeAvailable => "; add one with POST /openvidu/api/media-nodes, or list it in KMS_URIS",
            _ => "",
        };
        ApiError::Message(StatusCode::SERVICE_UNAVAILABLE, format!("Cannot create a connection: {error}{hint}"))
    })
}
