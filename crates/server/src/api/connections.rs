//! `/sessions/{sessionId}/connection[/{connectionId}]`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::{Family, Flags, Ids};
use super::guard::check_id;
use super::legacy_token::token_query;
use super::respond::{Page, no_content, ok_json};
use super::state::AppState;
use crate::clock::now_ms;
use crate::fields::Fields;
use crate::session::{ConnectionProperties, ConnectionUpdate, StoreError};
use crate::wire::ConnectionType;
use crate::wire::WireEnum;

pub async fn create(
    State(state): State<AppState>,
    Ids(session_id): Ids<String>,
    family: Family,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    // OpenVidu answers an unknown session (404) before it looks at the body (400).
    let named = {
        let sessions = state.sessions();
        let session = sessions.session(&session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
        session.props.media_node.clone()
    };
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let props = ConnectionProperties::parse(&fields, &state.connection_defaults())?;
    if props.kind == ConnectionType::Ipcam {
        return Err(ApiError::not_implemented("IP camera connections (type IPCAM)"));
    }
    super::capacity::ensure(&state, named.as_deref()).await?;
    let mut sessions = state.sessions();
    let connection = sessions
        .create_connection_with_query(&session_id, props, &state.public().ws_url, now_ms(), token_query(family))
        .map_err(|_| ApiError::Empty(StatusCode::NOT_FOUND))?;
    tracing::info!(session = %session_id, connection = %connection.id, "connection created");
    Ok(ok_json(connection.json(false)))
}

pub async fn list(
    State(state): State<AppState>,
    Ids(session_id): Ids<String>,
    flags: Flags,
) -> Result<Response, ApiError> {
    check_id("sessionId", &session_id)?;
    let pending = flags.get("pendingConnections", true)?;
    let stats = flags.get("webRtcStats", false)?;
    let sessions = state.sessions();
    let session = sessions.session(&session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
    let content = session.connections.values().filter(|c| pending || c.is_active()).map(|c| c.json(stats)).collect();
    Ok(ok_json(Page::new(content)))
}

pub async fn get(
    State(state): State<AppState>,
    Ids((session_id, connection_id)): Ids<(String, String)>,
) -> Result<Response, ApiError> {
    check_ids(&session_id, &connection_id)?;
    let sessions = state.sessions();
    // OpenVidu answers a missing session with 400 here, and a missing connection with 404.
    let connection = sessions.connection(&session_id, &connection_id).map_err(missing_session_is_400)?;
    Ok(ok_json(connection.json(false)))
}

pub async fn update(
    State(state): State<AppState>,
    Ids((session_id, connection_id)): Ids<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check_ids(&session_id, &connection_id)?;
    let mut sessions = state.sessions();
    let before =
        sessions.connection(&session_id, &connection_id).map_err(|_| ApiError::Empty(StatusCode::NOT_FOUND))?;
    let (old_role, old_record) = (before.props.role, before.props.record);
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let update = ConnectionUpdate::parse(&fields)?;
    let (connection, changed) = sessions
        .update_connection(&session_id, &connection_id, &update)
        .map_err(|_| ApiError::Empty(StatusCode::NOT_FOUND))?;
    let response = ok_json(connection.json(false));
    let mut notices = Vec::new();
    if connection.is_active() {
        if let Some(role) = connection.props.role.filter(|r| Some(*r) != old_role) {
            notices.push(serde_json::json!({"property": "role", "newValue": role.as_str()}));
        }
        if connection.props.record != old_record {
            notices.push(serde_json::json!({"property": "record", "newValue": connection.props.record}));
        }
    }
    drop(sessions);
    // The client is told of its own changes (OpenVidu Pro's connectionPropertyChanged).
    for notice in notices {
        state.signaling().notify(
            &session_id,
            Some(std::slice::from_ref(&connection_id)),
            "connectionPropertyChanged",
            &notice,
        );
    }
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
    let active = state.sessions().connection(&session_id, &connection_id).map_err(missing_session_is_400)?.is_active();
    if active {
        crate::signaling::methods::evict(&state, &session_id, &connection_id, "forceDisconnectByServer");
    } else {
        state.sessions().remove_connection(&session_id, &connection_id).map_err(missing_session_is_400)?;
        tracing::info!(session = %session_id, connection = %connection_id, "pending connection removed, token invalidated");
    }
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
