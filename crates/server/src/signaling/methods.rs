//! What the signaling methods and the REST operations that reach participants
//! do to the session store, the cluster and the hub. Event names, reasons and
//! fields are those of reference §3.4–3.5 and §6.1.

use kurento_protocol::error::RpcError;
use serde_json::{Map, Value, json};

use super::codes::{Code, error, required_text};
use crate::api::AppState;
use crate::clock::now_ms;
use crate::config::OPENVIDU_VERSION;
use crate::session::join::{JoinDetails, JoinError};
use crate::session::{Connection, StoreError};
use crate::wire::WireEnum;

/// The participant's `metadata`: client data and server data joined with `%/%`, empty parts left out.
pub fn metadata(connection: &Connection) -> String {
    let client = connection.participant.as_ref().map(|p| p.client_data.as_str()).unwrap_or("");
    [client, connection.props.data.as_str()].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("%/%")
}

/// The token id of a `joinRoom` token, given as the whole token URL or as the bare id.
pub fn token_id(token: &str) -> String {
    match token.split_once('?') {
        Some((_, query)) => url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default(),
        None => token.to_string(),
    }
}

fn text<'a>(params: &'a Map<String, Value>, name: &str) -> Result<&'a str, RpcError> {
    required_text(params, name, None)
}

/// `joinRoom`: consumes the token, places the session on a media node at its first join,
/// tells the others, and returns the 2.32 result. `rpc` is the socket's rpc session id.
pub fn join_room(state: &AppState, rpc: &str, params: &Map<String, Value>, ip: &str) -> Result<Value, RpcError> {
    if state.signaling().joined(rpc).is_some() {
        return Err(error(Code::Generic, "This websocket has joined a session already", Some(rpc)));
    }
    let session_id = text(params, "session")?.to_string();
    if let Some(secret) = params.get("secret").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        return join_hidden(state, rpc, params, &session_id, secret);
    }
    let token = token_id(text(params, "token")?);
    let details = JoinDetails {
        ip: ip.to_string(),
        platform: params.get("platform").and_then(Value::as_str).unwrap_or("").to_string(),
        client_data: params.get("metadata").and_then(Value::as_str).unwrap_or("").to_string(),
    };
    let connection_id = state.sessions().join(&session_id, &token, details, now_ms()).map_err(|e| match e {
        JoinError::SessionNotFound(_) => error(Code::RoomNotFound, e.to_string(), Some(rpc)),
        JoinError::TokenNotValid { .. } => error(Code::UserUnauthorized, e.to_string(), Some(rpc)),
    })?;
    if let Err(problem) = place(state, &session_id) {
        let _ = state.sessions().leave(&session_id, &connection_id);
        return Err(error(Code::RoomCannotBeCreated, problem, Some(rpc)));
    }
    state.signaling().bind(rpc, &session_id, &connection_id);

    let sessions = state.sessions();
    let session = sessions.session(&session_id).ok_or_else(|| error(Code::RoomClosed, "Session closed", Some(rpc)))?;
    let me = session.connections.get(&connection_id).expect("just joined");
    let created_at = me.participant.as_ref().map(|p| p.active_at).unwrap_or_default();
    let others: Vec<Value> = session
        .connections
        .values()
        .filter(|c| c.id != connection_id && c.is_active())
        .map(participant_entry)
        .collect();
    let announcement = json!({"id": connection_id, "createdAt": created_at, "metadata": metadata(me)});
    let result = json!({
        "id": connection_id,
        "finalUserId": crate::session::ids::random_alphanumeric(16).to_uppercase(),
        "createdAt": created_at,
        "metadata": metadata(me),
        "value": others,
        "session": session_id,
        "version": OPENVIDU_VERSION,
        "mediaServer": "kurento",
        "videoSimulcast": false,
        "record": me.props.record,
        "role": me.props.role.map(|r| r.as_str()),
        "customIceServers": me.ice_servers,
    });
    drop(sessions);
    state.signaling().notify_except(&session_id, &connection_id, "participantJoined", &announcement);
    tracing::info!(session = %session_id, connection = %connection_id, "participant joined");
    Ok(result)
}

/// A join with `secret=<OPENVIDU_SECRET>` (the recorder's way in): a hidden SUBSCRIBER that
/// REST and the other participants never see, with connection id `RECORDER` for
/// `recorder=true`. The session is created (recording mode ALWAYS) if it does not exist.
fn join_hidden(
    state: &AppState,
    rpc: &str,
    params: &Map<String, Value>,
    session_id: &str,
    secret: &str,
) -> Result<Value, RpcError> {
    use subtle::ConstantTimeEq;
    if !bool::from(secret.as_bytes().ct_eq(state.config().secret.as_bytes())) {
        let message = format!("Unable to join session {session_id}. The secret is not valid");
        return Err(error(Code::UserUnauthorized, message, Some(rpc)));
    }
    if state.sessions().session(session_id).is_none() {
        let body = json!({"customSessionId": session_id, "recordingMode": "ALWAYS"});
        let fields = body.as_object().expect("an object");
        let props =
            crate::session::SessionProperties::parse(&crate::fields::Fields::new(fields), state.session_defaults())
                .map_err(|e| error(Code::RoomCannotBeCreated, e.0, Some(rpc)))?;
        let _ = state.sessions().create_session(props, now_ms());
    }
    place(state, session_id).map_err(|problem| error(Code::RoomCannotBeCreated, problem, Some(rpc)))?;
    let connection_id = match params.get("recorder").and_then(Value::as_bool) {
        Some(true) => "RECORDER".to_string(),
        _ => format!("con_{}", crate::session::ids::random_alphanumeric(10)),
    };
    if state.signaling().members(session_id).contains(&connection_id) {
        return Err(error(Code::Generic, format!("'{connection_id}' is connected already"), Some(rpc)));
    }
    state.signaling().bind(rpc, session_id, &connection_id);
    let sessions = state.sessions();
    let others: Vec<Value> = sessions
        .session(session_id)
        .map(|s| s.connections.values().filter(|c| c.is_active()).map(participant_entry).collect())
        .unwrap_or_default();
    tracing::info!(session = %session_id, connection = %connection_id, "hidden participant joined with the secret");
    Ok(json!({
        "id": connection_id,
        "finalUserId": crate::session::ids::random_alphanumeric(16).to_uppercase(),
        "createdAt": now_ms(),
        "metadata": "",
        "value": others,
        "session": session_id,
        "version": OPENVIDU_VERSION,
        "mediaServer": "kurento",
        "videoSimulcast": false,
        "record": false,
        "role": "SUBSCRIBER",
        "customIceServers": [],
    }))
}

/// An existing participant as `joinRoom` lists it: id, join time, metadata and its streams.
fn participant_entry(c: &Connection) -> Value {
    let mut entry =
        json!({"id": c.id, "createdAt": c.participant.as_ref().map(|p| p.active_at), "metadata": metadata(c)});
    let streams: Vec<Value> =
        c.participant.iter().flat_map(|p| &p.publishers).map(super::streams::stream_json).collect();
    if !streams.is_empty() {
        entry["streams"] = Value::Array(streams);
    }
    entry
}

/// Binds the session to a media node at its first join.
fn place(state: &AppState, session_id: &str) -> Result<(), String> {
    let named = {
        let sessions = state.sessions();
        let session = sessions.session(session_id).ok_or("Session closed")?;
        if session.media_node_id.is_some() {
            return Ok(());
        }
        session.props.media_node.clone()
    };
    let node = state.cluster().registry().place_session(session_id, named.as_deref()).map_err(|e| e.to_string())?;
    if let Some(session) = state.sessions().session_mut(session_id) {
        session.media_node_id = Some(node);
    }
    Ok(())
}

/// A participant leaves (`leaveRoom`, a closed socket, the watchdog): the others get
/// `participantLeft`, and the last one out closes the session.
pub fn leave(state: &AppState, session: &str, connection: &str, reason: &str) {
    state.signaling().unbind(session, connection);
    state.media().forget(session, connection);
    let last = match state.sessions().leave(session, connection) {
        Ok(last) => last,
        Err(StoreError::SessionNotFound | StoreError::ConnectionNotFound) => return,
        Err(other) => return tracing::warn!(%session, %connection, %other, "leave failed"),
    };
    tracing::info!(%session, %connection, reason, "participant left");
    state.signaling().notify(session, None, "participantLeft", &json!({"connectionId": connection, "reason": reason}));
    if last {
        close_session(state, session, "lastParticipantLeft");
    }
}

/// Evicts a participant: it gets `participantEvicted` and its socket closes; the
/// others get `participantLeft` with the same reason (openvidu-browser only acts on
/// `participantEvicted` for its own connection).
pub fn evict(state: &AppState, session: &str, connection: &str, reason: &str) {
    let event = json!({"connectionId": connection, "reason": reason});
    state.signaling().notify(
        session,
        Some(std::slice::from_ref(&connection.to_string())),
        "participantEvicted",
        &event,
    );
    state.signaling().close(session, connection);
    state.signaling().unbind(session, connection);
    state.media().forget(session, connection);
    let last = state.sessions().leave(session, connection).unwrap_or(false);
    state.signaling().notify(session, None, "participantLeft", &event);
    tracing::info!(%session, %connection, reason, "participant evicted");
    if last {
        close_session(state, session, "lastParticipantLeft");
    }
}

/// Closes a session: its participants are told (`participantEvicted` with `reason`) and
/// disconnected, and its node is released (which may complete a `when-no-sessions` drain).
pub fn close_session(state: &AppState, session: &str, reason: &str) {
    for connection in state.signaling().members(session) {
        let event = json!({"connectionId": connection, "reason": reason});
        state.signaling().notify(session, Some(std::slice::from_ref(&connection)), "participantEvicted", &event);
        state.signaling().close(session, &connection);
        state.signaling().unbind(session, &connection);
    }
    let _ = state.sessions().remove_session(session);
    // The node learns that the session is gone only after its pipeline is released:
    // a drain it completes may close the connection to the node.
    let release = state.media().close(session);
    let cluster = state.cluster().clone();
    let closed = session.to_string();
    tokio::spawn(async move {
        if let Some(release) = release {
            let _ = release.await;
        }
        cluster.session_closed(&closed);
    });
    tracing::info!(%session, reason, "session closed");
}

/// `sendMessage`: `message` is a JSON string `{to, data, type}`; an empty `to` means everyone.
pub fn send_message(
    state: &AppState,
    rpc: &str,
    session: &str,
    from: &str,
    params: &Map<String, Value>,
) -> Result<(), RpcError> {
    let raw = text(params, "message")?;
    let message: Map<String, Value> = serde_json::from_str(raw)
        .map_err(|e| error(Code::SignalFormatInvalid, format!("'message' is not a JSON object: {e}"), Some(rpc)))?;
    let to: Vec<String> = match message.get("to") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| error(Code::SignalFormatInvalid, "'to' must be an array of connection ids", Some(rpc)))?,
        Some(_) => return Err(error(Code::SignalFormatInvalid, "'to' must be an array of connection ids", Some(rpc))),
    };
    let members = state.signaling().members(session);
    if let Some(unknown) = to.iter().find(|id| !members.contains(id)) {
        return Err(error(
            Code::SignalToInvalid,
            format!("'{unknown}' is not a participant of the session"),
            Some(rpc),
        ));
    }
    let mut event = Map::new();
    event.insert("from".into(), json!(from));
    for key in ["type", "data"] {
        if let Some(value) = message.get(key) {
            event.insert(key.into(), value.clone());
        }
    }
    let targets = if to.is_empty() { None } else { Some(&to[..]) };
    state.signaling().notify(session, targets, "sendMessage", &Value::Object(event));
    Ok(())
}

/// A REST signal (`POST /signal`): no `from`.
pub fn deliver_signal(state: &AppState, session: &str, to: &[String], kind: Option<&str>, data: Option<&str>) {
    let mut event = Map::new();
    if let Some(kind) = kind {
        event.insert("type".into(), json!(kind));
    }
    if let Some(data) = data {
        event.insert("data".into(), json!(data));
    }
    let targets = if to.is_empty() { None } else { Some(to) };
    state.signaling().notify(session, targets, "sendMessage", &Value::Object(event));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_ids_come_from_urls_or_stand_alone() {
        assert_eq!(token_id("wss://h:4443?sessionId=s&token=tok_AbC"), "tok_AbC");
        assert_eq!(token_id("tok_AbC"), "tok_AbC");
        assert_eq!(token_id("wss://h?sessionId=s"), "");
    }
}
