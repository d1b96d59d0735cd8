//! `POST /tokens`, the deprecated (but still used) way to create a connection,
//! and the token URL that the 2.13-2.15 path family hands out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::Family;
use super::legacy_token::token_query;
use super::respond::ok_json;
use crate::clock::now_ms;
use crate::json_fields::Fields;
use crate::services::AppState;
use crate::session::ConnectionProperties;

pub async fn create(
    State(state): State<AppState>,
    family: Family,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut body = body.ok_or_else(|| ApiError::bad_request("Error in body parameters. Cannot be empty"))?;
    let session_id = Fields::new(&body)
        .string("session")?
        .ok_or_else(|| ApiError::bad_request("\"session\" parameter is mandatory"))?
        .to_string();
    let not_found = || ApiError::Message(StatusCode::NOT_FOUND, format!("Session {session_id} not found"));
    let named = {
        let conference = state.conference();
        conference.store().session(&session_id).ok_or_else(not_found)?.props.media_node.clone()
    };
    // Tokens are always WebRTC and always recorded, as in OpenVidu 2.32.
    body.remove("record");
    if matches!(body.get("type"), Some(Value::String(t)) if t == "IPCAM") {
        return Err(ApiError::bad_request(
            "Tokens are for WEBRTC connections; create IP cameras with POST .../connection",
        ));
    }
    let props = ConnectionProperties::parse(&Fields::new(&body), &state.connection_defaults())?;
    super::capacity::ensure(&state, named.as_deref()).await?;
    let mut conference = state.conference();
    let connection = conference
        .create_connection(&session_id, props, &state.public().ws_url, now_ms(), token_query(family))
        .map_err(|_| not_found())?;
    tracing::info!(session = %session_id, connection = %connection.id, "token created");
    Ok(ok_json(connection.token_json().expect("WebRTC connections have tokens")))
}
