//! `POST /openvidu/api/restart` (and `/pro/restart`) over real HTTP: validation,
//! persistence to the config file, restart in place on the same socket, and
//! persistence across a real stop and start of the `plenum` process.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use plenum::config::Config;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_plenum");
const DEADLINE: Duration = Duration::from_secs(30);

const FILE: &str = "# Plenum test configuration\n\n# Call detail record\nOPENVIDU_CDR=false\n\n# Bandwidth, kbps\nOPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH=1000\nOPENVIDU_RECORDING_PATH=/srv/recordings # not a comment\n";

/// A master whose configuration comes from `file`, plus `SERVER_PORT=0`, the test secret and `env`
/// given as environment variables.
async fn start_with_file(file: &Path, env: &[(&str, &str)]) -> TestServer {
    install_crypto();
    let mut vars: HashMap<String, String> =
        HashMap::from([("SERVER_PORT".into(), "0".into()), ("OPENVIDU_SECRET".into(), SECRET.into())]);
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let outcome = Config::load(Some(file), &move |key| vars.get(key).cloned()).expect("valid test configuration");
    let server = plenum::server::start(outcome.config).await.expect("server starts");
    let base = format!("http://127.0.0.1:{}", server.local_addr.port());
    TestServer { server: Some(server), base, client: reqwest::Client::new(), storage: None }
}

fn write_config(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("plenum.env");
    std::fs::write(&file, FILE).unwrap();
    file
}

async fn restart_counter(server: &TestServer) -> u64 {
    let reply = server.get("/openvidu/api/status").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["restartCounter"].as_u64().expect("restartCounter is a number")
}

/// Polls `GET /openvidu/api/status` until `restartCounter` is `expected`, as OpenVidu's e2e suite does.
async fn wait_for_counter(server: &TestServer, expected: u64) -> Value {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let status = server.get("/openvidu/api/status").await.json();
        if status["restartCounter"] == expected {
            return status;
        }
        assert!(Instant::now() < deadline, "restartCounter never reached {expected}: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_valid_restart_persists_the_values_and_restarts_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let cdr = dir.path().join("cdr");
    let server = start_with_file(&file, &[]).await;

    // OpenVidu's e2e order: config, status, restart, poll status.
    let before = server.get("/openvidu/api/config").await.json();
    assert_eq!(before["OPENVIDU_CDR"], false);
    let status = server.get("/openvidu/api/status").await.json();
    assert_eq!(keys(&status), sorted(&["startTime", "restartCounter", "lastRestartTime"]));
    assert_eq!(status["restartCounter"], 0);
    assert_eq!(status["lastRestartTime"], 0);

    let body = json!({
        "OPENVIDU_CDR": true,
        "OPENVIDU_CDR_PATH": cdr.to_str().unwrap(),
        "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH": 500,
        "OPENVIDU_WEBHOOK": true,
        "OPENVIDU_WEBHOOK_ENDPOINT": "http://127.0.0.1:9/webhook",
        "OPENVIDU_WEBHOOK_EVENTS": ["sessionCreated", "sessionDestroyed"],
        "OPENVIDU_SESSIONS_GARBAGE_INTERVAL": "0",
    });
    let reply = server.post("/openvidu/api/restart", &body.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    assert_eq!(answer["restartCounter"], 1);
    assert_eq!(answer["configFile"], file.to_str().unwrap());
    assert_eq!(answer["warnings"], json!([]));
    assert_eq!(answer["properties"].as_array().unwrap().len(), 7);

    let after = wait_for_counter(&server, 1).await;
    assert_eq!(after["startTime"], status["startTime"], "the process did not restart, its services did");
    assert!(after["lastRestartTime"].as_u64().unwrap() >= status["startTime"].as_u64().unwrap());

    let config = server.get("/openvidu/api/config").await.json();
    assert_eq!(config["OPENVIDU_CDR"], true);
    assert_eq!(config["OPENVIDU_CDR_PATH"], cdr.to_str().unwrap());
    assert_eq!(config["OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH"], 500);
    assert_eq!(config["OPENVIDU_WEBHOOK"], true);
    assert_eq!(config["OPENVIDU_WEBHOOK_EVENTS"], json!(["sessionCreated", "sessionDestroyed"]));
    assert_eq!(config["OPENVIDU_SESSIONS_GARBAGE_INTERVAL"], 0);
    assert_eq!(config["OPENVIDU_PRO_CLUSTER_ID"], before["OPENVIDU_PRO_CLUSTER_ID"], "the random cluster id stays");
    assert_eq!(server.get("/openvidu/api/config/openvidu-cdr").await.text, "true");

    let text = std::fs::read_to_string(&file).unwrap();
    let expected = format!(
        "# Plenum test configuration\n\n# Call detail record\nOPENVIDU_CDR=true\n\n# Bandwidth, kbps\nOPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH=500\nOPENVIDU_RECORDING_PATH=/srv/recordings # not a comment\nOPENVIDU_CDR_PATH={}\nOPENVIDU_WEBHOOK=true\nOPENVIDU_WEBHOOK_ENDPOINT=http://127.0.0.1:9/webhook\nOPENVIDU_WEBHOOK_EVENTS=[\"sessionCreated\",\"sessionDestroyed\"]\nOPENVIDU_SESSIONS_GARBAGE_INTERVAL=0\n",
        cdr.display()
    );
    assert_eq!(text, expected);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The secret and port given by the environment did not change: the same client, same socket, same auth.
    assert_eq!(server.get("/openvidu/api/sessions").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn invalid_bodies_answer_400_naming_the_property_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let server = start_with_file(&file, &[]).await;
    let cases: &[(&str, &str)] = &[
        (r#"{"OPENVIDU_CDRR": true}"#, "Unknown property 'OPENVIDU_CDRR'"),
        (r#"{"OPENVIDU_SECRET": "other"}"#, "Property OPENVIDU_SECRET cannot be modified by a restart"),
        (r#"{"SERVER_PORT": 5443}"#, "Property SERVER_PORT cannot be modified by a restart"),
        (
            r#"{"OPENVIDU_PRO_STATS_MONITORING_INTERVAL": 5}"#,
            "OPENVIDU_PRO_STATS_MONITORING_INTERVAL cannot be modified",
        ),
        (r#"{"OPENVIDU_CDR": "perhaps"}"#, "Property OPENVIDU_CDR: 'perhaps' is not a boolean"),
        (r#"{"OPENVIDU_CDR": {"on": true}}"#, "Property OPENVIDU_CDR expects true / false, got an object"),
        (r#"{"OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH": -1}"#, "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH: '-1'"),
        (r#"{"OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD": 150}"#, "an integer from 0 to 100"),
        (r#"{"OPENVIDU_WEBHOOK_EVENTS": ["sessionCreated", "nope"]}"#, "OPENVIDU_WEBHOOK_EVENTS: item 1 ('nope')"),
        (
            r#"{"OPENVIDU_WEBHOOK": true}"#,
            "Property OPENVIDU_WEBHOOK_ENDPOINT: cannot be empty when OPENVIDU_WEBHOOK=true",
        ),
        // One bad property spoils the whole request, good ones included.
        (r#"{"OPENVIDU_CDR": true, "KMS_URIS": ["http://x:8888"]}"#, "Property KMS_URIS: item 0"),
        ("[1, 2]", "The request body must be a JSON object, got an array"),
        (r#"{"OPENVIDU_CDR": "#, "Malformed JSON"),
    ];
    for (body, expected) in cases {
        for path in ["/openvidu/api/restart", "/pro/restart"] {
            let reply = server.post(path, body).await;
            assert_eq!(reply.status, 400, "{path} {body}: {}", reply.text);
            let message = reply.message();
            assert!(message.contains(expected), "{path} {body}: {message}");
            assert_eq!(reply.json()["path"], path);
        }
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FILE, "the file is untouched");
    assert_eq!(restart_counter(&server).await, 0);
    assert_eq!(server.get("/openvidu/api/config").await.json()["OPENVIDU_CDR"], false);
    server.stop().await;
}

#[tokio::test]
async fn restart_needs_authentication_on_both_families() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let server = start_with_file(&file, &[]).await;
    for path in ["/openvidu/api/restart", "/pro/restart"] {
        let body = Some(r#"{"OPENVIDU_CDR": true}"#);
        assert_eq!(server.raw("POST", path, body, None).await.status, 401);
        assert_eq!(server.raw("POST", path, body, Some(("OPENVIDUAPP", "wrong"))).await.status, 401);
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FILE);
    assert_eq!(restart_counter(&server).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn both_path_families_restart_and_each_restart_counts() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let server = start_with_file(&file, &[]).await;
    let reply = server.post("/pro/restart", r#"{"OPENVIDU_RECORDING_NOTIFICATION": "moderator"}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    wait_for_counter(&server, 1).await;
    assert_eq!(server.get("/pro/config").await.json()["OPENVIDU_RECORDING"], false);
    let reply = server.post("/openvidu/api/restart", r#"{"OPENVIDU_RECORDING": true}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let status = wait_for_counter(&server, 2).await;
    assert!(status["lastRestartTime"].as_u64().unwrap() > 0);
    let config = server.get("/pro/config").await.json();
    assert_eq!(config["OPENVIDU_RECORDING"], true);
    assert_eq!(config["OPENVIDU_RECORDING_NOTIFICATION"], "moderator", "the first restart's value stays");
    // An empty body restarts with the configuration as it is.
    let reply = server.call("POST", "/openvidu/api/restart", None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    wait_for_counter(&server, 3).await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("OPENVIDU_RECORDING_NOTIFICATION=moderator\nOPENVIDU_RECORDING=true\n"), "{text}");
    server.stop().await;
}

#[tokio::test]
async fn concurrent_restarts_are_applied_one_after_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let server = start_with_file(&file, &[]).await;
    let bodies: Vec<String> =
        (1..=5).map(|i| format!(r#"{{"OPENVIDU_SESSIONS_GARBAGE_THRESHOLD": {}}}"#, 100 * i)).collect();
    let replies = futures_join(&server, &bodies).await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let mut counters: Vec<u64> = replies.iter().map(|r| r.json()["restartCounter"].as_u64().unwrap()).collect();
    counters.sort_unstable();
    assert_eq!(counters, vec![1, 2, 3, 4, 5]);
    wait_for_counter(&server, 5).await;
    let threshold = server.get("/openvidu/api/config").await.json()["OPENVIDU_SESSIONS_GARBAGE_THRESHOLD"].clone();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(&format!("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD={threshold}\n")), "{threshold} {text}");
    assert_eq!(text.matches("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD").count(), 1, "{text}");
    server.stop().await;
}

async fn futures_join(server: &TestServer, bodies: &[String]) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for body in bodies {
        let (client, base, body) = (server.client.clone(), server.base.clone(), body.clone());
        tasks.spawn(async move {
            let response = client
                .post(format!("{base}/openvidu/api/restart"))
                .basic_auth("OPENVIDUAPP", Some(SECRET))
                .body(body)
                .send()
                .await
                .unwrap();
            Reply {
                status: response.status(),
                headers: response.headers().clone(),
                text: response.text().await.unwrap(),
            }
        });
    }
    tasks.join_all().await
}

#[tokio::test]
async fn live_sessions_are_closed_by_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let server = start_with_file(&file, &[]).await;
    server.session("before-restart").await;
    assert_eq!(server.get("/openvidu/api/sessions/before-restart").await.status, 200);
    assert_eq!(server.post("/openvidu/api/restart", "{}").await.status, 200);
    wait_for_counter(&server, 1).await;
    assert_eq!(server.get("/openvidu/api/sessions/before-restart").await.status, 404);
    assert_eq!(server.get("/openvidu/api/sessions").await.json()["numberOfElements"], 0);
    // The restarted services work: the same id can be used again.
    server.session("before-restart").await;
    let running = server.server.as_ref().unwrap();
    assert!(running.state.conference().store().is_empty(), "the old services' sessions were closed");
    assert_eq!(running.current_state().conference().store().len(), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_value_from_the_environment_is_replaced_now_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let server = start_with_file(&file, &[("OPENVIDU_RECORDING", "false")]).await;
    let reply = server.post("/openvidu/api/restart", r#"{"OPENVIDU_RECORDING": true}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let warnings = reply.json()["warnings"].clone();
    assert!(
        warnings[0].as_str().unwrap().starts_with("OPENVIDU_RECORDING is also set in the environment"),
        "{warnings}"
    );
    assert_eq!(server.get("/openvidu/api/config").await.json()["OPENVIDU_RECORDING"], true);
    assert!(std::fs::read_to_string(&file).unwrap().ends_with("OPENVIDU_RECORDING=true\n"));
    // A later restart does not let the environment undo it.
    assert_eq!(server.post("/openvidu/api/restart", r#"{"OPENVIDU_CDR": true}"#).await.status, 200);
    assert_eq!(server.get("/openvidu/api/config").await.json()["OPENVIDU_RECORDING"], true);
    server.stop().await;
}

#[tokio::test]
async fn without_a_config_file_values_are_kept_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&[]).await;
    let body = json!({"OPENVIDU_CDR": true, "OPENVIDU_CDR_PATH": dir.path().to_str().unwrap()});
    let reply = server.post("/openvidu/api/restart", &body.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let answer = reply.json();
    assert_eq!(answer["configFile"], Value::Null);
    assert!(answer["warnings"][0].as_str().unwrap().contains("without a config file"), "{answer}");
    assert_eq!(server.post("/openvidu/api/restart", r#"{"OPENVIDU_RECORDING": true}"#).await.status, 200);
    let config = server.get("/openvidu/api/config").await.json();
    assert_eq!(config["OPENVIDU_CDR"], true);
    assert_eq!(config["OPENVIDU_RECORDING"], true);
    wait_for_counter(&server, 2).await;
    server.stop().await;
}

#[tokio::test]
async fn a_file_that_cannot_be_written_is_a_500_and_nothing_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("conf");
    std::fs::create_dir(&sub).unwrap();
    let file = write_config(&sub);
    let server = start_with_file(&file, &[]).await;
    std::fs::remove_dir_all(&sub).unwrap();
    let reply = server.post("/openvidu/api/restart", r#"{"OPENVIDU_CDR": true}"#).await;
    assert_eq!(reply.status, 500, "{}", reply.text);
    assert!(reply.message().starts_with("Cannot write config file"), "{}", reply.text);
    assert_eq!(restart_counter(&server).await, 0);
    assert_eq!(server.get("/openvidu/api/config").await.json()["OPENVIDU_CDR"], false);
    server.stop().await;
}

#[tokio::test]
async fn restart_over_https_keeps_the_certificate_and_socket() {
    let server = start(&[("SERVER_SSL_ENABLED", "true")]).await;
    assert!(server.base.starts_with("https://"));
    assert_eq!(server.post("/openvidu/api/restart", r#"{"OPENVIDU_RECORDING": true}"#).await.status, 200);
    assert_eq!(wait_for_counter(&server, 1).await["restartCounter"], 1);
    server.stop().await;
}

/// A `plenum` process and the address it listens on; its log is drained in the background.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    fn spawn(args: &[&str], dir: &Path) -> Process {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("SERVER_PORT", "0")
            .env("PLENUM_EMBEDDED_MEDIA_NODE", "false")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, receiver) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + DEADLINE;
        let mut log = String::new();
        let listen = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = receiver.recv_timeout(left).unwrap_or_else(|_| panic!("no 'listening' line:\n{log}"));
            log.push_str(&line);
            log.push('\n');
            if line.contains("Plenum master listening") {
                let token = line.split_whitespace().find_map(|t| t.strip_prefix("listen=")).unwrap();
                break token.to_string();
            }
        };
        Process { child, base: format!("http://{listen}") }
    }

    async fn call(&self, method: reqwest::Method, path: &str, secret: &str, body: Option<Value>) -> Reply {
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", self.base))
            .basic_auth("OPENVIDUAPP", Some(secret));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        Reply { status: response.status(), headers: response.headers().clone(), text: response.text().await.unwrap() }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn values_survive_a_kill_and_start_of_the_process() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openvidu.env");
    std::fs::write(
        &file,
        "# My deployment\nOPENVIDU_SECRET=s3cr3t\n\n# Garbage collection\nOPENVIDU_SESSIONS_GARBAGE_INTERVAL=900\n",
    )
    .unwrap();
    let args = ["--config", file.to_str().unwrap()];
    let first = Process::spawn(&args, dir.path());
    let body = json!({"OPENVIDU_SESSIONS_GARBAGE_INTERVAL": 42, "OPENVIDU_RECORDING": true});
    let reply = first.call(reqwest::Method::POST, "/openvidu/api/restart", "s3cr3t", Some(body)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let status = first.call(reqwest::Method::GET, "/openvidu/api/status", "s3cr3t", None).await.json();
    assert_eq!(status["restartCounter"], 1);
    first.kill();

    let second = Process::spawn(&args, dir.path());
    let config = second.call(reqwest::Method::GET, "/openvidu/api/config", "s3cr3t", None).await.json();
    assert_eq!(config["OPENVIDU_SESSIONS_GARBAGE_INTERVAL"], 42);
    assert_eq!(config["OPENVIDU_RECORDING"], true);
    let status = second.call(reqwest::Method::GET, "/openvidu/api/status", "s3cr3t", None).await.json();
    assert_eq!(status["restartCounter"], 0, "a new process starts counting again");
    second.kill();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "# My deployment\nOPENVIDU_SECRET=s3cr3t\n\n# Garbage collection\nOPENVIDU_SESSIONS_GARBAGE_INTERVAL=42\nOPENVIDU_RECORDING=true\n"
    );
}

#[tokio::test]
async fn without_config_the_process_uses_plenum_env_in_its_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = Process::spawn(&[], dir.path());
    let body = json!({"OPENVIDU_CDR": true, "OPENVIDU_CDR_PATH": dir.path().join("cdr").to_str().unwrap()});
    let reply = first.call(reqwest::Method::POST, "/pro/restart", "MY_SECRET", Some(body)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let default = dir.path().canonicalize().unwrap().join("plenum.env");
    assert_eq!(reply.json()["configFile"], default.to_str().unwrap());
    first.kill();
    let expected = format!("OPENVIDU_CDR=true\nOPENVIDU_CDR_PATH={}\n", dir.path().join("cdr").display());
    assert_eq!(std::fs::read_to_string(&default).unwrap(), expected);

    let second = Process::spawn(&[], dir.path());
    let config = second.call(reqwest::Method::GET, "/openvidu/api/config", "MY_SECRET", None).await.json();
    assert_eq!(config["OPENVIDU_CDR"], true);
    second.kill();
}

#[tokio::test]
async fn a_cdr_path_that_cannot_be_made_is_a_400_before_the_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path());
    let before = std::fs::read_to_string(&file).unwrap();
    let server = start_with_file(&file, &[]).await;
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let body = json!({"OPENVIDU_CDR": true, "OPENVIDU_CDR_PATH": blocker.join("cdr").display().to_string()});
    let reply = server.post("/openvidu/api/restart", &body.to_string()).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(reply.message().contains("OPENVIDU_CDR_PATH"), "{}", reply.text);
    assert_eq!(restart_counter(&server).await, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before, "nothing was written");
    server.stop().await;
}
