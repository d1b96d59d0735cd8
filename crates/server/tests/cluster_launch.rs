//! The `local` environment: the master launches, terminates and re-adopts
//! `plenum-media-node` processes; on premises it runs the autodiscover script.

mod common;

use std::time::{Duration, Instant};

use common::media_node::{NodeProcess, binary};
use common::{TestServer, start};
use serde_json::Value;

const BASE: &str = "/openvidu/api/media-nodes";

async fn local_master(cluster_path: &std::path::Path, binary: &str) -> TestServer {
    local_master_with(cluster_path, binary, "0").await
}

async fn local_master_with(cluster_path: &std::path::Path, binary: &str, startup_nodes: &str) -> TestServer {
    start(&[
        ("OPENVIDU_PRO_CLUSTER_MEDIA_NODES", startup_nodes),
        ("OPENVIDU_PRO_CLUSTER_MODE", "auto"),
        ("OPENVIDU_PRO_CLUSTER_ENVIRONMENT", "local"),
        ("OPENVIDU_PRO_CLUSTER_PATH", cluster_path.to_str().unwrap()),
        ("OPENVIDU_PRO_CLUSTER_AUTODISCOVERY", "false"),
        ("PLENUM_MEDIA_NODE_BIN", binary),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
    ])
    .await
}

fn alive(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<i32>() else { return false };
    procfs::process::Process::new(pid)
        .and_then(|p| p.cmdline())
        .is_ok_and(|args| args.iter().any(|a| a.contains("plenum-media-node")))
}

/// Where the launcher keeps a node's launch record and its output.
fn node_file(cluster_path: &std::path::Path, pid: &str, extension: &str) -> std::path::PathBuf {
    cluster_path.join("local-nodes").join(format!("{pid}.{extension}"))
}

async fn wait_for(server: &TestServer, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = server.get(&format!("{BASE}/{id}")).await;
        let record = if reply.status == 200 { reply.json() } else { Value::Null };
        if check(&record) {
            return record;
        }
        assert!(Instant::now() < deadline, "{what} not reached: {record}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_until_gone(pid: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} still alive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn launches_without_wait_then_runs_then_terminates() {
    let dir = tempfile::tempdir().unwrap();
    let server = local_master(dir.path(), binary().to_str().unwrap()).await;
    let reply = server.post(BASE, "{}").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let launching = reply.json();
    assert_eq!(launching["status"], "launching");
    assert_eq!(launching["uri"], Value::Null);
    assert_eq!(launching["ip"], Value::Null);
    let pid = launching["environmentId"].as_str().unwrap().to_string();
    let id = launching["id"].as_str().unwrap().to_string();
    assert_eq!(id, format!("media_{pid}"));

    let running = wait_for(&server, &id, "running", |r| r["status"] == "running").await;
    assert_eq!(running["connected"], true);
    assert!(running["uri"].as_str().unwrap().starts_with("ws://127.0.0.1:"));
    assert!(alive(&pid));
    assert!(node_file(dir.path(), &pid, "json").exists(), "launch record");

    // The node's standard output (its announcement) and standard error (its logs) are in its log file.
    let log_path = node_file(dir.path(), &pid, "log");
    let log = std::fs::read_to_string(&log_path).unwrap_or_else(|e| panic!("{}: {e}", log_path.display()));
    let uri = running["uri"].as_str().unwrap();
    assert!(log.contains(&format!("plenum-media-node listening on {uri}\n")), "announcement in the log: {log}");
    assert!(log.contains("media node control listening"), "startup logs in the log: {log}");
    assert!(!log.contains('\x1b'), "no colour codes in the log: {log}");

    assert_eq!(server.call("DELETE", &format!("{BASE}/{id}"), None).await.status, 204);
    wait_until_gone(&pid).await;
    assert_eq!(server.get(&format!("{BASE}/{id}")).await.status, 404);
    assert!(!node_file(dir.path(), &pid, "json").exists(), "the launch record goes with the node");
    assert!(log_path.exists(), "the log stays for a post-mortem");
}

#[tokio::test]
async fn auto_mode_launches_the_configured_nodes_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let server = local_master_with(dir.path(), binary().to_str().unwrap(), "2").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let nodes = loop {
        let list = server.get(BASE).await.json();
        let running = list["content"].as_array().unwrap().iter().filter(|n| n["status"] == "running").count();
        if running == 2 {
            break list["content"].as_array().unwrap().clone();
        }
        assert!(Instant::now() < deadline, "startup nodes not running: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for node in nodes {
        let (id, pid) = (node["id"].as_str().unwrap(), node["environmentId"].as_str().unwrap());
        assert_eq!(server.call("DELETE", &format!("{BASE}/{id}"), None).await.status, 204);
        wait_until_gone(pid).await;
    }
}

#[tokio::test]
async fn launching_with_wait_returns_a_running_node() {
    let dir = tempfile::tempdir().unwrap();
    let server = local_master(dir.path(), binary().to_str().unwrap()).await;
    let reply = server.post(&format!("{BASE}?wait=true"), "{}").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let node = reply.json();
    assert_eq!(node["status"], "running");
    let pid = node["environmentId"].as_str().unwrap().to_string();
    let id = node["id"].as_str().unwrap();
    assert_eq!(server.call("DELETE", &format!("{BASE}/{id}?deletion-strategy=now&wait=true"), None).await.status, 204);
    wait_until_gone(&pid).await;
}

#[tokio::test]
async fn a_binary_that_cannot_start_gives_502() {
    let dir = tempfile::tempdir().unwrap();
    let server = local_master(dir.path(), "/nonexistent/plenum-media-node").await;
    let reply = server.post(&format!("{BASE}?wait=true"), "{}").await;
    assert_eq!(reply.status, 502, "{}", reply.text);
    assert!(reply.message().contains("/nonexistent/plenum-media-node"), "{}", reply.text);
    let reply = server.post(BASE, "{}").await;
    assert_eq!(reply.status, 502);
}

#[tokio::test]
async fn a_node_that_exits_at_once_leaves_its_output_in_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("plenum-media-node");
    std::fs::write(&script, "#!/bin/sh\necho 'cannot bind the control port' >&2\nexit 3\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let server = local_master(dir.path(), script.to_str().unwrap()).await;
    let reply = server.post(&format!("{BASE}?wait=true"), "{}").await;
    assert_eq!(reply.status, 502, "{}", reply.text);
    assert!(reply.message().contains("exited before announcing its URI"), "{}", reply.text);

    let files: Vec<_> =
        std::fs::read_dir(dir.path().join("local-nodes")).unwrap().map(|entry| entry.unwrap().path()).collect();
    let logs: Vec<_> = files.iter().filter(|p| p.extension().is_some_and(|e| e == "log")).collect();
    assert_eq!(logs.len(), 1, "one log, under the node's pid: {files:?}");
    assert!(!logs[0].file_name().unwrap().to_string_lossy().starts_with('.'), "{files:?}");
    let log = std::fs::read_to_string(logs[0]).unwrap();
    assert!(log.contains("cannot bind the control port"), "standard error in the log: {log:?}");
    assert!(files.iter().all(|p| p.extension().is_none_or(|e| e != "json")), "no launch record: {files:?}");
}

#[tokio::test]
async fn a_node_canceled_while_launching_is_terminated() {
    let dir = tempfile::tempdir().unwrap();
    let server = local_master(dir.path(), binary().to_str().unwrap()).await;
    let launching = server.post(BASE, "{}").await.json();
    let id = launching["id"].as_str().unwrap().to_string();
    let pid = launching["environmentId"].as_str().unwrap().to_string();
    let reply = server.call("PATCH", &format!("{BASE}/{id}"), Some(r#"{"status":"canceled"}"#)).await;
    if reply.status == 200 {
        assert_eq!(reply.json()["status"], "canceled");
        wait_for(&server, &id, "removal", |r| r.is_null()).await;
    } else {
        // The launch finished first: canceling a running node is refused as documented.
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert_eq!(server.call("DELETE", &format!("{BASE}/{id}"), None).await.status, 204);
    }
    wait_until_gone(&pid).await;
}

#[tokio::test]
async fn a_restarted_master_readopts_the_nodes_it_launched() {
    let dir = tempfile::tempdir().unwrap();
    let first = local_master(dir.path(), binary().to_str().unwrap()).await;
    let node = first.post(&format!("{BASE}?wait=true"), "{}").await.json();
    let pid = node["environmentId"].as_str().unwrap().to_string();
    first.stop().await;
    assert!(alive(&pid), "stopping the master must not stop its nodes");
    assert!(node_file(dir.path(), &pid, "log").exists(), "the node's log beside its record");

    let second = local_master(dir.path(), binary().to_str().unwrap()).await;
    let reply = second.call("PUT", BASE, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let found = reply.json();
    assert_eq!(found["numberOfElements"], 1);
    assert_eq!(found["content"][0]["environmentId"], pid.as_str());
    assert_eq!(found["content"][0]["status"], "running");
    assert_eq!(second.call("PUT", BASE, None).await.json()["numberOfElements"], 0);
    let id = found["content"][0]["id"].as_str().unwrap();
    assert_eq!(second.call("DELETE", &format!("{BASE}/{id}"), None).await.status, 204);
    wait_until_gone(&pid).await;
}

#[tokio::test]
async fn on_premise_discovery_runs_the_script_or_answers_405() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&[
        ("OPENVIDU_PRO_CLUSTER_PATH", dir.path().to_str().unwrap()),
        ("OPENVIDU_PRO_CLUSTER_AUTODISCOVERY", "false"),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
    ])
    .await;
    for base in [BASE, "/pro/media-nodes"] {
        assert_eq!(server.call("PUT", base, None).await.status, 405);
    }
    let node = NodeProcess::start();
    let script = dir.path().join("autodiscover");
    std::fs::write(&script, format!("#!/bin/sh\necho '[{{\"uri\":\"{}\",\"environmentId\":\"rack7\"}}]'\n", node.uri))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let found = server.call("PUT", BASE, None).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let found = found.json();
    assert_eq!(found["content"][0]["id"], "media_rack7");
    assert_eq!(found["content"][0]["uri"], node.uri.as_str());
    assert_eq!(server.call("PUT", "/pro/media-nodes", None).await.json()["numberOfElements"], 0);
}

#[test]
fn auto_mode_on_premises_is_refused_at_startup() {
    let env = |key: &str| match key {
        "OPENVIDU_PRO_CLUSTER_MODE" => Some("auto".to_string()),
        "OPENVIDU_SECRET" => Some("x".to_string()),
        _ => None,
    };
    let error = plenum::config::Config::load(None, &env).unwrap_err().to_string();
    assert!(error.contains("OPENVIDU_PRO_CLUSTER_MODE") && error.contains("local"), "{error}");
}
