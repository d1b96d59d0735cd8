//! Recordings over real HTTP and signaling: the REST codes, ids, statuses and
//! events, notifications, `recordingMode: ALWAYS`, the automatic stop,
//! `record: false`, persistence across a restart of the master, file serving.
//!
//! The media node is a real `plenum-media-node` process added by URI: a remote
//! node with its own recording root, whose files the master pulls over its
//! control port. Publishers are `plenum-loadtest` clients joining with tokens
//! (its VP8 clip and Opus, real WebRTC); the scripted participants beside them
//! watch the notifications.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::media_node::NodeProcess;
use common::media_publisher::MediaPublisher;
use common::*;
use futures_util::{SinkExt, StreamExt};
use plenum::events::Subscription;
use plenum::recorder::disk;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(20);

/// The tests of this file run one at a time: each encodes real media on a real node,
/// and two machine cores shared by several would starve them.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Setup {
    _turn: tokio::sync::MutexGuard<'static, ()>,
    server: TestServer,
    node: NodeProcess,
    node_root: tempfile::TempDir,
    path: PathBuf,
    events: Subscription,
}

async fn setup_in(path: &Path, extra: &[(&str, &str)]) -> Setup {
    let turn = ONE_AT_A_TIME.lock().await;
    let node_root = tempfile::tempdir().unwrap();
    let node = NodeProcess::start_recording(node_root.path(), SECRET);
    let path_text = path.display().to_string();
    let mut settings = vec![
        ("OPENVIDU_RECORDING", "true"),
        ("OPENVIDU_RECORDING_PATH", path_text.as_str()),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
    ];
    settings.extend_from_slice(extra);
    let server = start(&settings).await;
    let events = server.server.as_ref().unwrap().state.events().subscribe();
    let added = server.post("/openvidu/api/media-nodes", &json!({"uri": node.uri}).to_string()).await;
    assert_eq!(added.status, 200, "{}", added.text);
    Setup { _turn: turn, server, node, node_root, path: path.to_path_buf(), events }
}

/// What ffprobe says of a file: `codec_type:codec_name[:WxH]` per stream, sorted.
fn probe(file: &Path) -> Vec<String> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe runs");
    assert!(output.status.success(), "ffprobe {}: {}", file.display(), String::from_utf8_lossy(&output.stderr));
    let mut streams: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            // ffprobe prints codec_name,codec_type[,width,height].
            let mut fields: Vec<&str> = line.split(',').filter(|f| !f.is_empty()).collect();
            fields.swap(0, 1);
            fields.join(":")
        })
        .collect();
    streams.sort();
    streams
}

/// A participant on the signaling websocket.
struct Participant {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    next_id: u64,
    events: Vec<Value>,
    pub connection: String,
}

impl Participant {
    async fn join(server: &TestServer, session: &str, body: &str) -> Participant {
        let connection = server.connection(session, body).await;
        let url = format!("{}/openvidu?sessionId={session}", server.base.replace("http", "ws"));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut me = Participant { socket, next_id: 0, events: Vec::new(), connection: String::new() };
        let token = connection["token"].as_str().unwrap();
        let joined =
            me.ok("joinRoom", json!({"token": token, "session": session, "platform": "test", "metadata": "m"})).await;
        me.connection = joined["id"].as_str().unwrap().to_string();
        me
    }

    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next()).await.expect("a frame in time");
            if let Some(Ok(Message::Text(text))) = frame {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    async fn ok(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let frame = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.socket.send(Message::text(frame.to_string())).await.unwrap();
        loop {
            let frame = self.next().await;
            if frame["id"] == id {
                assert!(frame.get("error").is_none(), "{method}: {frame}");
                return frame["result"].clone();
            }
            self.events.push(frame);
        }
    }

    /// Waits for the notification `method`.
    async fn event(&mut self, method: &str) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["method"] == method) {
            return self.events.remove(i)["params"].clone();
        }
        loop {
            let frame = self.next().await;
            if frame["method"] == method {
                return frame["params"].clone();
            }
            self.events.push(frame);
        }
    }

    /// Whether `method` arrived among what came so far (after a round trip).
    async fn got(&mut self, method: &str) -> bool {
        self.ok("echo", json!({})).await;
        self.events.iter().any(|e| e["method"] == method)
    }
}

/// Waits until the node has written more than `bytes` of `file` (under its root).
async fn node_wrote(s: &Setup, file: &str, bytes: u64) {
    let path = s.node_root.path().join(file);
    // Generous: on a loaded machine the first fragment of an encoded file takes its time.
    let deadline = tokio::time::Instant::now() + 3 * WAIT;
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) <= bytes {
        assert!(tokio::time::Instant::now() < deadline, "the node never wrote {}", path.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The `recordingStatusChanged` statuses (with reasons) published so far.
async fn statuses_until(events: &mut Subscription, last: &str) -> Vec<(String, Value)> {
    let mut seen = Vec::new();
    loop {
        let record = tokio::time::timeout(WAIT, events.recv()).await.expect("an event in time").expect("bus open");
        if record.event.name() != "recordingStatusChanged" {
            continue;
        }
        let fields = record.fields();
        let status = fields["status"].as_str().unwrap().to_string();
        seen.push((status.clone(), fields.get("reason").cloned().unwrap_or(Value::Null)));
        if status == last {
            return seen;
        }
    }
}

/// Polls GET until `check` holds (a condition, not a fixed sleep).
async fn wait_for(server: &TestServer, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let reply = server.get(path).await;
        if reply.status == 200 && check(&reply.json()) {
            return reply.json();
        }
        assert!(tokio::time::Instant::now() < deadline, "{path} never matched: {}", reply.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn individual_recording_lifecycle_ids_events_files_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = setup_in(dir.path(), &[("OPENVIDU_RECORDING_NOTIFICATION", "publisher_moderator")]).await;
    let server = &s.server;
    server.session("s").await;
    // Publishers are told under publisher_moderator, subscribers are not.
    let mut watcher = Participant::join(server, "s", r#"{"role":"PUBLISHER"}"#).await;
    let mut sub = Participant::join(server, "s", r#"{"role":"SUBSCRIBER"}"#).await;
    let alice = MediaPublisher::start(server, "s", r#"{"data":"alice-data"}"#).await;
    let bob = MediaPublisher::start(server, "s", r#"{"record":false}"#).await;
    let alice_stream = alice.stream.clone();

    for base in families("/recordings") {
        let start = format!("{base}/start");
        assert_eq!(server.post(&start, r#"{"session":"s","recordingLayout":"CUSTOM"}"#).await.status, 501);
        assert_eq!(server.post(&start, r#"{"session":"s","frameRate":500}"#).await.status, 422);
        assert_eq!(server.post(&start, r#"{"session":"s","outputMode":"WRONG"}"#).await.status, 400);
    }
    let started = server.post("/openvidu/api/recordings/start", r#"{"session":"s","outputMode":"INDIVIDUAL"}"#).await;
    assert_eq!(started.status, 200, "{}", started.text);
    let recording = started.json();
    assert_eq!((recording["id"].as_str(), recording["status"].as_str()), (Some("s"), Some("started")));
    assert_eq!(recording["url"], Value::Null);
    assert_eq!(server.post("/api/recordings/start", r#"{"session":"s"}"#).await.status, 409, "already recording");
    assert_eq!(server.get("/openvidu/api/sessions/s").await.json()["recording"], true);
    let nodes = server.get("/openvidu/api/media-nodes?recordings=true").await.json();
    assert_eq!(nodes["content"][0]["recordingIds"], json!(["s"]));
    assert_eq!(watcher.event("recordingStarted").await, json!({"id": "s", "name": "s"}));
    assert!(!sub.got("recordingStarted").await, "subscribers are not told under publisher_moderator");

    node_wrote(&s, &format!("s/{alice_stream}.webm"), 20_000).await;
    let stopped = server.post("/openvidu/api/recordings/stop/s", "").await;
    assert_eq!(stopped.status, 200, "{}", stopped.text);
    let recording = stopped.json();
    assert_eq!(recording["status"], "ready");
    assert!(recording["url"].as_str().unwrap().ends_with("/openvidu/recordings/s/s.zip"), "{recording}");
    assert!(recording["size"].as_u64().unwrap() > 0);
    let reason = watcher.event("recordingStopped").await;
    assert_eq!(reason["reason"], "recordingStoppedByServer");
    assert_eq!(server.post("/api/recordings/stop/s", "").await.status, 409);
    assert_eq!(server.post("/api/recordings/stop/nope", "").await.status, 404);
    let statuses = statuses_until(&mut s.events, "ready").await;
    let names: Vec<&str> = statuses.iter().map(|(status, _)| status.as_str()).collect();
    assert_eq!(names, ["started", "stopped", "ready"]);
    assert_eq!(statuses[1].1, "recordingStoppedByServer");

    // The zip holds alice's stream (not bob's: record false) and the sync file; the node kept nothing.
    let zip = std::fs::File::open(s.path.join("s").join("s.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(zip).unwrap();
    let mut names: Vec<String> = archive.file_names().filter_map(Result::ok).map(|n| n.to_string()).collect();
    names.sort();
    assert_eq!(names, ["s.json".to_string(), format!("{alice_stream}.webm")]);
    let webm = s.path.join("s").join(format!("{alice_stream}.webm"));
    let streams = probe(&webm);
    assert_eq!(streams.len(), 2, "{streams:?}");
    assert!(streams[0] == "audio:opus" && streams[1].starts_with("video:vp8:"), "not transcoded: {streams:?}");
    assert!(!s.node_root.path().join("s").exists(), "the node's copies are deleted once pulled");
    let sync: Value = serde_json::from_reader(archive.by_name("s.json").unwrap()).unwrap();
    assert_eq!(sync["files"][0]["serverData"], "alice-data");
    assert_eq!(sync["files"][0]["connectionId"], alice.connection.as_str());
    assert!(sync["files"][0]["endTimeOffset"].as_u64() >= sync["files"][0]["startTimeOffset"].as_u64());

    // The next recording of the session is s~1; its metadata file follows its status.
    let again = server.post("/openvidu/api/recordings/start", r#"{"session":"s","outputMode":"INDIVIDUAL"}"#).await;
    assert_eq!(again.json()["id"], "s~1");
    assert_eq!(server.call("DELETE", "/openvidu/api/recordings/s~1", None).await.status, 409, "in progress");
    let metadata = s.path.join("s~1").join(".recording.s~1");
    let written: Value = serde_json::from_slice(&std::fs::read(&metadata).unwrap()).unwrap();
    assert_eq!(written["status"], "started");
    node_wrote(&s, &format!("s~1/{alice_stream}.webm"), 20_000).await;
    assert_eq!(server.post("/openvidu/api/recordings/stop/s~1", "").await.json()["status"], "ready");
    let written: Value = serde_json::from_slice(&std::fs::read(&metadata).unwrap()).unwrap();
    assert_eq!(written["status"], "ready");
    let list = server.get("/openvidu/api/recordings").await.json();
    assert_eq!(list["count"], 2);

    // Files: authenticated, ranges, no way out of the folder.
    let file = "/openvidu/recordings/s~1/s~1.zip";
    assert_eq!(server.raw("GET", file, None, None).await.status, 401);
    assert_eq!(server.get(file).await.status, 200);
    let ranged = server.client.get(format!("{}{file}", server.base)).basic_auth("OPENVIDUAPP", Some(SECRET));
    let ranged = ranged.header("Range", "bytes=0-9").send().await.unwrap();
    assert_eq!(ranged.status(), 206);
    assert_eq!(ranged.bytes().await.unwrap().len(), 10);
    for bad in [
        "/openvidu/recordings/s~1/..%2f..%2fetc",
        "/openvidu/recordings/s~1/.recording.s~1",
        "/openvidu/recordings/..%2Fs~1/s~1.zip",
        "/openvidu/recordings/s~1/%2e%2e",
    ] {
        let status = server.get(bad).await.status;
        assert!(status == 400 || status == 404, "{bad}: {status}");
    }
    assert_eq!(server.get("/openvidu/recordings/s~1/nope.mp4").await.status, 404);
    assert_eq!(server.get("/recordings/s~1/s~1.zip").await.status, 200, "the 2.13 path");

    // Delete removes the folder.
    assert_eq!(server.call("DELETE", "/api/recordings/s", None).await.status, 204);
    assert!(!s.path.join("s").exists());
    assert_eq!(server.call("DELETE", "/api/recordings/s", None).await.status, 404);
    assert_eq!(server.get("/openvidu/api/recordings/s").await.status, 404);
    drop((watcher, sub));
    alice.leave().await;
    bob.leave().await;
    s.server.stop().await;
}

#[tokio::test]
async fn composed_recording_codes_and_start_failures() {
    let dir = tempfile::tempdir().unwrap();
    let s = setup_in(dir.path(), &[]).await;
    let server = &s.server;
    server.session("c").await;
    assert_eq!(server.post("/openvidu/api/recordings/start", r#"{"session":"c"}"#).await.status, 406);
    let alice = MediaPublisher::start(server, "c", "{}").await;

    // A node that cannot write its recording: 500, and the recording is failed.
    let root = s.node_root.path().to_path_buf();
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::write(&root, b"not a folder").unwrap();
    let failed = server.post("/openvidu/api/recordings/start", r#"{"session":"c","name":"mix"}"#).await;
    assert_eq!(failed.status, 500, "{}", failed.text);
    let listed = server.get("/openvidu/api/recordings/c").await.json();
    assert_eq!(listed["status"], "failed");
    std::fs::remove_file(&root).unwrap();
    std::fs::create_dir(&root).unwrap();

    // The failed one keeps its folder: the next id is c~1.
    let started =
        server.post("/openvidu/api/recordings/start", r#"{"session":"c","name":"mix","resolution":"640x480"}"#).await;
    assert_eq!(started.status, 200, "{}", started.text);
    let recording = started.json();
    assert_eq!(recording["id"], "c~1");
    assert_eq!(
        (recording["resolution"].as_str(), recording["recordingLayout"].as_str()),
        (Some("640x480"), Some("BEST_FIT"))
    );
    node_wrote(&s, "c~1/mix.mp4", 20_000).await;
    let ready = server.post("/openvidu/api/recordings/stop/c~1", "").await.json();
    assert_eq!(ready["status"], "ready");
    assert!(ready["url"].as_str().unwrap().ends_with("/openvidu/recordings/c~1/mix.mp4"));
    let mp4 = s.path.join("c~1").join("mix.mp4");
    assert_eq!(ready["size"].as_u64(), Some(std::fs::metadata(&mp4).unwrap().len()));
    assert_eq!(probe(&mp4), ["audio:aac", "video:h264:640:480"]);
    assert!(s.path.join("c~1").join("mix.jpg").exists(), "the thumbnail came along");

    // Audio-only composed: WebM.
    let audio = server.post("/openvidu/api/recordings/start", r#"{"session":"c","hasVideo":false}"#).await.json();
    assert_eq!(audio["id"], "c~2");
    node_wrote(&s, "c~2/c~2.webm", 5_000).await;
    let ready = server.post("/openvidu/api/recordings/stop/c~2", "").await.json();
    assert!(ready["url"].as_str().unwrap().ends_with("/openvidu/recordings/c~2/c~2.webm"), "{ready}");
    assert_eq!(probe(&s.path.join("c~2").join("c~2.webm")), ["audio:opus"]);

    // A node that is not running: 503.
    let node_id =
        server.get("/openvidu/api/media-nodes").await.json()["content"][0]["id"].as_str().unwrap().to_string();
    let patched = server
        .call(
            "PATCH",
            &format!("/openvidu/api/media-nodes/{node_id}"),
            Some(r#"{"status":"waiting-idle-to-terminate"}"#),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(server.post("/openvidu/api/recordings/start", r#"{"session":"c"}"#).await.status, 503);
    let patch = Some(r#"{"status":"running"}"#);
    let running = server.call("PATCH", &format!("/openvidu/api/media-nodes/{node_id}"), patch).await;
    assert_eq!(running.status, 200, "{}", running.text);
    // A stop whose node is frozen (SIGSTOP) leaves the recording failed, and the call still answers.
    let frozen = server.post("/openvidu/api/recordings/start", r#"{"session":"c"}"#).await.json();
    assert_eq!(frozen["id"], "c~3");
    node_wrote(&s, "c~3/c~3.mp4", 20_000).await;
    let pid = s.node.child.id().to_string();
    assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
    let asked = std::time::Instant::now();
    let failed = server.post("/openvidu/api/recordings/stop/c~3", "").await;
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    assert_eq!((failed.status.as_u16(), failed.json()["status"].as_str()), (200, Some("failed")), "{}", failed.text);
    assert!(asked.elapsed() < Duration::from_secs(20), "the stop answered in {:?}", asked.elapsed());
    drop(alice);
    s.server.stop().await;
}

#[tokio::test]
async fn always_mode_starts_on_first_publish_and_autostop_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = setup_in(
        dir.path(),
        &[("OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", "1"), ("OPENVIDU_RECORDING_NOTIFICATION", "all")],
    )
    .await;
    let server = &s.server;
    let created = server
        .post(
            "/openvidu/api/sessions",
            r#"{"customSessionId":"a","recordingMode":"ALWAYS","defaultRecordingProperties":{"outputMode":"INDIVIDUAL","name":"auto"}}"#,
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let mut watcher = Participant::join(server, "a", r#"{"role":"SUBSCRIBER"}"#).await;
    let mut idle = Participant::join(server, "a", "{}").await;
    assert!(!watcher.got("recordingStarted").await, "no publisher yet");
    let alice = MediaPublisher::start(server, "a", "{}").await;
    assert_eq!(watcher.event("recordingStarted").await, json!({"id": "a", "name": "auto"}), "'all' tells subscribers");
    node_wrote(&s, &format!("a/{}.webm", alice.stream), 20_000).await;
    alice.leave().await;
    let stopped = watcher.event("recordingStopped").await;
    assert_eq!(stopped["reason"], "automaticStop");
    let statuses = statuses_until(&mut s.events, "ready").await;
    assert_eq!(statuses.last().unwrap().1, "automaticStop");
    wait_for(server, "/openvidu/api/recordings/a", |r| r["status"] == "ready").await;
    assert!(server.get("/openvidu/api/sessions/a").await.status == 200, "participants remain: the session stays");
    assert!(idle.got("recordingStopped").await, "'all' tells publishers too");
    drop((watcher, idle));
    s.server.stop().await;
}

#[tokio::test]
async fn a_recorded_session_outlives_its_last_participant_until_autostop() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = setup_in(dir.path(), &[("OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", "1")]).await;
    let server = &s.server;
    server.session("e").await;
    let alice = MediaPublisher::start(server, "e", "{}").await;
    assert_eq!(
        server.post("/openvidu/api/recordings/start", r#"{"session":"e","resolution":"640x480"}"#).await.status,
        200
    );
    node_wrote(&s, "e/e.mp4", 20_000).await;
    alice.leave().await;
    assert_eq!(server.get("/openvidu/api/sessions/e").await.status, 200, "kept while recorded");
    let statuses = statuses_until(&mut s.events, "ready").await;
    assert_eq!(statuses[1], ("stopped".to_string(), json!("automaticStop")));
    wait_for(server, "/openvidu/api/sessions", |r| r["numberOfElements"] == 0).await;
    s.server.stop().await;
}

#[tokio::test]
async fn closing_a_session_stops_its_recording_with_the_sessions_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = setup_in(dir.path(), &[]).await;
    let server = &s.server;
    server.session("d").await;
    let alice = MediaPublisher::start(server, "d", "{}").await;
    assert_eq!(server.post("/openvidu/api/recordings/start", r#"{"session":"d"}"#).await.status, 200);
    node_wrote(&s, "d/d.mp4", 20_000).await;
    assert_eq!(server.call("DELETE", "/openvidu/api/sessions/d", None).await.status, 204);
    let statuses = statuses_until(&mut s.events, "ready").await;
    assert_eq!(statuses[1], ("stopped".to_string(), json!("sessionClosedByServer")));
    let recording = wait_for(server, "/openvidu/api/recordings/d", |r| r["status"] == "ready").await;
    let mp4 = s.path.join("d").join("d.mp4");
    assert_eq!(recording["size"].as_u64(), Some(std::fs::metadata(&mp4).unwrap().len()));
    assert_eq!(probe(&mp4), ["audio:aac", "video:h264:1280:720"]);
    drop(alice);
    s.server.stop().await;
}

#[tokio::test]
async fn a_restarted_master_lists_the_recordings_it_left() {
    let dir = tempfile::tempdir().unwrap();
    let old = |id: &str, status: &str| {
        json!({"id": id, "object": "recording", "name": id, "outputMode": "COMPOSED", "resolution": "1280x720",
               "frameRate": 25, "recordingLayout": "BEST_FIT", "sessionId": "old", "createdAt": 1, "size": 5,
               "duration": 1.0, "url": null, "hasAudio": true, "hasVideo": true, "status": status})
    };
    for (id, status) in [("old", "ready"), ("old~1", "started")] {
        std::fs::create_dir_all(dir.path().join(id)).unwrap();
        std::fs::write(disk::folder(dir.path(), id).join(format!(".recording.{id}")), old(id, status).to_string())
            .unwrap();
    }
    let s = setup_in(dir.path(), &[]).await;
    let list = s.server.get("/openvidu/api/recordings").await.json();
    let statuses: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("old", "ready"), ("old~1", "failed")]);
    assert_eq!(s.server.call("DELETE", "/openvidu/api/recordings/old~1", None).await.status, 204);
    assert!(!dir.path().join("old~1").exists());
    s.server.stop().await;
}

#[tokio::test]
async fn recording_files_can_be_public() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("p")).unwrap();
    std::fs::write(dir.path().join("p").join("p.mp4"), b"0123456789").unwrap();
    let s = setup_in(dir.path(), &[("OPENVIDU_RECORDING_PUBLIC_ACCESS", "true")]).await;
    let reply = s.server.raw("GET", "/openvidu/recordings/p/p.mp4", None, None).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "video/mp4");
    s.server.stop().await;
}

#[tokio::test]
async fn s3_storage_is_refused_by_name_until_it_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let server = start(&[
        ("OPENVIDU_RECORDING", "true"),
        ("OPENVIDU_RECORDING_PATH", path.as_str()),
        ("OPENVIDU_PRO_RECORDING_STORAGE", "s3"),
    ])
    .await;
    server.session("s3").await;
    let refused = server.post("/openvidu/api/recordings/start", r#"{"session":"s3"}"#).await;
    assert_eq!(refused.status, 501);
    assert!(refused.text.contains("OPENVIDU_PRO_RECORDING_STORAGE=s3"), "{}", refused.text);
    server.stop().await;
}
