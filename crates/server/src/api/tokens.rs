//! `POST /tokens`, the deprecated (but still used) way to create a connection.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::body::JsonBody;
use super::error::ApiError;
use super::respond::ok_json;
use super::state::AppState;
use crate::clock::now_ms;
use crate::fields::Fields;
use crate::session::ConnectionProperties;
use crate::wire::ConnectionType;

pub async fn create(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let mut body = body.ok_or_else(|| ApiError::bad_request("Error in body parameters. Cannot be empty"))?;
    let session_id = Fields::new(&body)
        .string("session")?
        .ok_or_else(|| ApiError::bad_request("\"session\" parameter is mandatory"))?
        .to_string();
    if state.sessions().session(&session_id).is_none() {
        return Err(ApiError::Message(StatusCode::NOT_FOUND, format!("Session {session_id} not found")));
    }
    // Tokens are always WebRTC and always recorded, as in OpenVidu 2.32.
    body.remove("record");
    if matches!(body.get("type"), Some(Value::String(t)) if t == "IPCAM") {
        return Err(ApiError::bad_request(
            "Tokens are for WEBRTC connections; create IP cameras with POST .../connection",
        ));
    }
    let props = ConnectionProperties::parse(&Fields::new(&body), &state.connection_defaults())?;
    debug_assert_eq!(props.kind, ConnectionType::Webrtc);
    let mut sessions = state.sessions();
    let connection = sessions
        .create_connection(&session_id, props, &state.public().ws_url, now_ms())
        .map_err(|_| ApiError::Message(StatusCode::NOT_FOUND, format!("Session {session_id} not found")))?;
    let token = connection.token.as_ref().expect("WebRTC connections have tokens");
    let mut json = Map::new();
    json.insert("id".into(), token.url.clone().into());
    json.insert("token".into(), token.url.clone().into());
    json.insert("connectionId".into(), connection.id.clone().into());
    json.insert("createdAt".into(), connection.created_at.into());
    json.insert("session".into(), session_id.clone().into());
    json.insert("role".into(), json!(connection.props.role));
    json.insert("data".into(), connection.props.data.clone().into());
    if let Some(options) = &connection.props.kurento_options {
        json.insert("kurentoOptions".into(), json!(options));
    }
    tracing::info!(session = %session_id, connection = %connection.id, "token created");
    Ok(ok_json(Value::Object(json)))
}
