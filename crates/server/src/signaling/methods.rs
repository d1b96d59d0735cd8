//! `joinRoom`, leaving and `sendMessage`: the adapter reads the parameters and
//! runs the conference core's commands (reference §3.4–3.5).

use kurento_protocol::error::RpcError;
use serde_json::Value;

use super::codes::{Code, error, refused};
use super::params::{JoinRoom, Message, SendMessage};
use crate::conference::{HiddenJoin, JoinRequest, SignalMessage};
use crate::events::EndReason;
use crate::json_fields::Fields;
use crate::services::AppState;
use crate::session::SessionProperties;
use crate::session::join::JoinDetails;

/// `joinRoom` on the socket of rpc session `rpc`: consumes the token, places the session on
/// a media node at its first join, tells the others, and returns the 2.32 result.
pub fn join_room(state: &AppState, rpc: &str, params: JoinRoom, ip: &str) -> Result<Value, RpcError> {
    if state.hub().joined(rpc).is_some() {
        return Err(error(Code::Generic, "This websocket has joined a session already", Some(rpc)));
    }
    if let Some(secret) = params.secret.as_deref().filter(|s| !s.is_empty()) {
        return join_hidden(state, rpc, &params, secret);
    }
    let token = params
        .token
        .ok_or_else(|| error(Code::InvalidParams, "Parameter 'token' (a string) is required", Some(rpc)))?;
    let details = JoinDetails {
        ip: ip.to_string(),
        platform: params.platform.unwrap_or_default(),
        client_data: params.metadata.unwrap_or_default(),
    };
    let request = JoinRequest { rpc: rpc.to_string(), session: params.session, token, details };
    state
        .try_decide(|conference, now| {
            let mut place = placer(state);
            conference.join(request, &mut place, now).map(|(result, outcome)| (outcome, result))
        })
        .map_err(refused(rpc))
}

/// A join with `secret=<OPENVIDU_SECRET>`: the recorder's way in (see [`crate::conference::HiddenJoin`]).
fn join_hidden(state: &AppState, rpc: &str, params: &JoinRoom, secret: &str) -> Result<Value, RpcError> {
    let session = params.session.clone();
    if !crate::credentials::secret_matches(secret, &state.config().secret) {
        let message = format!("Unable to join session {session}. The secret is not valid");
        return Err(error(Code::UserUnauthorized, message, Some(rpc)));
    }
    let body = serde_json::json!({"customSessionId": session, "recordingMode": "ALWAYS"});
    let fields = body.as_object().expect("an object");
    let create = SessionProperties::parse(&Fields::new(fields), state.session_defaults())
        .map_err(|e| error(Code::RoomCannotBeCreated, e.0, Some(rpc)))?;
    let request = HiddenJoin { rpc: rpc.to_string(), session, recorder: params.recorder == Some(true), create };
    state
        .try_decide(|conference, now| {
            let mut place = placer(state);
            conference.join_hidden(request, &mut place, now).map(|(result, outcome)| (outcome, result))
        })
        .map_err(refused(rpc))
}

/// Places a session on a media node through the cluster's registry, inside the join's decision.
/// A session's first placement is counted into the live metrics, by outcome and node.
fn placer(state: &AppState) -> impl FnMut(&str, Option<&str>) -> Result<String, String> + '_ {
    |session, named| {
        let mut registry = state.cluster().registry();
        let first = registry.host_of(session).is_none();
        let placed = registry.place_session(session, named);
        if first && let Some(live) = state.live_metrics() {
            match &placed {
                Ok(node) => live.count_placement("placed", node),
                Err(error) => live.count_placement(error.outcome(), ""),
            }
        }
        placed.map_err(|e| e.to_string())
    }
}

/// A participant leaves (`leaveRoom`, a closed socket, the watchdog).
pub fn leave(state: &AppState, session: &str, connection: &str, reason: EndReason) {
    state.decide(|conference, now| (conference.leave(session, connection, reason, now), ()));
}

/// `sendMessage`: `message` is a JSON string `{to, data, type}`; an empty `to` means everyone.
pub fn send_message(
    state: &AppState,
    rpc: &str,
    session: &str,
    from: &str,
    params: SendMessage,
) -> Result<(), RpcError> {
    let message: Message = serde_json::from_str(&params.message).map_err(|e| {
        error(Code::SignalFormatInvalid, format!("'message' is not a JSON object {{to, data, type}}: {e}"), Some(rpc))
    })?;
    let message = SignalMessage { to: message.to.unwrap_or_default(), kind: message.kind, data: message.data };
    state
        .try_decide(|conference, now| conference.send_message(session, from, message, now).map(|outcome| (outcome, ())))
        .map_err(refused(rpc))
}
