//! The media node operations: `/openvidu/api/media-nodes[/<id>]` (`/pro/media-nodes` in 2.13–2.15).
//! Thin: the rules are in [`crate::cluster`].

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::body::JsonBody;
use super::error::ApiError;
use super::extract::{Ids, QueryParams};
use super::guard::check_id;
use super::respond::{json_bytes, no_content, ok_json};
use crate::cluster::deletion::{DeletionStrategy, Removal};
use crate::cluster::node::{Extras, MediaNode};
use crate::cluster::registry::RegistryError;
use crate::cluster::service::{AddError, DiscoverError, LaunchFailure, RetireError};
use crate::cluster::status::NodeStatus;
use crate::events::EndReason;
use crate::json_fields::Fields;
use crate::openvidu_enums::WireEnum;
use crate::services::AppState;
use crate::session::SessionView;

fn ensure_enabled(state: &AppState) -> Result<(), ApiError> {
    if state.cluster().enabled() {
        Ok(())
    } else {
        Err(ApiError::Message(
            StatusCode::NOT_IMPLEMENTED,
            "The media node API is off: OPENVIDU_PRO_CLUSTER is false".into(),
        ))
    }
}

fn registry_error(error: RegistryError) -> ApiError {
    match error {
        RegistryError::NotFound(id) => ApiError::Message(StatusCode::NOT_FOUND, format!("Media node '{id}' not found")),
        RegistryError::Duplicate { uri, id } => {
            ApiError::Message(StatusCode::CONFLICT, format!("Media node {uri} is registered already as {id}"))
        }
        RegistryError::Busy { id, sessions } => ApiError::Message(
            StatusCode::CONFLICT,
            format!("Media node '{id}' hosts {sessions} session(s); use deletion-strategy now or when-no-sessions"),
        ),
        RegistryError::Refused(why) => ApiError::bad_request(why),
    }
}

/// One node's JSON with what the query asked for, serialized. Hosted sessions are
/// spliced in from their cached serialized form: building them as a `Value` tree
/// cost 10-17 times more at 10,000 sessions (bench/cluster.sh).
async fn node_json(state: &AppState, node: MediaNode, flags: &QueryParams) -> Result<Vec<u8>, ApiError> {
    let with_sessions = flags.get("sessions", false)?;
    let mut extras = Extras::default();
    if flags.get("recordings", false)? {
        let hosted = state.cluster().registry().sessions_of(&node.id);
        extras.recording_ids = Some(state.recordings().in_progress_of(&hosted));
    }
    if flags.get("extra-info", false)? {
        extras.kurento_info = Some(state.cluster().kurento_info(&node.id).await.unwrap_or(Value::Null));
    }
    flags.get("load", false)?;
    let mut body = serde_json::to_vec(&node.json(extras)).expect("node JSON serializes");
    if with_sessions {
        let hosted = state.cluster().registry().sessions_of(&node.id);
        let conference = state.conference();
        body.pop(); // the closing brace
        body.extend_from_slice(b",\"sessions\":[");
        for (index, session) in hosted.iter().filter_map(|id| conference.store().session(id)).enumerate() {
            if index > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&session.json_bytes(SessionView::default()));
        }
        body.extend_from_slice(b"]}");
    }
    Ok(body)
}

pub async fn list(State(state): State<AppState>, flags: QueryParams) -> Result<Response, ApiError> {
    ensure_enabled(&state)?;
    let nodes: Vec<MediaNode> = state.cluster().registry().nodes().cloned().collect();
    let mut body = format!("{{\"numberOfElements\":{},\"content\":[", nodes.len()).into_bytes();
    for (index, node) in nodes.into_iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&node_json(&state, node, &flags).await?);
    }
    body.extend_from_slice(b"]}");
    Ok(json_bytes(body.into()))
}

pub async fn get(
    State(state): State<AppState>,
    Ids(node_id): Ids<String>,
    flags: QueryParams,
) -> Result<Response, ApiError> {
    ensure_enabled(&state)?;
    check_id("mediaNodeId", &node_id)?;
    let node = state.cluster().registry().get(&node_id).cloned().map_err(registry_error)?;
    Ok(json_bytes(node_json(&state, node, &flags).await?.into()))
}

pub async fn add(
    State(state): State<AppState>,
    flags: QueryParams,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    ensure_enabled(&state)?;
    let wait = flags.get("wait", false)?;
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let environment_id = fields.string("environmentId")?.map(str::to_string);
    let uri = fields.string("uri")?;
    if state.cluster().settings().auto_mode {
        // In auto mode a node is launched; a given `uri` is ignored, as in OpenVidu.
        return match state.cluster().launch(wait).await {
            Ok(node) => Ok(ok_json(node.json(Extras::default()))),
            Err(LaunchFailure::NoLauncher) => Err(ApiError::not_implemented("Launching media nodes here")),
            Err(error) => Err(ApiError::Message(StatusCode::BAD_GATEWAY, error.to_string())),
        };
    }
    let Some(uri) = uri else {
        return Err(ApiError::Message(
            StatusCode::NOT_IMPLEMENTED,
            "In manual mode a media node is added by its URI: {\"uri\": \"ws://host:8888/kurento\"}".into(),
        ));
    };
    let parsed = url::Url::parse(uri)
        .ok()
        .filter(|u| matches!(u.scheme(), "ws" | "wss") && u.host_str().is_some())
        .ok_or_else(|| ApiError::bad_request(format!("'uri' must be a ws:// or wss:// URL, got '{uri}'")))?;
    if let Some(env) = &environment_id {
        check_id("environmentId", env)?;
    }
    match state.cluster().add_uri(&parsed, environment_id).await {
        Ok(node) => Ok(ok_json(node.json(Extras::default()))),
        Err(error @ AddError::Duplicate { .. }) => Err(ApiError::Message(StatusCode::CONFLICT, error.to_string())),
        Err(error @ AddError::Unreachable { .. }) => Err(ApiError::Message(StatusCode::NOT_FOUND, error.to_string())),
    }
}

/// `PUT`: autodiscovery; the newly found nodes come back. 405 when there is no way to discover.
pub async fn discover(State(state): State<AppState>) -> Result<Response, ApiError> {
    ensure_enabled(&state)?;
    match state.cluster().discover().await {
        Ok(added) => {
            let content: Vec<Value> = added.iter().map(|n| n.json(Extras::default())).collect();
            Ok(ok_json(json!({"numberOfElements": content.len(), "content": content})))
        }
        Err(error @ DiscoverError::NotPossible(_)) => {
            Err(ApiError::Message(StatusCode::METHOD_NOT_ALLOWED, error.to_string()))
        }
        Err(error) => Err(ApiError::Message(StatusCode::BAD_GATEWAY, error.to_string())),
    }
}

fn retire_error(error: RetireError) -> ApiError {
    match error {
        RetireError::Registry(error) => registry_error(error),
        RetireError::Terminate(error) => ApiError::Message(StatusCode::BAD_GATEWAY, error.to_string()),
    }
}

/// Closes the sessions a removed node hosted (reason `mediaServerDisconnect`).
fn close_sessions(state: &AppState, sessions: Vec<String>) {
    state.decide(|conference, now| (conference.close_sessions(&sessions, EndReason::MediaServerDisconnect, now), ()));
}

pub async fn remove(
    State(state): State<AppState>,
    uri: Uri,
    Ids(node_id): Ids<String>,
    flags: QueryParams,
) -> Result<Response, ApiError> {
    ensure_enabled(&state)?;
    check_id("mediaNodeId", &node_id)?;
    let wait = flags.get("wait", false)?;
    let strategy = match flags.text("deletion-strategy") {
        None => DeletionStrategy::IfNoSessions,
        Some(text) => DeletionStrategy::parse(&text).ok_or_else(|| {
            ApiError::bad_request(format!("'deletion-strategy' must be {}, got '{text}'", DeletionStrategy::allowed()))
        })?,
    };
    let cluster = state.cluster();
    let plan = cluster.registry().plan_removal(&node_id, strategy).map_err(registry_error)?;
    match plan {
        Removal::Idle => {
            // A session placed since the plan was made goes with the node.
            let sessions = cluster.retire(&node_id).await.map_err(retire_error)?;
            close_sessions(&state, sessions);
            Ok(no_content())
        }
        Removal::WithSessions => {
            let node = cluster.registry().get(&node_id).cloned().map_err(registry_error)?;
            let sessions = cluster.retire(&node_id).await.map_err(retire_error)?;
            close_sessions(&state, sessions);
            // The 2.13-2.15 Pro page lists 204 for a removed node; 2.16+ answers 200 with its record.
            if wait || uri.path().starts_with("/pro/") {
                Ok(no_content())
            } else {
                let mut node = node;
                node.status = NodeStatus::Terminating;
                Ok(ok_json(node.json(Extras::default())))
            }
        }
        Removal::Drain => {
            let change = cluster
                .registry()
                .request_status(&node_id, NodeStatus::WaitingIdleToTerminate, crate::clock::now_ms())
                .map_err(registry_error)?;
            cluster.publish(change.into_iter().collect());
            let node = cluster.registry().get(&node_id).cloned().map_err(registry_error)?;
            Ok((StatusCode::ACCEPTED, axum::Json(node.json(Extras::default()))).into_response())
        }
    }
}

pub async fn modify(
    State(state): State<AppState>,
    Ids(node_id): Ids<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    ensure_enabled(&state)?;
    check_id("mediaNodeId", &node_id)?;
    let fields = body.as_ref().map_or_else(Fields::empty, Fields::new);
    let wanted = fields.string("status")?.ok_or_else(|| ApiError::bad_request("'status' is required"))?;
    let status = NodeStatus::parse(wanted)
        .ok_or_else(|| ApiError::bad_request(format!("'status' must be a media node status, got '{wanted}'")))?;
    let cluster = state.cluster();
    let change = cluster.registry().request_status(&node_id, status, crate::clock::now_ms()).map_err(registry_error)?;
    let Some(change) = change else { return Ok(no_content()) };
    let node = change.node.clone();
    cluster.publish(vec![change]);
    // On premises, terminating means the node is let go: its sessions close and it is forgotten.
    if status == NodeStatus::Terminating {
        let sessions = cluster.retire(&node_id).await.map_err(retire_error)?;
        close_sessions(&state, sessions);
    }
    Ok(ok_json(node.json(Extras::default())))
}
