//! Media node crashes against real `plenum-media-node` processes (peer study §1.7):
//! a killed node is given up after `OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT` with
//! `nodeCrashed` and its sessions closed; a stopped-and-continued or restarted node
//! recovers; and the liveness/readiness probes.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::media_node::NodeProcess;
use common::{TestServer, start};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long to wait for something that should happen promptly.
const WAIT: Duration = Duration::from_secs(10);

async fn cluster(timeout_s: &str) -> (TestServer, tempfile::TempDir) {
    let cdr = tempfile::tempdir().unwrap();
    let path = cdr.path().display().to_string();
    let server = start(&[
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
        ("OPENVIDU_CDR", "true"),
        ("OPENVIDU_CDR_PATH", &path),
        ("OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT", timeout_s),
    ])
    .await;
    (server, cdr)
}

async fn add_node(server: &TestServer, uri: &str) -> String {
    let reply = server.post("/openvidu/api/media-nodes", &json!({"uri": uri}).to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["id"].as_str().unwrap().to_string()
}

fn signal(node: &NodeProcess, name: &str) {
    let status = Command::new("kill").args([&format!("-{name}"), &node.child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill -{name}");
}

/// The CDR lines so far, as `(event name, fields)`.
fn cdr(dir: &tempfile::TempDir) -> Vec<(String, Value)> {
    let Some(file) = std::fs::read_dir(dir.path()).unwrap().filter_map(Result::ok).next() else { return Vec::new() };
    let text = std::fs::read_to_string(file.path()).unwrap();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|v| v.as_object()?.iter().next().map(|(name, fields)| (name.clone(), fields.clone())))
        .collect()
}

/// Polls until `check` holds, up to `limit`; returns how long it took.
async fn until(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let began = Instant::now();
    loop {
        if check().await {
            return began.elapsed();
        }
        assert!(began.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn has_event(dir: &tempfile::TempDir, name: &str, id: &str) -> bool {
    cdr(dir).iter().any(|(n, f)| n == name && f["id"] == id)
}

async fn node_connected(server: &TestServer, id: &str) -> bool {
    server.get(&format!("/openvidu/api/media-nodes/{id}")).await.json()["connected"] == true
}

/// One participant joined by websocket to a session placed on `node`.
struct Participant {
    socket: Socket,
    connection: String,
}

impl Participant {
    async fn join(server: &TestServer, session: &str, node: &str) -> Participant {
        let body = json!({"customSessionId": session, "mediaNode": {"id": node}}).to_string();
        assert_eq!(server.post("/openvidu/api/sessions", &body).await.status, 200);
        let token = server.connection(session, "{}").await["token"].as_str().unwrap().to_string();
        let url = format!("{}/openvidu?sessionId={session}", server.base.replace("http", "ws"));
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let params =
            json!({"token": token, "session": session, "platform": "test", "metadata": "", "sdkVersion": "2.32.2"});
        let frame = json!({"jsonrpc": "2.0", "id": 1, "method": "joinRoom", "params": params});
        socket.send(Message::text(frame.to_string())).await.unwrap();
        let mut participant = Participant { socket, connection: String::new() };
        let answer = participant.next_where(|f| f["id"] == 1).await.expect("joinRoom answered");
        participant.connection = answer["result"]["id"].as_str().expect("joined").to_string();
        participant
    }

    /// The next frame matching `check`, or `None` when the socket ends first.
    async fn next_where(&mut self, check: impl Fn(&Value) -> bool) -> Option<Value> {
        loop {
            match tokio::time::timeout(WAIT, self.socket.next()).await.ok()?? {
                Ok(Message::Text(text)) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if check(&frame) {
                        return Some(frame);
                    }
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }
}

async fn session_listed(server: &TestServer, session: &str) -> bool {
    server.get(&format!("/openvidu/api/sessions/{session}")).await.status == 200
}

#[tokio::test]
async fn a_killed_node_crashes_after_the_timeout_and_its_sessions_close_with_node_crashed() {
    let (server, dir) = cluster("3").await;
    let state = server.server.as_ref().unwrap().state.clone();
    let mut doomed = NodeProcess::start();
    let healthy = NodeProcess::start();
    let doomed_id = add_node(&server, &doomed.uri).await;
    let healthy_id = add_node(&server, &healthy.uri).await;
    let mut victim = Participant::join(&server, "doomed", &doomed_id).await;
    let mut survivor = Participant::join(&server, "healthy", &healthy_id).await;
    assert_eq!(state.cluster().registry().host_of("doomed"), Some(doomed_id.as_str()));

    doomed.kill();
    let killed = Instant::now();
    let lost = until(WAIT, "the loss noticed", async || !node_connected(&server, &doomed_id).await).await;
    until(Duration::from_secs(6), "nodeCrashed in the CDR", async || has_event(&dir, "nodeCrashed", &doomed_id)).await;
    let crashed = killed.elapsed();
    println!("SIGKILL: link lost after {lost:?}, nodeCrashed in the CDR after {crashed:?} (timeout 3 s)");
    assert!(lost < Duration::from_secs(3), "detection took {lost:?}");
    assert!(crashed < Duration::from_secs(6), "nodeCrashed after {crashed:?}");

    let evicted = victim.next_where(|f| f["method"] == "participantEvicted").await.expect("told of the crash");
    assert_eq!(evicted["params"]["reason"], "nodeCrashed");
    assert_eq!(evicted["params"]["connectionId"], victim.connection.as_str());
    assert!(victim.next_where(|_| false).await.is_none(), "the socket is closed");

    until(WAIT, "the node forgotten", async || {
        server.get(&format!("/openvidu/api/media-nodes/{doomed_id}")).await.status == 404
    })
    .await;
    assert!(!session_listed(&server, "doomed").await);
    let listed = server.get("/openvidu/api/sessions").await.json();
    let ids: Vec<&str> = listed["content"].as_array().unwrap().iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["healthy"]);
    assert_eq!(server.get("/openvidu/api/sessions/doomed/connection").await.status, 404);

    // Nothing dangling in the master.
    assert!(!state.conference().store().sessions().any(|s| s.id == "doomed"));
    assert!(state.hub().members("doomed").is_empty());
    until(WAIT, "the media record released", async || !state.media().has_session("doomed")).await;
    assert_eq!(state.cluster().registry().host_of("doomed"), None);
    assert!(state.cluster().registry().get(&doomed_id).is_err());
    assert!(state.cluster().client(&doomed_id).is_none());

    // The CDR: nodeCrashed, the session's end events with nodeCrashed, then terminating, terminated.
    until(WAIT, "terminated in the CDR", async || {
        cdr(&dir).iter().any(|(n, f)| n == "mediaNodeStatusChanged" && f["newStatus"] == "terminated")
    })
    .await;
    let lines = cdr(&dir);
    let after: Vec<(String, Value)> = lines
        .iter()
        .skip_while(|(n, _)| n != "nodeCrashed")
        .filter(|(n, f)| n != "mediaNodeStatusChanged" || f["id"] == doomed_id.as_str())
        .cloned()
        .collect();
    let names: Vec<&str> = after.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["nodeCrashed", "participantLeft", "sessionDestroyed", "mediaNodeStatusChanged", "mediaNodeStatusChanged"]
    );
    let crash = &after[0].1;
    assert_eq!(crash["id"], doomed_id.as_str());
    assert_eq!(crash["uri"], doomed.uri.as_str());
    assert_eq!(crash["nodeRole"], "medianode");
    assert_eq!(crash["sessionIds"], json!(["doomed"]));
    assert_eq!(crash["recordingIds"], json!([]));
    assert_eq!(crash["broadcasts"], json!([]));
    assert!(crash["timeOfDisconnection"].as_u64().unwrap() <= crash["timestamp"].as_u64().unwrap() - 3_000);
    for (_, fields) in &after[1..3] {
        assert_eq!(fields["reason"], "nodeCrashed");
        assert_eq!(fields["sessionId"], "doomed");
    }
    let statuses: Vec<(&Value, &Value)> = after[3..].iter().map(|(_, f)| (&f["oldStatus"], &f["newStatus"])).collect();
    assert_eq!(statuses, [(&json!("running"), &json!("terminating")), (&json!("terminating"), &json!("terminated"))]);

    // The other node and its session are untouched.
    assert!(session_listed(&server, "healthy").await);
    assert!(node_connected(&server, &healthy_id).await);
    let connections = server.get("/openvidu/api/sessions/healthy/connection").await.json();
    assert_eq!(connections["content"][0]["status"], "active");
    assert!(!cdr(&dir).iter().any(|(_, f)| f["sessionId"] == "healthy" && f.get("reason").is_some()));
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {}});
    survivor.socket.send(Message::text(ping.to_string())).await.unwrap();
    assert!(survivor.next_where(|f| f["id"] == 7).await.is_some(), "the other participant is still served");
    server.stop().await;
}

#[tokio::test]
async fn a_node_stopped_and_continued_within_the_timeout_recovers_with_its_sessions() {
    let (server, dir) = cluster("10").await;
    let node = NodeProcess::start();
    let id = add_node(&server, &node.uri).await;
    let mut participant = Participant::join(&server, "paused", &id).await;

    signal(&node, "STOP");
    let lost = until(WAIT, "the hung node noticed", async || !node_connected(&server, &id).await).await;
    println!("SIGSTOP: link lost after {lost:?} (pings)");
    assert!(lost < Duration::from_secs(3), "detection took {lost:?}");
    let ready = server.raw("GET", "/plenum/ready", None, None).await;
    assert_eq!(ready.status, 503, "{}", ready.text);
    signal(&node, "CONT");

    let back = until(WAIT, "nodeRecovered", async || has_event(&dir, "nodeRecovered", &id)).await;
    println!("SIGCONT: nodeRecovered after {back:?}");
    assert!(node_connected(&server, &id).await);
    assert!(!cdr(&dir).iter().any(|(n, _)| n == "nodeCrashed" || n == "sessionDestroyed"));
    assert!(session_listed(&server, "paused").await);
    let connections = server.get("/openvidu/api/sessions/paused/connection").await.json();
    assert_eq!(connections["content"][0]["status"], "active");
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {}});
    participant.socket.send(Message::text(ping.to_string())).await.unwrap();
    assert!(participant.next_where(|f| f["id"] == 7).await.is_some());
    assert_eq!(server.raw("GET", "/plenum/ready", None, None).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn a_node_restarted_on_its_port_within_the_timeout_recovers_and_keeps_its_sessions() {
    let (server, dir) = cluster("10").await;
    let mut node = NodeProcess::start();
    let id = add_node(&server, &node.uri).await;
    let _participant = Participant::join(&server, "restarted", &id).await;
    let port = node.uri.trim_start_matches("ws://127.0.0.1:").split('/').next().unwrap().to_string();

    node.kill();
    until(WAIT, "the loss noticed", async || !node_connected(&server, &id).await).await;
    let again = NodeProcess::start_on(&format!("127.0.0.1:{port}"));
    assert_eq!(again.uri, node.uri);
    let back = until(WAIT, "nodeRecovered", async || has_event(&dir, "nodeRecovered", &id)).await;
    println!("restart: nodeRecovered {back:?} after the new process listened");
    assert!(!cdr(&dir).iter().any(|(n, _)| n == "nodeCrashed" || n == "sessionDestroyed"));
    assert!(session_listed(&server, "restarted").await);
    server.stop().await;
}

#[tokio::test]
async fn with_no_limit_a_lost_node_is_never_given_up() {
    let (server, dir) = cluster("-1").await;
    let mut node = NodeProcess::start();
    let id = add_node(&server, &node.uri).await;
    let _participant = Participant::join(&server, "patient", &id).await;
    node.kill();
    until(WAIT, "the loss noticed", async || !node_connected(&server, &id).await).await;
    // Past the shortest timeout there is: still waiting.
    let waited = Instant::now();
    until(WAIT, "four seconds", async || waited.elapsed() > Duration::from_secs(4)).await;
    assert!(!has_event(&dir, "nodeCrashed", &id));
    assert!(session_listed(&server, "patient").await);
    assert_eq!(server.get(&format!("/openvidu/api/media-nodes/{id}")).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn liveness_ignores_nodes_and_webhooks_and_readiness_follows_placeable_nodes() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hook = format!("http://127.0.0.1:{closed}/webhook");
    let server = start(&[
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
        ("OPENVIDU_WEBHOOK", "true"),
        ("OPENVIDU_WEBHOOK_ENDPOINT", &hook),
        ("OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT", "-1"),
    ])
    .await;
    let probe = async |path: &str| server.raw("GET", path, None, None).await;
    let live = probe("/plenum/live").await;
    assert_eq!((live.status.as_u16(), live.json()["status"].clone()), (200, json!("UP")));
    let ready = probe("/plenum/ready").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["status"], "NOT_READY");
    assert_eq!(ready.json()["reason"], "No media node is running and connected");

    let mut node = NodeProcess::start();
    let id = add_node(&server, &node.uri).await;
    assert_eq!(probe("/plenum/ready").await.json(), json!({"status": "READY"}));
    // Events go to a webhook nobody listens on: the process is still alive.
    server.session("hooked").await;
    node.kill();
    until(WAIT, "the loss noticed", async || !node_connected(&server, &id).await).await;
    assert_eq!(probe("/plenum/live").await.status, 200);
    let ready = probe("/plenum/ready").await;
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["mediaNodes"], json!([{"id": id, "status": "running", "connected": false}]));
    // OpenVidu's own health answer is unchanged.
    assert_eq!(server.get("/openvidu/api/health").await.json()["status"], "DOWN");
    server.stop().await;
}
