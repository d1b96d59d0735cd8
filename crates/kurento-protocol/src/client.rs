//! An async Kurento client: what the master (and tests) use to drive a media node.
//!
//! One background task owns the websocket. Requests carry increasing ids and
//! the session id once known; each waits for its response up to the request
//! timeout. `onEvent` notifications are broadcast to every event receiver. When
//! the socket drops, pending requests fail at once and the task reconnects with
//! backoff, then re-attaches with `connect {sessionId}`; if the node no longer
//! knows the session (40007, e.g. it restarted) the client starts a new one and
//! reports that the old objects are gone. With [`ClientOptions::keepalive`] the
//! task also pings the node and drops a socket whose node stopped answering
//! ([`crate::keepalive`]), so a hung node looks like a dropped one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::error::{ErrorCode, RpcError};
use crate::event::Event;
use crate::jsonrpc::{self, Id, Incoming};
use crate::keepalive::{Keepalive, MissCounter};

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Whether to reconnect after the socket drops.
    pub reconnect: bool,
    /// First delay between reconnection attempts; doubles up to 5 s.
    pub reconnect_delay: Duration,
    /// Periodic pings that drop the socket of a node that stopped answering; `None`: no pings.
    pub keepalive: Option<Keepalive>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            reconnect: true,
            reconnect_delay: Duration::from_millis(100),
            keepalive: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    Connected,
    Disconnected,
    /// Reconnected; `same_session` is false when the node had forgotten the
    /// session and a new one was started (every object of the old one is gone).
    Reconnected {
        same_session: bool,
    },
    Closed,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the media node did not answer '{method}' within {timeout:?}")]
    Timeout { method: String, timeout: Duration },
    #[error("the connection to the media node is down")]
    Disconnected,
    #[error("media node error: {0}")]
    Rpc(#[from] RpcError),
    #[error("unexpected answer to '{method}': {answer}")]
    UnexpectedAnswer { method: String, answer: Value },
}

impl ClientError {
    /// The Kurento error code, when the node answered with an error.
    pub fn rpc_code(&self) -> Option<i64> {
        match self {
            ClientError::Rpc(error) => Some(error.code),
            _ => None,
        }
    }
}

type Pending = Arc<Mutex<HashMap<i64, oneshot::Sender<Result<Value, RpcError>>>>>;

struct Shared {
    session: Mutex<Option<String>>,
    pending: Pending,
    next_id: AtomicI64,
    events: broadcast::Sender<Event>,
    state: watch::Sender<ConnectionState>,
    outgoing: Mutex<Option<mpsc::UnboundedSender<String>>>,
}

#[derive(Clone)]
pub struct KurentoClient {
    shared: Arc<Shared>,
    options: ClientOptions,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl KurentoClient {
    /// Connects to `url` (`ws://host:8888/kurento`) and checks it answers `ping`.
    pub async fn connect(url: &str, options: ClientOptions) -> Result<Self, ClientError> {
        let (events, _) = broadcast::channel(1024);
        let (state, _) = watch::channel(ConnectionState::Disconnected);
        let shared = Arc::new(Shared {
            session: Mutex::new(None),
            pending: Arc::new(Mutex::new(HashMap::new())),
            next_id: AtomicI64::new(0),
            events,
            state,
            outgoing: Mutex::new(None),
        });
        let socket = open(url, options.connect_timeout).await?;
        let task = tokio::spawn(run(url.to_string(), options.clone(), shared.clone(), socket));
        let client = Self { shared, options, task: Arc::new(task) };
        client.wait_until_connected().await?;
        client.ping().await?;
        Ok(client)
    }

    async fn wait_until_connected(&self) -> Result<(), ClientError> {
        let mut state = self.shared.state.subscribe();
        tokio::time::timeout(self.options.connect_timeout, state.wait_for(|s| *s != ConnectionState::Disconnected))
            .await
            .map_err(|_| ClientError::Disconnected)?
            .map_err(|_| ClientError::Disconnected)?;
        Ok(())
    }

    /// The session the node gave us, once known.
    pub fn session_id(&self) -> Option<String> {
        self.shared.session.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Every `onEvent` the node sends on this client's session.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.shared.events.subscribe()
    }

    /// Connection changes (disconnections, reconnections).
    pub fn connection_state(&self) -> watch::Receiver<ConnectionState> {
        self.shared.state.subscribe()
    }

    /// Sends a request and returns its `result`; adds the session id when known.
    pub async fn call(&self, method: &str, params: Map<String, Value>) -> Result<Value, ClientError> {
        send_request(&self.shared, method, params, self.options.request_timeout).await
    }

    pub async fn ping(&self) -> Result<(), ClientError> {
        let result = self.call("ping", Map::new()).await?;
        if result.get("value") == Some(&json!("pong")) {
            Ok(())
        } else {
            Err(ClientError::UnexpectedAnswer { method: "ping".into(), answer: result })
        }
    }

    /// `create`; returns the new object's id.
    pub async fn create(&self, type_name: &str, constructor_params: Value) -> Result<String, ClientError> {
        let params = object(json!({"type": type_name, "constructorParams": constructor_params}));
        let result = self.call("create", params).await?;
        value_string(result, "create")
    }

    /// `invoke`; returns the result's `value` (null for void operations).
    pub async fn invoke(
        &self,
        object_id: &str,
        operation: &str,
        operation_params: Value,
    ) -> Result<Value, ClientError> {
        let params = object(json!({"object": object_id, "operation": operation, "operationParams": operation_params}));
        let result = self.call("invoke", params).await?;
        Ok(result.get("value").cloned().unwrap_or(Value::Null))
    }

    /// `subscribe`; returns the subscription id. Events arrive on [`Self::events`].
    pub async fn subscribe(&self, object_id: &str, event: &str) -> Result<String, ClientError> {
        let result = self.call("subscribe", object(json!({"object": object_id, "type": event}))).await?;
        value_string(result, "subscribe")
    }

    pub async fn unsubscribe(&self, object_id: &str, subscription: &str) -> Result<(), ClientError> {
        self.call("unsubscribe", object(json!({"object": object_id, "subscription": subscription}))).await.map(|_| ())
    }

    pub async fn release(&self, object_id: &str) -> Result<(), ClientError> {
        self.call("release", object(json!({"object": object_id}))).await.map(|_| ())
    }

    pub async fn describe(&self, object_id: &str) -> Result<Value, ClientError> {
        self.call("describe", object(json!({"object": object_id}))).await
    }

    /// Stops the connection task; pending requests fail.
    pub fn close(&self) {
        self.task.abort();
        fail_pending(&self.shared.pending);
        self.shared.state.send_replace(ConnectionState::Closed);
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn value_string(result: Value, method: &str) -> Result<String, ClientError> {
    match result.get("value") {
        Some(Value::String(id)) => Ok(id.clone()),
        _ => Err(ClientError::UnexpectedAnswer { method: method.into(), answer: result }),
    }
}

async fn send_request(
    shared: &Shared,
    method: &str,
    mut params: Map<String, Value>,
    timeout: Duration,
) -> Result<Value, ClientError> {
    if method != "ping"
        && !params.contains_key("sessionId")
        && let Some(session) = shared.session.lock().unwrap_or_else(|p| p.into_inner()).clone()
    {
        params.insert("sessionId".into(), json!(session));
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (reply, answer) = oneshot::channel();
    shared.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, reply);
    let frame = jsonrpc::request(&Id::Number(id), method, Some(&params));
    let sent =
        shared.outgoing.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(|o| o.send(frame).is_ok());
    if !sent {
        shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        return Err(ClientError::Disconnected);
    }
    let outcome = match tokio::time::timeout(timeout, answer).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(_)) => return Err(ClientError::Disconnected),
        Err(_) => {
            shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            return Err(ClientError::Timeout { method: method.into(), timeout });
        }
    };
    let result = outcome?;
    if let Some(session) = result.get("sessionId").and_then(Value::as_str) {
        *shared.session.lock().unwrap_or_else(|p| p.into_inner()) = Some(session.to_string());
    }
    Ok(result)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(url: &str, timeout: Duration) -> Result<Socket, ClientError> {
    let fail = |reason: String| ClientError::Connect { url: url.to_string(), reason };
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async_with_config(url, None, true)).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(error)) => Err(fail(error.to_string())),
        Err(_) => Err(fail(format!("no answer within {timeout:?}"))),
    }
}

fn fail_pending(pending: &Pending) {
    pending.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// Owns the socket: pumps frames both ways, reconnects when it drops.
async fn run(url: String, options: ClientOptions, shared: Arc<Shared>, first: Socket) {
    let mut socket = Some(first);
    let mut delay = options.reconnect_delay;
    let mut reconnecting = false;
    loop {
        let current = match socket.take() {
            Some(current) => current,
            None => match open(&url, options.connect_timeout).await {
                Ok(current) => current,
                Err(error) => {
                    tracing::debug!(%error, "media node reconnection failed");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        delay = options.reconnect_delay;
        let (mut sink, mut source) = current.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
        *shared.outgoing.lock().unwrap_or_else(|p| p.into_inner()) = Some(outgoing);
        let writer = tokio::spawn(async move {
            while let Some(frame) = queue.recv().await {
                if sink.send(Message::text(frame)).await.is_err() {
                    break;
                }
            }
        });
        let reader_shared = shared.clone();
        let mut reader = tokio::spawn(async move {
            while let Some(Ok(message)) = source.next().await {
                if let Message::Text(text) = message {
                    dispatch_incoming(&reader_shared, &text);
                }
            }
        });
        let pinger = options.keepalive.map(|keepalive| tokio::spawn(ping_until_lost(shared.clone(), keepalive)));
        if reconnecting {
            let same_session = reattach(&shared, &options).await;
            shared.state.send_replace(ConnectionState::Reconnected { same_session });
        } else {
            shared.state.send_replace(ConnectionState::Connected);
        }
        match pinger {
            Some(mut pinger) => {
                tokio::select! {
                    _ = &mut reader => pinger.abort(),
                    _ = &mut pinger => {
                        tracing::warn!(%url, "media node stopped answering pings; dropping its socket");
                        reader.abort();
                    }
                }
            }
            None => {
                let _ = reader.await;
            }
        }
        writer.abort();
        *shared.outgoing.lock().unwrap_or_else(|p| p.into_inner()) = None;
        fail_pending(&shared.pending);
        shared.state.send_replace(ConnectionState::Disconnected);
        if !options.reconnect {
            shared.state.send_replace(ConnectionState::Closed);
            return;
        }
        reconnecting = true;
    }
}

/// Pings the node every interval (one ping at a time); returns when it missed enough in a row.
async fn ping_until_lost(shared: Arc<Shared>, keepalive: Keepalive) {
    let mut ticker = tokio::time::interval(keepalive.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut counter = MissCounter::new(keepalive.misses);
    loop {
        ticker.tick().await;
        let answered = send_request(&shared, "ping", Map::new(), keepalive.timeout).await.is_ok();
        if counter.record(answered) {
            return;
        }
    }
}

/// After a reconnection: `connect {sessionId}`; a forgotten session (40007) is replaced by a new one.
async fn reattach(shared: &Shared, options: &ClientOptions) -> bool {
    let known = shared.session.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let Some(session) = known else { return true };
    let params = object(json!({"sessionId": session}));
    match send_request(shared, "connect", params, options.request_timeout).await {
        Ok(_) => true,
        Err(ClientError::Rpc(error)) if error.is(ErrorCode::InvalidSession) => {
            *shared.session.lock().unwrap_or_else(|p| p.into_inner()) = None;
            let _ = send_request(shared, "connect", Map::new(), options.request_timeout).await;
            false
        }
        Err(_) => false,
    }
}

fn dispatch_incoming(shared: &Shared, text: &str) {
    match jsonrpc::parse(text) {
        Ok(Incoming::Response { id: Id::Number(id), outcome }) => {
            if let Some(reply) = shared.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id) {
                let _ = reply.send(outcome);
            }
        }
        Ok(Incoming::Notification { method, params }) if method == "onEvent" => {
            if let Some(event) = params.as_ref().and_then(Event::from_params) {
                let _ = shared.events.send(event);
            }
        }
        Ok(other) => tracing::debug!(?other, "unexpected message from the media node"),
        Err(malformed) => tracing::warn!(error = %malformed.error, "malformed message from the media node"),
    }
}
