//! `/recordings`: answered from the recording store; starting a recording needs
//! media nodes and is refused with 501 until the recording service exists.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::Ids;
use super::guard::check_id;
use super::respond::{no_content, ok_json};
use crate::json_fields::Fields;
use crate::openvidu_enums::MediaMode;
use crate::recording::{RecordingProperties, RecordingPropertiesError, RecordingStoreError};
use crate::services::AppState;

fn require_recording_module(state: &AppState) -> Result<(), ApiError> {
    if state.config().recording {
        Ok(())
    } else {
        Err(ApiError::Message(StatusCode::NOT_IMPLEMENTED, "Recording is disabled: set OPENVIDU_RECORDING=true".into()))
    }
}

pub async fn start(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let body = body.ok_or_else(|| ApiError::bad_request("Error in body parameters. Cannot be empty"))?;
    require_recording_module(&state)?;
    let fields = Fields::new(&body);
    let session_id =
        fields.string("session")?.ok_or_else(|| ApiError::bad_request("\"session\" parameter is mandatory"))?;
    // OpenVidu checks the session before the recording properties.
    let defaults = {
        let conference = state.conference();
        let session = conference.store().session(session_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
        if session.props.media_mode != MediaMode::Routed || state.recordings().is_recording(session_id) {
            return Err(ApiError::Empty(StatusCode::CONFLICT));
        }
        if !session.is_active() {
            return Err(ApiError::Empty(StatusCode::NOT_ACCEPTABLE));
        }
        session.props.default_recording.clone()
    };
    let props = RecordingProperties::parse(&fields, Some(&defaults)).map_err(|error| match error {
        RecordingPropertiesError::Invalid(message) => ApiError::bad_request(message),
        RecordingPropertiesError::OutOfRange(message) => ApiError::Message(StatusCode::UNPROCESSABLE_ENTITY, message),
    })?;
    tracing::info!(session = %session_id, ?props, "recording requested");
    Err(ApiError::not_implemented("Starting a recording (needs the recording service)"))
}

pub async fn stop(State(state): State<AppState>, Ids(recording_id): Ids<String>) -> Result<Response, ApiError> {
    require_recording_module(&state)?;
    check_id("recordingId", &recording_id)?;
    let recordings = state.recordings();
    let recording = recordings.get(&recording_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
    if !recordings.is_recording(&recording.session_id) {
        return Err(ApiError::Empty(StatusCode::CONFLICT));
    }
    Err(ApiError::not_implemented("Stopping a recording (needs the recording service)"))
}

pub async fn get(State(state): State<AppState>, Ids(recording_id): Ids<String>) -> Result<Response, ApiError> {
    require_recording_module(&state)?;
    check_id("recordingId", &recording_id)?;
    let recordings = state.recordings();
    let recording = recordings.get(&recording_id).ok_or(ApiError::Empty(StatusCode::NOT_FOUND))?;
    Ok(ok_json(recording.to_json()))
}

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    require_recording_module(&state)?;
    let recordings = state.recordings();
    let items: Vec<_> = recordings.list().map(|r| r.to_json()).collect();
    Ok(ok_json(json!({"count": items.len(), "items": items})))
}

pub async fn delete(State(state): State<AppState>, Ids(recording_id): Ids<String>) -> Result<Response, ApiError> {
    require_recording_module(&state)?;
    check_id("recordingId", &recording_id)?;
    match state.recordings().remove(&recording_id) {
        Ok(_) => Ok(no_content()),
        Err(RecordingStoreError::NotFound) => Err(ApiError::Empty(StatusCode::NOT_FOUND)),
        Err(RecordingStoreError::InProgress) => Err(ApiError::Empty(StatusCode::CONFLICT)),
    }
}
