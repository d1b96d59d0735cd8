//! The websocket adapter: one task per client reads frames in order, answers
//! them through the [`super::methods`] rules, and runs the ping watchdog.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use kurento_protocol::error::RpcError;
use kurento_protocol::jsonrpc::{self, Incoming};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tracing::Instrument;

use super::codes::{Code, error, refused};
use super::params::read;
use super::websocket::{self, Socket};
use super::{methods, streams};
use crate::events::EndReason;
use crate::hub::{Outbound, Outbox};
use crate::live_metrics::JoinOutcome;
use crate::services::AppState;

/// Pings count every this often unless the client names its interval (openvidu-browser: 5 s).
const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(5);
/// The watchdog evicts a client after this many intervals without a ping.
const MISSED_PINGS: u32 = 3;

/// `GET /openvidu`: upgrades to the signaling websocket. The participant's IP comes
/// from `X-Real-IP`/`X-Forwarded-For` when a proxy sets them, else from the socket's peer.
pub async fn upgrade(State(state): State<AppState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_canonical().to_string());
    let ip = ["x-real-ip", "x-forwarded-for"]
        .iter()
        .find_map(|name| request.headers().get(*name).and_then(|v| v.to_str().ok()))
        .map(|v| v.split(',').next().unwrap_or("").trim().to_string())
        .or(peer)
        .unwrap_or_default();
    websocket::accept(request, move |socket| serve(state, socket, ip))
}

/// Results carry the rpc session id, as kurento-jsonrpc injects it.
fn with_session(result: Value, rpc: &str) -> Value {
    match result {
        Value::Object(mut map) => {
            map.insert("sessionId".into(), json!(rpc));
            Value::Object(map)
        }
        other => json!({"value": other, "sessionId": rpc}),
    }
}

struct Client {
    rpc: String,
    ip: String,
    ping_interval: Option<Duration>,
    last_ping: Instant,
    closing: bool,
}

async fn serve(state: AppState, socket: Socket, ip: String) {
    let (mut sink, mut source) = socket.split();
    let (outbox, mut queue) = mpsc::unbounded_channel::<Outbound>();
    let rpc = crate::ids::one_off().rpc_session_id();
    state.hub().register(&rpc, outbox.clone());
    let writer = tokio::spawn(async move {
        while let Some(outbound) = queue.recv().await {
            let sent = match outbound {
                Outbound::Text(text) => websocket::send_text(&mut sink, text).await,
                Outbound::Close => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            };
            if sent.is_err() {
                break;
            }
        }
    });
    let mut client = Client { rpc, ip, ping_interval: None, last_ping: Instant::now(), closing: false };
    let mut watchdog = tokio::time::interval(Duration::from_secs(1));
    let mut reason = EndReason::NetworkDisconnect;
    loop {
        tokio::select! {
            frame = source.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                if let Some(reply) = handle(&state, &mut client, &outbox, text.as_str()).await {
                    let _ = outbox.send(Outbound::Text(reply));
                }
                if client.closing {
                    reason = EndReason::Disconnect;
                    let _ = outbox.send(Outbound::Close);
                    break;
                }
            }
            _ = watchdog.tick() => {
                if let Some(interval) = client.ping_interval
                    && client.last_ping.elapsed() > interval * MISSED_PINGS
                {
                    tracing::info!(rpc = %client.rpc, "no ping for {} intervals; closing", MISSED_PINGS);
                    let _ = outbox.send(Outbound::Close);
                    break;
                }
            }
        }
    }
    if let Some((session, connection)) = state.hub().unregister(&client.rpc) {
        methods::leave(&state, &session, &connection, reason);
    }
    drop(outbox);
    let _ = writer.await;
}

/// Answers one frame; `None` for notifications and responses.
async fn handle(state: &AppState, client: &mut Client, outbox: &Outbox, text: &str) -> Option<String> {
    let (id, method, params) = match jsonrpc::parse(text) {
        Err(malformed) => return Some(jsonrpc::error(malformed.id.as_ref(), &malformed.error)),
        Ok(Incoming::Response { .. }) => return None,
        Ok(Incoming::Notification { method, params }) => (None, method, params),
        Ok(Incoming::Request { id, method, params }) => (Some(id), method, params),
    };
    let params = params.unwrap_or_default();
    let (session_id, connection_id) = state.hub().joined(&client.rpc).unzip();
    // Every log line of the frame carries the socket, and the participant once it joined.
    let span = tracing::info_span!(
        "signaling",
        rpc = %client.rpc,
        method = %method,
        session_id = session_id.as_deref(),
        connection_id = connection_id.as_deref(),
    );
    let outcome = call(state, client, outbox, &method, &params).instrument(span).await;
    let id = id?;
    Some(match outcome {
        Ok(Reply::Plain(value)) => jsonrpc::result(&id, &value),
        Ok(Reply::WithSession(value)) => jsonrpc::result(&id, &with_session(value, &client.rpc)),
        Err(error) => jsonrpc::error(Some(&id), &error),
    })
}

async fn join(state: &AppState, rpc: &str, params: &Map<String, Value>, ip: &str) -> Result<Value, RpcError> {
    // Right after startup the media nodes may still be coming up: give them their chance.
    let _ = state.cluster().ensure_capacity(None).await;
    let params: super::params::JoinRoom = read("joinRoom", params, rpc)?;
    let span = tracing::Span::current();
    span.record("session_id", params.session.as_str());
    let joined = methods::join_room(state, rpc, params, ip);
    if let Some(connection) = state.hub().joined(rpc).map(|(_, connection)| connection) {
        span.record("connection_id", connection.as_str());
    }
    joined
}

enum Reply {
    /// Sent as is (`ping`'s pong carries no session id).
    Plain(Value),
    WithSession(Value),
}

async fn call(
    state: &AppState,
    client: &mut Client,
    outbox: &Outbox,
    method: &str,
    params: &Map<String, Value>,
) -> Result<Reply, RpcError> {
    let rpc = client.rpc.clone();
    match method {
        "ping" => {
            client.last_ping = Instant::now();
            let named = params.get("interval").and_then(Value::as_u64).map(Duration::from_millis);
            client.ping_interval = named.or(client.ping_interval).or(Some(DEFAULT_PING_INTERVAL));
            return Ok(Reply::Plain(json!({"value": "pong"})));
        }
        "connect" => {
            let old = params.get("sessionId").and_then(Value::as_str).unwrap_or("");
            if !old.is_empty() && old != rpc && state.hub().rebind_socket(old, outbox.clone()) {
                client.rpc = old.to_string();
                return Ok(Reply::WithSession(json!({"value": "reconnection successful"})));
            }
            return Err(error(Code::ReconnectionError, "reconnection error", None));
        }
        "joinRoom" => {
            let started = Instant::now();
            let joined = join(state, &rpc, params, &client.ip).await;
            if let Some(live) = state.live_metrics() {
                let outcome = if joined.is_ok() { JoinOutcome::joined } else { JoinOutcome::refused };
                live.observe_join(outcome, started.elapsed().as_secs_f64());
            }
            return joined.map(Reply::WithSession);
        }
        "echo" => return Ok(Reply::WithSession(json!({}))),
        "closeSession" => {
            client.closing = true;
            return Ok(Reply::WithSession(json!("bye")));
        }
        _ => {}
    }
    let Some((session, connection)) = state.hub().joined(&rpc) else {
        return match KNOWN.contains(&method) {
            true => Err(error(Code::Transport, format!("'{method}' needs joinRoom first"), Some(&rpc))),
            false => Err(unknown(method)),
        };
    };
    match method {
        "leaveRoom" => {
            methods::leave(state, &session, &connection, EndReason::Disconnect);
            Ok(Reply::WithSession(json!({})))
        }
        "sendMessage" => {
            let params = read(method, params, &rpc)?;
            methods::send_message(state, &rpc, &session, &connection, params).map(|_| Reply::WithSession(json!({})))
        }
        "videoData" => Ok(Reply::WithSession(json!({}))),
        "forceDisconnect" => {
            let target: super::params::ForceDisconnect = read(method, params, &rpc)?;
            state
                .try_decide(|conference, now| {
                    conference.force_disconnect(&session, &connection, &target.connection_id, now).map(|o| (o, ()))
                })
                .map_err(refused(&rpc))?;
            Ok(Reply::WithSession(json!({})))
        }
        "publishVideo" => {
            let params = read(method, params, &rpc)?;
            streams::publish(state, &rpc, &session, &connection, params).await.map(Reply::WithSession)
        }
        "receiveVideoFrom" => {
            let params = read(method, params, &rpc)?;
            streams::subscribe(state, &rpc, &session, &connection, params).await.map(Reply::WithSession)
        }
        "onIceCandidate" => {
            let params = read(method, params, &rpc)?;
            streams::ice_candidate(state, &rpc, &session, &connection, params).await.map(Reply::WithSession)
        }
        "unpublishVideo" => streams::unpublish(state, &rpc, &session, &connection).map(Reply::WithSession),
        "unsubscribeFromVideo" => {
            let params: super::params::UnsubscribeFromVideo = read(method, params, &rpc)?;
            streams::unsubscribe(state, &rpc, &session, &connection, &params.sender).map(Reply::WithSession)
        }
        "streamPropertyChanged" => {
            let params = read(method, params, &rpc)?;
            streams::property_changed(state, &rpc, &session, &connection, params).map(Reply::WithSession)
        }
        "forceUnpublish" => {
            let params: super::params::ForceUnpublish = read(method, params, &rpc)?;
            streams::force_unpublish(state, &rpc, &session, &connection, &params.stream_id).map(Reply::WithSession)
        }
        "applyFilter"
        | "execFilterMethod"
        | "removeFilter"
        | "addFilterEventListener"
        | "removeFilterEventListener" => {
            Err(error(Code::Generic, format!("Filters ('{method}') are not supported by Plenum"), Some(&rpc)))
        }
        "reconnectStream" => {
            let params = read(method, params, &rpc)?;
            streams::reconnect(state, &rpc, &session, &connection, params).await.map(Reply::WithSession)
        }
        "prepareReceiveVideoFrom" | "subscribeToSpeechToText" | "unsubscribeFromSpeechToText" => {
            Err(error(Code::Generic, format!("'{method}' is not supported by Plenum yet"), Some(&rpc)))
        }
        other => Err(unknown(other)),
    }
}

/// Every client method of reference §3.4 (for the "join first" answer).
const KNOWN: &[&str] = &[
    "leaveRoom",
    "sendMessage",
    "videoData",
    "forceDisconnect",
    "forceUnpublish",
    "publishVideo",
    "receiveVideoFrom",
    "prepareReceiveVideoFrom",
    "onIceCandidate",
    "unpublishVideo",
    "unsubscribeFromVideo",
    "streamPropertyChanged",
    "reconnectStream",
    "applyFilter",
    "execFilterMethod",
    "removeFilter",
    "addFilterEventListener",
    "removeFilterEventListener",
    "subscribeToSpeechToText",
    "unsubscribeFromSpeechToText",
];

fn unknown(method: &str) -> RpcError {
    error(Code::MethodNotFound, format!("Method not found: {method}"), None)
}
