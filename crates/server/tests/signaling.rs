//! The `/openvidu` signaling websocket over real sockets: joining with REST tokens,
//! events between participants, signals, leaving, evictions and bad input.

mod common;

use std::time::Duration;

use common::{TestServer, start};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(10);

struct Client {
    socket: Socket,
    next_id: u64,
    /// Notifications received while waiting for responses.
    events: Vec<Value>,
}

impl Client {
    async fn open(server: &TestServer, session: &str) -> Client {
        let url = format!("{}/openvidu?sessionId={session}", server.base.replace("http", "ws"));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("websocket opens");
        Client { socket, next_id: 0, events: Vec::new() }
    }

    async fn send_raw(&mut self, text: &str) {
        self.socket.send(Message::text(text.to_string())).await.unwrap();
    }

    async fn next(&mut self) -> Option<Value> {
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await.ok()?? {
                Ok(Message::Text(text)) => return Some(serde_json::from_str(&text).unwrap()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Sends a request and returns its response (`result` or `error` object).
    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.send_raw(&frame.to_string()).await;
        loop {
            let frame = self.next().await.unwrap_or_else(|| panic!("no answer to {method}"));
            if frame["id"] == id {
                return frame;
            }
            self.events.push(frame);
        }
    }

    async fn ok(&mut self, method: &str, params: Value) -> Value {
        let frame = self.call(method, params).await;
        assert!(frame.get("error").is_none(), "{method} failed: {frame}");
        frame["result"].clone()
    }

    /// Waits for a notification `method` matching `check`.
    async fn event(&mut self, method: &str, check: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.events.iter().position(|e| e["method"] == method && check(&e["params"])) {
            return self.events.remove(index)["params"].clone();
        }
        loop {
            let frame = self.next().await.unwrap_or_else(|| panic!("socket ended before {method}"));
            if frame["method"] == method && check(&frame["params"]) {
                return frame["params"].clone();
            }
            self.events.push(frame);
        }
    }

    /// True once the server closed the socket.
    async fn closed(&mut self) -> bool {
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }
}

async fn session(server: &TestServer) -> String {
    server.post("/openvidu/api/sessions", "{}").await.json()["id"].as_str().unwrap().to_string()
}

async fn token(server: &TestServer, session: &str, body: &str) -> String {
    let reply = server.post(&format!("/openvidu/api/sessions/{session}/connection"), body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["token"].as_str().unwrap().to_string()
}

async fn join(server: &TestServer, session: &str, body: &str, metadata: &str) -> (Client, Value) {
    let token = token(server, session, body).await;
    let mut client = Client::open(server, session).await;
    let result = client
        .ok("joinRoom", json!({"token": token, "session": session, "platform": "test", "metadata": metadata, "sdkVersion": "2.32.2"}))
        .await;
    (client, result)
}

#[tokio::test]
async fn two_participants_join_see_each_other_and_exchange_signals() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let (mut alice, first) = join(&server, &session, r#"{"data":"server-a","role":"MODERATOR"}"#, "client-a").await;
    assert!(first["id"].as_str().unwrap().starts_with("con_"));
    assert_eq!(first["metadata"], "client-a%/%server-a");
    assert_eq!(first["value"], json!([]));
    assert_eq!(first["role"], "MODERATOR");
    assert_eq!(first["mediaServer"], "kurento");
    assert_eq!(first["session"], session.as_str());
    assert!(first["sessionId"].as_str().is_some_and(|s| s.len() >= 20), "rpc session id injected: {first}");
    assert!(first["customIceServers"].is_array());
    let (mut bob, second) = join(&server, &session, "{}", "").await;
    assert_eq!(second["value"][0]["id"], first["id"]);
    assert_eq!(second["value"][0]["metadata"], "client-a%/%server-a");
    assert_eq!(second["role"], "PUBLISHER");
    let bob_id = second["id"].as_str().unwrap().to_string();
    let joined = alice.event("participantJoined", |p| p["id"] == bob_id.as_str()).await;
    assert_eq!(joined["metadata"], "");

    // The session is placed on a media node at its first join.
    let placed = server.get(&format!("/openvidu/api/sessions/{session}")).await.json();
    assert!(placed["mediaNodeId"].as_str().is_some_and(|id| id.starts_with("media_")), "{placed}");
    assert_eq!(placed["connections"]["content"][0]["status"], "active");

    // Signals from a participant (to everyone, then to one) and from REST.
    let message = json!({"to": [], "type": "signal:chat", "data": "hello"}).to_string();
    alice.ok("sendMessage", json!({"message": message})).await;
    let got = bob.event("sendMessage", |p| p["data"] == "hello").await;
    assert_eq!((got["type"].as_str(), got["from"].as_str()), (Some("signal:chat"), first["id"].as_str()));
    alice.event("sendMessage", |p| p["data"] == "hello").await;
    let message = json!({"to": [bob_id], "type": "signal:dm", "data": "psst"}).to_string();
    alice.ok("sendMessage", json!({"message": message})).await;
    bob.event("sendMessage", |p| p["data"] == "psst").await;
    let unknown =
        alice.call("sendMessage", json!({"message": json!({"to": ["con_Nobody0000"], "data": "x"}).to_string()})).await;
    assert_eq!(unknown["error"]["code"], 601);
    let rest = server
        .post("/openvidu/api/signal", &json!({"session": session, "type": "rest", "data": "from server"}).to_string())
        .await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    let got = bob.event("sendMessage", |p| p["data"] == "from server").await;
    assert!(got.get("from").is_none(), "REST signals have no sender: {got}");

    // Leaving: the other gets participantLeft; the last one out closes the session.
    bob.ok("leaveRoom", json!({})).await;
    let left = alice.event("participantLeft", |p| p["connectionId"] == bob_id.as_str()).await;
    assert_eq!(left["reason"], "disconnect");
    alice.ok("leaveRoom", json!({})).await;
    assert_eq!(server.get(&format!("/openvidu/api/sessions/{session}")).await.status, 404);
}

#[tokio::test]
async fn tokens_are_single_use_and_bound_to_their_session() {
    let server = start(&[]).await;
    let (one, other) = (session(&server).await, session(&server).await);
    let used = token(&server, &one, "{}").await;
    let mut first = Client::open(&server, &one).await;
    first.ok("joinRoom", json!({"token": used, "session": one})).await;
    for (token, session) in [(used.clone(), one.clone()), ("tok_Forged0000000000".to_string(), one.clone())] {
        let mut client = Client::open(&server, &session).await;
        let reply = client.call("joinRoom", json!({"token": token, "session": session})).await;
        assert_eq!(reply["error"]["code"], 401, "{reply}");
        assert!(reply["error"]["message"].as_str().unwrap().contains("is not valid"), "{reply}");
    }
    let foreign = token(&server, &other, "{}").await;
    let mut client = Client::open(&server, &one).await;
    let reply = client.call("joinRoom", json!({"token": foreign, "session": one})).await;
    assert_eq!(reply["error"]["code"], 401, "{reply}");
    // The legitimate participant is undisturbed.
    first.ok("echo", json!({})).await;
}

#[tokio::test]
async fn bad_input_gets_precise_errors_and_disturbs_nobody() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let mut stranger = Client::open(&server, &session).await;
    let pong = stranger.call("ping", json!({"interval": 5000})).await;
    assert_eq!(pong["result"], json!({"value": "pong"}));
    assert_eq!(stranger.call("sendMessage", json!({"message": "{}"})).await["error"]["code"], 803);
    assert_eq!(stranger.call("noSuchMethod", json!({})).await["error"]["code"], -32601);
    stranger.send_raw("{not json").await;
    assert_eq!(stranger.next().await.unwrap()["error"]["code"], -32700);
    assert_eq!(
        stranger.call("connect", json!({"sessionId": "unknown", "reconnect": true})).await["error"]["code"],
        40007
    );

    let (mut member, _) = join(&server, &session, "{}", "").await;
    let filter = member.call("applyFilter", json!({"streamId": "x", "type": "GStreamerFilter"})).await;
    assert!(filter["error"]["message"].as_str().unwrap().contains("Filters"), "{filter}");
    assert_eq!(member.call("sendMessage", json!({"message": "not json"})).await["error"]["code"], 600);
    assert_eq!(member.call("forceDisconnect", json!({"connectionId": "x"})).await["error"]["code"], 401);
    assert_eq!(member.call("joinRoom", json!({"token": "t", "session": session})).await["error"]["code"], 999);
    member.ok("echo", json!({})).await;
}

#[tokio::test]
async fn rest_deletions_reach_the_participants_with_their_reasons() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let (mut alice, _) = join(&server, &session, "{}", "").await;
    let (mut bob, second) = join(&server, &session, "{}", "").await;
    let bob_id = second["id"].as_str().unwrap().to_string();
    let reply = server.call("DELETE", &format!("/openvidu/api/sessions/{session}/connection/{bob_id}"), None).await;
    assert_eq!(reply.status, 204);
    let left = alice.event("participantLeft", |p| p["connectionId"] == bob_id.as_str()).await;
    assert_eq!(left["reason"], "forceDisconnectByServer");
    let evicted = bob.event("participantEvicted", |p| p["connectionId"] == bob_id.as_str()).await;
    assert_eq!(evicted["reason"], "forceDisconnectByServer");
    assert!(bob.closed().await, "the evicted participant's socket closes");

    assert_eq!(server.call("DELETE", &format!("/openvidu/api/sessions/{session}"), None).await.status, 204);
    let closed = alice.event("participantEvicted", |_| true).await;
    assert_eq!(closed["reason"], "sessionClosedByServer");
    assert!(alice.closed().await);
}

#[tokio::test]
async fn a_moderator_can_force_a_disconnect() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let (mut moderator, _) = join(&server, &session, r#"{"role":"MODERATOR"}"#, "").await;
    let (mut target, joined) = join(&server, &session, r#"{"role":"SUBSCRIBER"}"#, "").await;
    let target_id = joined["id"].as_str().unwrap().to_string();
    moderator.ok("forceDisconnect", json!({"connectionId": target_id})).await;
    let evicted = target.event("participantEvicted", |p| p["connectionId"] == target_id.as_str()).await;
    assert_eq!(evicted["reason"], "forceDisconnectByUser");
    assert!(target.closed().await);
}

#[tokio::test]
async fn the_watchdog_evicts_a_client_that_stops_pinging() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let (mut watcher, _) = join(&server, &session, "{}", "").await;
    let (mut silent, joined) = join(&server, &session, "{}", "").await;
    let silent_id = joined["id"].as_str().unwrap().to_string();
    // One ping naming a short interval, then nothing: evicted after three missed intervals.
    silent.call("ping", json!({"interval": 300})).await;
    let left = watcher.event("participantLeft", |p| p["connectionId"] == silent_id.as_str()).await;
    assert_eq!(left["reason"], "networkDisconnect");
    assert!(silent.closed().await);
}

#[tokio::test]
async fn rest_role_and_record_changes_reach_the_client() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let (mut client, joined) = join(&server, &session, r#"{"role":"PUBLISHER","record":true}"#, "").await;
    let id = joined["id"].as_str().unwrap();
    let path = format!("/openvidu/api/sessions/{session}/connection/{id}");
    let reply = server.call("PATCH", &path, Some(r#"{"role":"MODERATOR","record":false}"#)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let role = client.event("connectionPropertyChanged", |p| p["property"] == "role").await;
    assert_eq!(role["newValue"], "MODERATOR");
    let record = client.event("connectionPropertyChanged", |p| p["property"] == "record").await;
    assert_eq!(record["newValue"], false);
    // Now a moderator: forcing is allowed (the target must exist, so a bad id is 102, not 401).
    let forced = client.call("forceDisconnect", json!({"connectionId": "con_Nobody0000"})).await;
    assert_eq!(forced["error"]["code"], 102, "{forced}");
}

#[tokio::test]
async fn two_nodes_share_the_sessions_and_a_drain_completes_when_the_last_participant_leaves() {
    use common::media_node::NodeProcess;
    let server = start(&[("PLENUM_EMBEDDED_MEDIA_NODE", "false")]).await;
    let nodes = [NodeProcess::start(), NodeProcess::start()];
    for node in &nodes {
        let reply = server.post("/openvidu/api/media-nodes", &json!({"uri": node.uri}).to_string()).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let (first, second) = (session(&server).await, session(&server).await);
    let (mut alice, _) = join(&server, &first, "{}", "").await;
    let (_bob, _) = join(&server, &second, "{}", "").await;
    let node_of = |body: Value| body["mediaNodeId"].as_str().unwrap().to_string();
    let first_node = node_of(server.get(&format!("/openvidu/api/sessions/{first}")).await.json());
    let second_node = node_of(server.get(&format!("/openvidu/api/sessions/{second}")).await.json());
    assert_ne!(first_node, second_node, "the two sessions must land on different nodes");

    let drain = server
        .call("DELETE", &format!("/openvidu/api/media-nodes/{first_node}?deletion-strategy=when-no-sessions"), None)
        .await;
    assert_eq!(drain.status, 202, "{}", drain.text);
    // A new session cannot go to the draining node.
    let third = session(&server).await;
    let (_carol, _) = join(&server, &third, "{}", "").await;
    assert_eq!(node_of(server.get(&format!("/openvidu/api/sessions/{third}")).await.json()), second_node);

    alice.ok("leaveRoom", json!({})).await;
    let deadline = std::time::Instant::now() + WAIT;
    while server.get(&format!("/openvidu/api/media-nodes/{first_node}")).await.status != 404 {
        assert!(std::time::Instant::now() < deadline, "the drained node was not removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_secret_join_is_a_hidden_subscriber() {
    let server = start(&[]).await;
    let mut wrong = Client::open(&server, "recorded").await;
    let refused = wrong.call("joinRoom", json!({"token": "", "session": "recorded", "secret": "nope"})).await;
    assert_eq!(refused["error"]["code"], 401, "{refused}");

    // The session does not exist yet: the secret join creates it.
    let mut recorder = Client::open(&server, "recorded").await;
    let joined = recorder
        .ok("joinRoom", json!({"token": "wss://x?sessionId=recorded&secret=TEST_SECRET&recorder=true", "session": "recorded", "secret": common::SECRET, "recorder": true}))
        .await;
    assert_eq!((joined["id"].as_str(), joined["role"].as_str()), (Some("RECORDER"), Some("SUBSCRIBER")));
    let session = server.get("/openvidu/api/sessions/recorded").await.json();
    assert_eq!(session["recordingMode"], "ALWAYS");

    let (mut alice, alice_joined) = join(&server, "recorded", "{}", "alice").await;
    assert_eq!(alice_joined["value"], json!([]), "the hidden participant is not listed");
    let listed = server.get("/openvidu/api/sessions/recorded").await.json();
    assert_eq!(listed["connections"]["numberOfElements"], 1, "REST does not show it either: {listed}");
    // It hears what everyone hears, and cannot publish.
    alice.ok("sendMessage", json!({"message": json!({"data": "to all"}).to_string()})).await;
    recorder.event("sendMessage", |p| p["data"] == "to all").await;
    assert_eq!(recorder.call("publishVideo", json!({"sdpOffer": "v=0"})).await["error"]["code"], 401);
    // Its leaving tells nobody, and alice leaving still closes the session.
    recorder.ok("leaveRoom", json!({})).await;
    alice.ok("echo", json!({})).await;
    assert!(alice.events.iter().all(|e| e["method"] != "participantLeft"), "{:?}", alice.events);
    alice.ok("leaveRoom", json!({})).await;
    assert_eq!(server.get("/openvidu/api/sessions/recorded").await.status, 404);
}

#[tokio::test]
async fn an_invalid_token_is_named_as_the_client_sent_it() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let url = format!("ws://127.0.0.1:4443?sessionId={session}&token=tok_Forged0000000000");
    let mut client = Client::open(&server, &session).await;
    let reply = client.call("joinRoom", json!({"token": url, "session": session})).await;
    assert_eq!(reply["error"]["code"], 401, "{reply}");
    assert_eq!(reply["error"]["message"], format!("Unable to join session {session}. Token {url} is not valid"));
}

#[tokio::test]
async fn a_restart_evicts_the_participants_of_the_sessions_it_closes() {
    let server = start(&[]).await;
    let session = session(&server).await;
    let (mut alice, joined) = join(&server, &session, "{}", "").await;
    let reply = server.post("/openvidu/api/restart", r#"{"OPENVIDU_SESSIONS_GARBAGE_THRESHOLD": "3000"}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let evicted = alice.event("participantEvicted", |_| true).await;
    assert_eq!(evicted["connectionId"], joined["id"]);
    assert_eq!(evicted["reason"], "openviduServerStopped");
    assert!(alice.closed().await, "then the socket closes");
    assert_eq!(server.get(&format!("/openvidu/api/sessions/{session}")).await.status, 404);
}
