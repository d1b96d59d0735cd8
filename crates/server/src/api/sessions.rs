//! `/sessions` and `/sessions/{sessionId}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::{Family, Ids, QueryParams};
use super::guard::check_id;
use super::respond::{Page, json_bytes, no_content, ok_json};
use crate::json_fields::Fields;
use crate::services::AppState;
use crate::session::{SessionProperties, SessionView, StoreError};

pub async fn create(
    State(state): State<AppState>,
    family: Family,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let props = SessionProperties::parse(&fields, state.session_defaults())?;
    let view = SessionView { legacy_keys: family.is_legacy(), ..SessionView::default() };
    let created = state.try_decide(|conference, now| {
        let (id, outcome) = conference.create_session(props, now)?;
        // Serialized, not cached: most sessions created are never read back, and a cached
        // copy each would cost memory (bench/rest.sh).
        let response = conference.store().session(&id).map(|s| ok_json(s.json(view)));
        Ok::<_, StoreError>((outcome, response))
    });
    match created {
        Ok(Some(response)) => Ok(response),
        Ok(None) => Err(ApiError::Empty(StatusCode::NOT_FOUND)),
        Err(StoreError::SessionExists) => Err(ApiError::Empty(StatusCode::CONFLICT)),
        Err(other) => Err(ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())),
    }
}

pub async fn list(State(state): State<AppState>, family: Family, flags: QueryParams) -> Result<Response, ApiError> {
    let view = view(family, &flags)?;
    let conference = state.conference();
    Ok(ok_json(Page::new(conference.store().sessions().map(|s| s.json(view)).collect())))
}

pub async fn get(
    State(state): State<AppState>,
    family: Family,
    Ids(session_id): Ids<String>,
    flags: QueryParams,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    let view = view(family, &flags)?;
    let conference = state.conference();
    let session = conference.store().session(&session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
    Ok(json_bytes(session.json_bytes(view)))
}

fn view(family: Family, flags: &QueryParams) -> Result<SessionView, ApiError> {
    Ok(SessionView {
        pending_connections: flags.get("pendingConnections", false)?,
        webrtc_stats: flags.get("webRtcStats", false)?,
        legacy_keys: family.is_legacy(),
    })
}

pub async fn delete(State(state): State<AppState>, Ids(session_id): Ids<String>) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    state
        .try_decide(|conference, now| conference.delete_session(&session_id, now).map(|outcome| (outcome, ())))
        .map_err(|_| ApiError::Empty(StatusCode::NOT_FOUND))?;
    Ok(no_content())
}
