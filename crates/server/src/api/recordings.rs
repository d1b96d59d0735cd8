//! `/recordings`: start and stop through the recording service
//! (`services::recordings`), read and delete through the store; every code of
//! reference §1.2 and §1.5.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::Ids;
use super::guard::check_id;
use super::respond::{no_content, ok_json};
use crate::events::EndReason;
use crate::json_fields::Fields;
use crate::openvidu_enums::MediaMode;
use crate::recording::{RecordingProperties, RecordingPropertiesError, RecordingStoreError};
use crate::services::{AppState, StartFailure, StopFailure};

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
    if state.config().settings.get(crate::config::keys::OPENVIDU_PRO_RECORDING_STORAGE) == "s3" {
        return Err(ApiError::not_implemented("Storing recordings in S3 (OPENVIDU_PRO_RECORDING_STORAGE=s3)"));
    }
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
    if props.custom_layout.is_some() {
        return Err(ApiError::not_implemented("Recording with recordingLayout CUSTOM (custom layouts)"));
    }
    tracing::info!(session = %session_id, ?props, "recording requested");
    match state.start_recording(session_id, props).await {
        Ok(recording) => Ok(ok_json(recording.to_json())),
        Err(StartFailure::NoSession) => Err(ApiError::Empty(StatusCode::NOT_FOUND)),
        Err(StartFailure::NotActive) => Err(ApiError::Empty(StatusCode::NOT_ACCEPTABLE)),
        Err(StartFailure::AlreadyRecording) => Err(ApiError::Empty(StatusCode::CONFLICT)),
        Err(StartFailure::NodeNotRunning(node)) => Err(ApiError::Message(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("Media node {node} of the session is not running"),
        )),
        Err(StartFailure::Failed(message)) => Err(ApiError::Message(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("The recording could not start: {message}"),
        )),
    }
}

pub async fn stop(State(state): State<AppState>, Ids(recording_id): Ids<String>) -> Result<Response, ApiError> {
    require_recording_module(&state)?;
    check_id("recordingId", &recording_id)?;
    match state.stop_recording(&recording_id, EndReason::RecordingStoppedByServer).await {
        Ok(recording) => Ok(ok_json(recording.to_json())),
        Err(StopFailure::NotFound) => Err(ApiError::Empty(StatusCode::NOT_FOUND)),
        Err(StopFailure::Starting) => Err(ApiError::Empty(StatusCode::NOT_ACCEPTABLE)),
        Err(StopFailure::NotInProgress) => Err(ApiError::Empty(StatusCode::CONFLICT)),
    }
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
    match state.delete_recording(&recording_id).await {
        Ok(_) => Ok(no_content()),
        Err(RecordingStoreError::NotFound) => Err(ApiError::Empty(StatusCode::NOT_FOUND)),
        Err(RecordingStoreError::InProgress) => Err(ApiError::Empty(StatusCode::CONFLICT)),
    }
}
