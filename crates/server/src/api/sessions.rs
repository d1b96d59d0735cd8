//! `/sessions` and `/sessions/{sessionId}`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::{Family, Flags, Ids};
use super::guard::check_id;
use super::respond::{Page, json_bytes, no_content, ok_json};
use super::state::AppState;
use crate::clock::now_ms;
use crate::fields::Fields;
use crate::session::{SessionProperties, SessionView, StoreError};

pub async fn create(
    State(state): State<AppState>,
    family: Family,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let props = SessionProperties::parse(&fields, state.session_defaults())?;
    let mut sessions = state.sessions();
    match sessions.create_session(props, now_ms()) {
        Ok(session) => {
            tracing::info!(session = %session.id, "session created");
            Ok(ok_json(session.json(SessionView { legacy_keys: family.is_legacy(), ..SessionView::default() })))
        }
        Err(StoreError::SessionExists) => Err(ApiError::Empty(StatusCode::CONFLICT)),
        Err(other) => unreachable!("create_session only fails with SessionExists, got {other:?}"),
    }
}

pub async fn list(State(state): State<AppState>, family: Family, flags: Flags) -> Result<Response, ApiError> {
    let view = view(family, &flags)?;
    let sessions = state.sessions();
    Ok(ok_json(Page::new(sessions.sessions().map(|s| s.json(view)).collect())))
}

pub async fn get(
    State(state): State<AppState>,
    family: Family,
    Ids(session_id): Ids<String>,
    flags: Flags,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    let view = view(family, &flags)?;
    let sessions = state.sessions();
    let session = sessions.session(&session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
    Ok(json_bytes(session.json_bytes(view)))
}

fn view(family: Family, flags: &Flags) -> Result<SessionView, ApiError> {
    Ok(SessionView {
        pending_connections: flags.get("pendingConnections", false)?,
        webrtc_stats: flags.get("webRtcStats", false)?,
        legacy_keys: family.is_legacy(),
    })
}

pub async fn delete(State(state): State<AppState>, Ids(session_id): Ids<String>) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    if state.sessions().session(&session_id).is_none() {
        return Err(ApiError::Empty(StatusCode::NOT_FOUND));
    }
    crate::signaling::methods::close_session(&state, &session_id, "sessionClosedByServer");
    Ok(no_content())
}
