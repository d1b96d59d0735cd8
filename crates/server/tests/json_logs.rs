//! `PLENUM_LOG_FORMAT=json` on the real `plenum` binary: every line is one JSON object, REST
//! calls log inside a `request` span with their request id (the client's `x-request-id`, or
//! one made up and answered back), and what concerns a session or a connection carries
//! `session_id` and `connection_id`, on REST and on the signaling websocket alike.

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use plenum_loadtest::{Clip, Engine, MediaServerDriver, OpenViduDriver, PublisherOptions, connect_publisher};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_plenum");
const WAIT: Duration = Duration::from_secs(30);

struct Master {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<Value>,
    base: String,
    _dir: tempfile::TempDir,
}

impl Master {
    fn start() -> Master {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(BIN)
            .env("PLENUM_LOG_FORMAT", "json")
            .env("PLENUM_LOG", "info")
            .env("SERVER_PORT", "0")
            .env("OPENVIDU_SECRET", "LOGS_SECRET")
            .env("OPENVIDU_CDR_PATH", dir.path().join("cdr"))
            .env("OPENVIDU_RECORDING_PATH", dir.path().join("recordings"))
            .env_remove("PLENUM_CONFIG")
            .current_dir(dir.path())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut master = Master { child, lines, seen: Vec::new(), base: String::new(), _dir: dir };
        let listening = master.wait_for(|l| l["fields"]["message"] == "Plenum master listening");
        let listen = listening["fields"]["listen"].as_str().expect("the listen address").to_string();
        master.base = format!("http://{listen}");
        master
    }

    /// Reads lines until one matches (every line must parse as a JSON object).
    fn wait_for(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(found) = self.seen.iter().find(|l| matches(l)) {
            return found.clone();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| panic!("no such line in:\n{:#?}", self.seen));
            let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            assert!(value["timestamp"].is_string() && value["level"].is_string(), "{line}");
            self.seen.push(value.clone());
            if matches(&value) {
                return value;
            }
        }
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The span named `name` in a line's span list.
fn span<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    line["spans"].as_array()?.iter().find(|s| s["name"] == name)
}

fn message(line: &Value) -> &str {
    line["fields"]["message"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_carry_request_session_and_connection_ids() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut master = Master::start();
    let http = reqwest::Client::new();
    let auth = ("OPENVIDUAPP", Some("LOGS_SECRET"));

    let created = http
        .post(format!("{}/openvidu/api/sessions", master.base))
        .basic_auth(auth.0, auth.1)
        .header("x-request-id", "client-chosen-1")
        .json(&serde_json::json!({"customSessionId": "logs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    assert_eq!(created.headers()["x-request-id"], "client-chosen-1", "the client's id is answered back");
    let line = master.wait_for(|l| message(l) == "sessionCreated");
    let request = span(&line, "request").unwrap_or_else(|| panic!("sessionCreated outside a request: {line}"));
    assert_eq!(request["id"], "client-chosen-1", "{line}");
    assert_eq!(request["method"], "POST", "{line}");
    assert_eq!(line["fields"]["session_id"], "logs", "{line}");

    let connection = http
        .post(format!("{}/openvidu/api/sessions/logs/connection", master.base))
        .basic_auth(auth.0, auth.1)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    let made_up = connection.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!made_up.is_empty());
    let connection: Value = connection.json().await.unwrap();
    let connection_id = connection["connectionId"].as_str().unwrap().to_string();
    let line = master.wait_for(|l| message(l) == "connection created");
    let request = span(&line, "request").unwrap_or_else(|| panic!("outside a request: {line}"));
    assert_eq!(request["id"], made_up.as_str(), "the made-up id is the one answered: {line}");
    assert_eq!(request["session_id"], "logs", "the path's session: {line}");

    // A participant joins over the signaling websocket and publishes real media.
    let token = connection["token"].as_str().unwrap().to_string();
    let driver = Arc::new(OpenViduDriver::new(&[token]).unwrap());
    let engine = Engine::start("json-logs-test").unwrap();
    let room = driver.create_room().await.unwrap();
    let options = PublisherOptions { bind: IpAddr::from([127, 0, 0, 1]), clip: Arc::new(Clip::builtin()) };
    let client = connect_publisher(&*driver, &engine.handle(), &room, &options).await.expect("publishes");

    let joined = master.wait_for(|l| message(l) == "participantJoined");
    let signaling = span(&joined, "signaling").unwrap_or_else(|| panic!("outside the socket's span: {joined}"));
    assert_eq!(signaling["method"], "joinRoom", "{joined}");
    assert_eq!(signaling["session_id"], "logs", "{joined}");
    assert_eq!(joined["fields"]["connection_id"], connection_id.as_str(), "{joined}");
    let published = master.wait_for(|l| message(l) == "webrtcConnectionCreated");
    let signaling = span(&published, "signaling").unwrap_or_else(|| panic!("outside the socket's span: {published}"));
    assert_eq!(signaling["method"], "publishVideo", "{published}");
    assert_eq!(signaling["session_id"], "logs", "{published}");
    assert_eq!(signaling["connection_id"], connection_id.as_str(), "{published}");

    driver.close_peer(&client.peer).await.unwrap();
    let left = master.wait_for(|l| message(l) == "participantLeft");
    assert_eq!(left["fields"]["session_id"], "logs", "{left}");
    assert_eq!(left["fields"]["connection_id"], connection_id.as_str(), "{left}");
}

#[test]
fn an_unknown_log_format_stops_the_program() {
    let output = Command::new(BIN).env("PLENUM_LOG_FORMAT", "yaml").env_remove("PLENUM_CONFIG").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PLENUM_LOG_FORMAT must be 'text' or 'json', not 'yaml'"), "{stderr}");
}
