//! `/sessions/{sessionId}/connection[/{connectionId}]`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::{Family, Ids, QueryParams};
use super::guard::check_id;
use super::legacy_token::token_query;
use super::respond::{Page, no_content, ok_json};
use crate::clock::now_ms;
use crate::json_fields::Fields;
use crate::openvidu_enums::ConnectionType;
use crate::services::AppState;
use crate::session::{ConnectionProperties, ConnectionUpdate, StoreError};

pub async fn create(
    State(state): State<AppState>,
    Ids(session_id): Ids<String>,
    family: Family,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    // OpenVidu answers an unknown session (404) before it looks at the body (400).
    let named = {
        let conference = state.conference();
        let session = conference.store().session(&session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
        session.props.media_node.clone()
    };
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let props = ConnectionProperties::parse(&fields, &state.connection_defaults())?;
    if props.kind == ConnectionType::Ipcam {
        return Err(ApiError::not_implemented("IP camera connections (type IPCAM)"));
    }
    super::capacity::ensure(&state, named.as_deref()).await?;
    let mut conference = state.conference();
    let connection = conference
        .create_connection(&session_id, props, &state.public().ws_url, now_ms(), token_query(family))
        .map_err(|_| ApiError::Empty(StatusCode::NOT_FOUND))?;
    tracing::info!(session = %session_id, connection = %connection.id, "connection created");
    Ok(ok_json(connection.json(false)))
}

pub async fn list(
    State(state): State<AppState>,
    Ids(session_id): Ids<String>,
    flags: QueryParams,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    let pending = flags.get("pendingConnections", true)?;
    let stats = flags.get("webRtcStats", false)?;
    let conference = state.conference();
    let session = conference.store().session(&session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
    let content = session.connections.values().filter(|c| pending || c.is_active()).map(|c| c.json(stats)).collect();
    Ok(ok_json(Page::new(content)))
}

pub async fn get(
    State(state): State<AppState>,
    Ids((session_id, connection_id)): Ids<(String, String)>,
) -> Result<Response, ApiError> {
    check_ids(&session_id, &connection_id)?;
    let conference = state.conference();
    // OpenVidu answers a missing session with 400 here, and a missing connection with 404.
    let connection = conference.store().connection(&session_id, &connection_id).map_err(missing_session_is_400)?;
    Ok(ok_json(connection.json(false)))
}

pub async fn update(
    State(state): State<AppState>,
    Ids((session_id, connection_id)): Ids<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_ids(&session_id, &connection_id)?;
    // 404 for a missing session or connection, before the body is looked at.
    if state.conference().store().connection(&session_id, &connection_id).is_err() {
        return Err(ApiError::Empty(StatusCode::NOT_FOUND));
    }
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let update = ConnectionUpdate::parse(&fields)?;
    let (response, changed) = state
        .try_decide(|conference, _| {
            let (connection, changed, outcome) = conference.update_connection(&session_id, &connection_id, &update)?;
            Ok::<_, StoreError>((outcome, (ok_json(connection.json(false)), changed)))
        })
        .map_err(|_| ApiError::Empty(StatusCode::NOT_FOUND))?;
    if changed {
        tracing::info!(session = %session_id, connection = %connection_id, ?update, "connection updated");
    }
    Ok(response)
}

pub async fn delete(
    State(state): State<AppState>,
    Ids((session_id, connection_id)): Ids<(String, String)>,
) -> Result<Response, ApiError> {
    check_ids(&session_id, &connection_id)?;
    state
        .try_decide(|conference, now| conference.delete_connection(&session_id, &connection_id, now).map(|o| (o, ())))
        .map_err(missing_session_is_400)?;
    Ok(no_content())
}

fn check_ids(session_id: &str, connection_id: &str) -> Result<(), ApiError> {
    check_id("sessionId", session_id)?;
    check_id("connectionId", connection_id)
}

fn missing_session_is_400(error: StoreError) -> ApiError {
    match error {
        StoreError::SessionNotFound => ApiError::Empty(StatusCode::BAD_REQUEST),
        _ => ApiError::Empty(StatusCode::NOT_FOUND),
    }
}
