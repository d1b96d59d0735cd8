//! `POST /openvidu/api/restart` (`/pro/restart` in 2.13–2.15).
//!
//! The body is a JSON object of configuration properties; missing ones keep
//! their value. Every property is checked (name, restartability, type, range)
//! and then the combined configuration (cross-property rules); any problem is a
//! 400 naming the property, and nothing changes. Accepted values are written to
//! the config file atomically, keeping its comments and other lines, and the
//! master restarts its services in place on the same socket: `GET
//! /openvidu/api/status` shows `restartCounter` one higher by the time this
//! answers 200. Live sessions are closed by the restart (reason
//! `openviduServerStopped`), as OpenVidu closes them when it restarts.

use std::io::ErrorKind;
use std::path::PathBuf;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::body::JsonBody;
use super::error::ApiError;
use super::respond::ok_json;
use crate::config::{PlanError, parse_restart_body, plan_restart, write_atomically};
use crate::services::AppState;

pub async fn restart(State(state): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let changes = parse_restart_body(&body.unwrap_or_default())
        .map_err(|errors| ApiError::bad_request(format!("Invalid restart request: {}", errors.join("; "))))?;
    let stopping = || ApiError::Message(StatusCode::SERVICE_UNAVAILABLE, "The server is stopping".into());
    let restarter = state.restarter().ok_or_else(stopping)?;
    let turn = restarter.begin().await.ok_or_else(stopping)?;
    // Another restart may have finished while this request waited: plan against the services running now.
    let current = turn.current().ok_or_else(stopping)?;
    let config = current.config();

    let path = config.config_file.clone();
    let file_text = match &path {
        Some(path) => Some(read_config_file(path.clone()).await?),
        None => None,
    };
    let plan =
        plan_restart(config, path.as_deref().zip(file_text.as_deref()), &changes).map_err(|error| match error {
            PlanError::Request(errors) => {
                ApiError::bad_request(format!("Invalid restart request: {}", errors.join("; ")))
            }
            PlanError::File(problem) => internal(format!("Cannot restart: {problem}")),
        })?;
    // A directory the new configuration cannot have is refused before anything is written.
    crate::services::ensure_directories(&plan.config)
        .map_err(|error| ApiError::bad_request(format!("Invalid restart request: {error}")))?;
    let mut warnings = plan.warnings;
    match (&path, plan.file_text) {
        // Nothing to write: the restart only reloads (and does not create an empty file).
        (Some(_), Some(text)) if Some(&text) == file_text.as_ref() => {}
        (Some(path), Some(text)) => {
            let target = path.clone();
            tokio::task::spawn_blocking(move || write_atomically(&target, text.as_bytes()))
                .await
                .map_err(|join| internal(format!("Cannot write config file {}: {join}", path.display())))?
                .map_err(|error| internal(format!("Cannot write config file {}: {error}", path.display())))?;
        }
        _ => warnings.push(
            "The master runs without a config file: the new values are active until the process stops".to_string(),
        ),
    }
    for warning in &warnings {
        tracing::warn!("restart: {warning}");
    }
    let names: Vec<&str> = changes.iter().map(|change| change.name()).collect();
    tracing::info!(properties = ?names, config_file = ?path, "restarting the master's services");
    let status = turn
        .restart(plan.config)
        .map_err(|problem| ApiError::Message(StatusCode::SERVICE_UNAVAILABLE, format!("Cannot restart: {problem}")))?;
    Ok(ok_json(json!({
        "restartCounter": status.restart_counter,
        "lastRestartTime": status.last_restart_time,
        "configFile": path.map(|p| p.display().to_string()),
        "properties": names,
        "warnings": warnings,
    })))
}

/// The config file's text; a file that does not exist yet is empty (the restart creates it).
async fn read_config_file(path: PathBuf) -> Result<String, ApiError> {
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(internal(format!("Cannot read config file {}: {error}", path.display()))),
    }
}

fn internal(message: String) -> ApiError {
    ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, message)
}
