//! `POST /signal`: a message from the application server to participants.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::body::JsonBody;
use super::error::ApiError;
use crate::conference::SignalMessage;
use crate::json_fields::Fields;
use crate::services::AppState;
use crate::session::StoreError;

/// A validated signal request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    pub session: String,
    pub to: Vec<String>,
    pub kind: Option<String>,
    pub data: Option<String>,
}

impl Signal {
    pub fn parse(fields: &Fields) -> Result<Self, ApiError> {
        let session = fields.string("session")?;
        let to = fields.strings("to")?.unwrap_or_default();
        let kind = fields.string("type")?.map(str::to_string);
        let data = fields.string("data")?.map(str::to_string);
        let session = session.ok_or_else(|| ApiError::bad_request("\"session\" parameter is mandatory"))?.to_string();
        Ok(Self { session, to, kind, data })
    }
}

pub async fn send(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let body = body.ok_or_else(|| ApiError::bad_request("Error in body parameters. Cannot be empty"))?;
    let signal = Signal::parse(&Fields::new(&body))?;
    let message = SignalMessage {
        to: signal.to.clone(),
        kind: signal.kind.clone().map(serde_json::Value::String),
        data: signal.data.clone().map(serde_json::Value::String),
    };
    let sent = state.try_decide(|conference, now| {
        conference.rest_signal(&signal.session, message, now).map(|(targets, outcome)| (outcome, targets))
    });
    let targets = sent.map_err(|error| match error {
        StoreError::SessionNotFound => ApiError::Empty(StatusCode::NOT_FOUND),
        StoreError::SessionNotActive => ApiError::Empty(StatusCode::NOT_ACCEPTABLE),
        StoreError::UnknownSignalTarget(index) => ApiError::Message(
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "\"to\" array has no valid connection identifiers: '{}' is not an active connection",
                signal.to[index]
            ),
        ),
        other => ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    })?;
    tracing::info!(session = %signal.session, targets = targets.len(), "signal sent");
    Ok(axum::http::StatusCode::OK.into_response())
}
