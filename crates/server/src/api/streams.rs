//! `DELETE /sessions/{sessionId}/stream/{streamId}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::error::ApiError;
use super::extract::Ids;
use super::guard::check_id;
use crate::services::AppState;
use crate::session::StoreError;

pub async fn delete(
    State(state): State<AppState>,
    Ids((session_id, stream_id)): Ids<(String, String)>,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    check_id("streamId", &stream_id)?;
    let removed =
        state.try_decide(|conference, now| conference.remove_stream(&session_id, &stream_id, now).map(|o| (o, ())));
    match removed {
        // OpenVidu: 400 when the session does not exist at all, 404 for an unknown stream.
        Err(StoreError::SessionNotFound) => Err(ApiError::Empty(StatusCode::BAD_REQUEST)),
        Err(StoreError::StreamOfIpcam) => Err(ApiError::Empty(StatusCode::METHOD_NOT_ALLOWED)),
        Err(_) => Err(ApiError::Empty(StatusCode::NOT_FOUND)),
        Ok(()) => Ok(super::respond::no_content()),
    }
}
