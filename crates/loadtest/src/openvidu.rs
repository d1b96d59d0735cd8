//! [`MediaServerDriver`] over OpenVidu's browser signaling (reference §3), so that
//! the load generator's clients join a session of a Plenum (or OpenVidu) master
//! as openvidu-browser participants do, and the master's REST API sees them:
//! its recordings, its session objects and its webhooks then cover them.
//!
//! The caller makes the session and its tokens with the REST API beforehand and
//! hands them over in order ([`OpenViduDriver::new`]); every peer connection takes
//! the next token and is one participant with its own websocket:
//!
//! - the websocket is `<token's ws origin>/openvidu?sessionId=<session>`, pinged
//!   every 5 s as openvidu-browser does (the first ping says `interval: 5000`);
//! - `joinRoom {token, session, platform, metadata, sdkVersion}`;
//! - publisher: `publishVideo {sdpOffer, ...}` → `{sdpAnswer, id: <streamId>}`;
//! - subscriber: `receiveVideoFrom {sender: <streamId>, sdpOffer}` → `{sdpAnswer}`;
//! - candidates: the client's with `onIceCandidate {endpointName, ...}` (the
//!   publisher's connection id, for both sides), the master's as `iceCandidate`
//!   notifications on the participant's own socket;
//! - closing a peer sends `leaveRoom` and closes the socket. A room is the one
//!   session; closing it is left to whoever created it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::driver::{DriverError, DriverResult, IceCandidate, MediaServerDriver, Negotiated, PeerId, RoomId};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const PING_INTERVAL: Duration = Duration::from_secs(5);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A token's parts: `ws[s]://host[:port]?sessionId=S&token=T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub full: String,
    pub session: String,
    /// The signaling websocket openvidu-browser 2.32 opens for it.
    pub websocket: String,
}

impl Token {
    pub fn parse(text: &str) -> Result<Self, String> {
        let full = text.trim().to_string();
        let (origin, query) = full.split_once('?').ok_or_else(|| format!("token without a query: {full}"))?;
        if !(origin.starts_with("ws://") || origin.starts_with("wss://")) {
            return Err(format!("token is not a ws:// or wss:// URL: {full}"));
        }
        // openvidu-browser ignores the token's path: the socket is always <origin>/openvidu.
        let scheme_end = origin.find("://").map(|i| i + 3).unwrap_or(0);
        let host_end = origin[scheme_end..].find('/').map(|i| scheme_end + i).unwrap_or(origin.len());
        let session = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("sessionId="))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("token without sessionId: {full}"))?
            .to_string();
        let websocket = format!("{}/openvidu?sessionId={session}", &origin[..host_end]);
        Ok(Self { full, session, websocket })
    }
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// One participant's signaling websocket: JSON-RPC requests with ids and timeouts,
/// a ping loop, and the `iceCandidate` notifications it receives.
struct Participant {
    outgoing: mpsc::UnboundedSender<String>,
    pending: Pending,
    next_id: Mutex<u64>,
    tasks: Vec<JoinHandle<()>>,
    /// The connection id the master gave this participant (`joinRoom`'s `id`).
    connection_id: String,
    /// The connection id of the stream's owner: what `onIceCandidate` names.
    endpoint_name: String,
}

impl Drop for Participant {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Participant {
    /// Opens the socket, starts pinging, joins with `token`; the candidates the master
    /// sends to this participant go to the returned channel.
    async fn join(token: &Token, index: usize) -> DriverResult<(Self, mpsc::UnboundedReceiver<IceCandidate>)> {
        let connecting = tokio_tungstenite::connect_async_with_config(token.websocket.as_str(), None, true);
        let socket = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(error)) => return Err(DriverError::new("connect", format!("{}: {error}", token.websocket))),
            Err(_) => return Err(DriverError::new("connect", format!("{}: no answer in time", token.websocket))),
        };
        let (mut sink, mut source) = socket.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
        let writer = tokio::spawn(async move {
            while let Some(frame) = queue.recv().await {
                if sink.send(Message::text(frame)).await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        let pending = Pending::default();
        let (candidates_in, candidates) = mpsc::unbounded_channel();
        let reading = pending.clone();
        let reader = tokio::spawn(async move {
            while let Some(Ok(frame)) = source.next().await {
                let text = match frame {
                    Message::Text(text) => text.as_str().to_string(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                deliver(&text, &reading, &candidates_in);
            }
            // Every waiting request fails at once when the socket goes.
            for (_, waiter) in lock(&reading).drain() {
                let _ = waiter.send(Err("the signaling websocket closed".into()));
            }
        });
        let mut participant = Self {
            outgoing,
            pending,
            next_id: Mutex::new(0),
            tasks: vec![writer, reader],
            connection_id: String::new(),
            endpoint_name: String::new(),
        };
        let pinger = participant.outgoing.clone();
        participant.tasks.push(tokio::spawn(async move {
            // Ids from 1_000_000 up: never those of requests, whose answers matter.
            let mut id = 1_000_000u64;
            let mut interval = tokio::time::interval(PING_INTERVAL);
            loop {
                interval.tick().await;
                let params = if id == 1_000_000 { json!({"interval": 5000}) } else { json!({}) };
                let ping = json!({"jsonrpc": "2.0", "id": id, "method": "ping", "params": params});
                if pinger.send(ping.to_string()).is_err() {
                    return;
                }
                id += 1;
            }
        }));
        let joined = participant
            .request(
                "joinRoom",
                json!({
                    "token": token.full,
                    "session": token.session,
                    "platform": "plenum-loadtest",
                    "metadata": format!("{{\"clientData\":\"loadtest-{index}\"}}"),
                    "sdkVersion": "2.32.2",
                }),
            )
            .await?;
        participant.connection_id = joined
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| DriverError::new("joinRoom", format!("no connection id in {joined}")))?
            .to_string();
        Ok((participant, candidates))
    }

    async fn request(&self, method: &str, params: Value) -> DriverResult<Value> {
        let id = {
            let mut next = lock(&self.next_id);
            *next += 1;
            *next
        };
        let (answer, outcome) = oneshot::channel();
        lock(&self.pending).insert(id, answer);
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        if self.outgoing.send(message.to_string()).is_err() {
            lock(&self.pending).remove(&id);
            return Err(DriverError::new(method, "the signaling websocket is closed"));
        }
        match tokio::time::timeout(REQUEST_TIMEOUT, outcome).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(error))) => Err(DriverError::new(method, error)),
            Ok(Err(_)) => Err(DriverError::new(method, "the signaling websocket closed")),
            Err(_) => {
                lock(&self.pending).remove(&id);
                Err(DriverError::new(method, format!("no answer within {REQUEST_TIMEOUT:?}")))
            }
        }
    }
}

/// One frame from the master: an answer to a request, an `iceCandidate`, or something else (ignored).
fn deliver(text: &str, pending: &Pending, candidates: &mpsc::UnboundedSender<IceCandidate>) {
    let Ok(Value::Object(message)) = serde_json::from_str::<Value>(text) else {
        return tracing::warn!(text, "unreadable message from the master");
    };
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let Some(waiter) = lock(pending).remove(&id) else { return };
        let outcome = match (message.get("result"), message.get("error")) {
            (_, Some(error)) => Err(error.to_string()),
            (Some(result), None) => Ok(result.clone()),
            (None, None) => Ok(Value::Null),
        };
        let _ = waiter.send(outcome);
        return;
    }
    if message.get("method").and_then(Value::as_str) != Some("iceCandidate") {
        return;
    }
    let empty = Map::new();
    let params = message.get("params").and_then(Value::as_object).unwrap_or(&empty);
    let Some(candidate) = params.get("candidate").and_then(Value::as_str) else { return };
    let sdp_mid = match params.get("sdpMid") {
        Some(Value::String(mid)) => Some(mid.clone()),
        Some(Value::Number(mid)) => Some(mid.to_string()),
        _ => None,
    };
    let sdp_mline_index = params.get("sdpMLineIndex").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok());
    let _ = candidates.send(IceCandidate { candidate: candidate.to_string(), sdp_mid, sdp_mline_index });
}

pub struct OpenViduDriver {
    tokens: Mutex<VecDeque<Token>>,
    session: String,
    /// Tokens handed out so far (for the clientData of each participant).
    used: Mutex<usize>,
    participants: Mutex<HashMap<String, Arc<Participant>>>,
    /// Each publisher's stream id → its connection id.
    publishers: Mutex<HashMap<String, String>>,
}

impl OpenViduDriver {
    /// `tokens`: one per peer connection of the run, publishers' first; all of one session.
    pub fn new(tokens: &[String]) -> Result<Self, String> {
        let tokens = tokens
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| Token::parse(t))
            .collect::<Result<VecDeque<_>, _>>()?;
        let session = tokens.front().map(|t| t.session.clone()).ok_or("no token given")?;
        if let Some(other) = tokens.iter().find(|t| t.session != session) {
            return Err(format!("the tokens name two sessions: {session} and {}", other.session));
        }
        Ok(Self {
            tokens: Mutex::new(tokens),
            session,
            used: Mutex::new(0),
            participants: Mutex::new(HashMap::new()),
            publishers: Mutex::new(HashMap::new()),
        })
    }

    fn next_token(&self, operation: &str) -> DriverResult<(Token, usize)> {
        let token = lock(&self.tokens)
            .pop_front()
            .ok_or_else(|| DriverError::new(operation, "no token left (give one per publisher and subscriber)"))?;
        let mut used = lock(&self.used);
        *used += 1;
        Ok((token, *used))
    }

    fn participant(&self, peer: &PeerId) -> DriverResult<Arc<Participant>> {
        lock(&self.participants)
            .get(&peer.0)
            .cloned()
            .ok_or_else(|| DriverError::new("peer", format!("{peer} is not a participant of this run")))
    }
}

fn sdp_answer(method: &str, result: &Value) -> DriverResult<String> {
    result
        .get("sdpAnswer")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| DriverError::new(method, format!("no sdpAnswer in {result}")))
}

impl MediaServerDriver for OpenViduDriver {
    async fn create_room(&self) -> DriverResult<RoomId> {
        Ok(RoomId(self.session.clone()))
    }

    async fn publish(&self, _room: &RoomId, offer: &str) -> DriverResult<Negotiated> {
        let (token, index) = self.next_token("publishVideo")?;
        let (mut participant, candidates) = Participant::join(&token, index).await?;
        let result = participant
            .request(
                "publishVideo",
                json!({
                    "sdpOffer": offer,
                    "doLoopback": false,
                    "hasAudio": true,
                    "hasVideo": true,
                    "audioActive": true,
                    "videoActive": true,
                    "typeOfVideo": "CAMERA",
                    "frameRate": 30,
                    "videoDimensions": "{\"width\":320,\"height\":240}",
                }),
            )
            .await?;
        let answer = sdp_answer("publishVideo", &result)?;
        let stream = result
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| DriverError::new("publishVideo", format!("no stream id in {result}")))?
            .to_string();
        participant.endpoint_name = participant.connection_id.clone();
        lock(&self.publishers).insert(stream.clone(), participant.connection_id.clone());
        lock(&self.participants).insert(stream.clone(), Arc::new(participant));
        Ok(Negotiated { peer: PeerId(stream), answer, candidates })
    }

    async fn subscribe(&self, _room: &RoomId, publisher: &PeerId, offer: &str) -> DriverResult<Negotiated> {
        let owner = lock(&self.publishers)
            .get(&publisher.0)
            .cloned()
            .ok_or_else(|| DriverError::new("receiveVideoFrom", format!("{publisher} is not a stream of this run")))?;
        let (token, index) = self.next_token("receiveVideoFrom")?;
        let (mut participant, candidates) = Participant::join(&token, index).await?;
        let result = participant.request("receiveVideoFrom", json!({"sender": publisher.0, "sdpOffer": offer})).await?;
        let answer = sdp_answer("receiveVideoFrom", &result)?;
        participant.endpoint_name = owner;
        let peer = PeerId(format!("{}>{}", participant.connection_id, publisher.0));
        lock(&self.participants).insert(peer.0.clone(), Arc::new(participant));
        Ok(Negotiated { peer, answer, candidates })
    }

    async fn add_ice_candidate(&self, peer: &PeerId, candidate: &IceCandidate) -> DriverResult<()> {
        let participant = self.participant(peer)?;
        let params = json!({
            "endpointName": participant.endpoint_name,
            "candidate": candidate.candidate,
            "sdpMid": candidate.sdp_mid.clone().unwrap_or_default(),
            "sdpMLineIndex": candidate.sdp_mline_index.unwrap_or(0),
        });
        participant.request("onIceCandidate", params).await.map(|_| ())
    }

    async fn close_peer(&self, peer: &PeerId) -> DriverResult<()> {
        let participant = lock(&self.participants).remove(&peer.0);
        lock(&self.publishers).remove(&peer.0);
        match participant {
            Some(participant) => participant.request("leaveRoom", json!({})).await.map(|_| ()),
            None => Ok(()),
        }
    }

    async fn close_room(&self, _room: &RoomId) -> DriverResult<()> {
        // Every participant leaves (their sockets close as they are dropped); the session is the caller's.
        let all: Vec<_> = lock(&self.participants).drain().map(|(_, p)| p).collect();
        lock(&self.publishers).clear();
        for participant in all {
            if let Err(error) = participant.request("leaveRoom", json!({})).await {
                tracing::debug!(%error, "leaveRoom failed");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_session_and_socket() {
        let token = Token::parse("ws://127.0.0.1:4443?sessionId=bench&token=tok_AbC").unwrap();
        assert_eq!(token.session, "bench");
        assert_eq!(token.websocket, "ws://127.0.0.1:4443/openvidu?sessionId=bench");
        let with_path = Token::parse("wss://h.example/some/path?token=tok_X&sessionId=s1").unwrap();
        assert_eq!(with_path.websocket, "wss://h.example/openvidu?sessionId=s1");
        assert!(Token::parse("http://h?sessionId=s").is_err());
        assert!(Token::parse("ws://h?token=t").is_err());
        assert!(Token::parse("ws://h").is_err());
    }

    #[test]
    fn tokens_of_two_sessions_are_refused() {
        let a = "ws://h:1?sessionId=a&token=tok_1".to_string();
        let b = "ws://h:1?sessionId=b&token=tok_2".to_string();
        assert!(OpenViduDriver::new(&[a.clone(), a.clone()]).is_ok());
        assert!(OpenViduDriver::new(&[a, b]).is_err());
        assert!(OpenViduDriver::new(&[]).is_err());
    }

    #[test]
    fn answers_reach_their_request_and_candidates_their_channel() {
        let pending = Pending::default();
        let (sender, mut candidates) = mpsc::unbounded_channel();
        let (answer, mut outcome) = oneshot::channel();
        lock(&pending).insert(3, answer);
        deliver(
            r#"{"jsonrpc":"2.0","method":"iceCandidate","params":{"senderConnectionId":"con_A","endpointName":"con_A","candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
            &pending,
            &sender,
        );
        deliver(r#"{"jsonrpc":"2.0","id":3,"result":{"sdpAnswer":"v=0"}}"#, &pending, &sender);
        let found = candidates.try_recv().unwrap();
        assert_eq!((found.sdp_mid.as_deref(), found.sdp_mline_index), (Some("0"), Some(0)));
        assert_eq!(outcome.try_recv().unwrap().unwrap()["sdpAnswer"], "v=0");
        let (answer, mut failed) = oneshot::channel();
        lock(&pending).insert(4, answer);
        deliver(r#"{"jsonrpc":"2.0","id":4,"error":{"code":401,"message":"no"}}"#, &pending, &sender);
        assert!(failed.try_recv().unwrap().unwrap_err().contains("401"));
    }
}
