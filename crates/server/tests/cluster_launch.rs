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
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|c| String::from_utf8_lossy(&c).contains("plenum-media-node"))
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

    assert_eq!(server.call("DELETE", &format!("{BASE}/{id}"), None).await.status, 204);
    wait_until_gone(&pid).await;
    assert_eq!(server.get(&format!("{BASE}/{id}")).await.status, 404);
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
