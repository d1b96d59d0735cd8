//! Autoscaling with the `local` launcher: real `plenum-media-node` processes
//! whose CPU figure comes from a file (`PLENUM_TEST_CPU_LOAD_FILE`, test only),
//! so the cluster can be loaded and unloaded at once. The nodes get the
//! variable from a wrapper script given as `PLENUM_MEDIA_NODE_BIN`.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::collections::HashMap;

use common::media_node::binary;
use common::{SECRET, TestServer, install_crypto};
use plenum::config::Config;
use serde_json::{Value, json};

const BASE: &str = "/openvidu/api/media-nodes";

/// Kills every node the launcher recorded, so a failing test leaves no process behind.
struct NodeReaper(PathBuf);

impl Drop for NodeReaper {
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir(self.0.join("local-nodes")) else { return };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(pid) = name.strip_suffix(".json")
                && alive(pid)
            {
                let _ = std::process::Command::new("kill").args(["-9", pid]).status();
            }
        }
    }
}

fn alive(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<i32>() else { return false };
    procfs::process::Process::new(pid).and_then(|p| p.stat()).is_ok_and(|stat| {
        stat.state != 'Z' && (stat.comm.starts_with("plenum-media") || stat.comm.starts_with("loaded-media"))
    })
}

/// A `plenum-media-node` that reports the CPU load written in `load_file`.
fn loaded_node_binary(dir: &Path, load_file: &Path) -> PathBuf {
    let script = dir.join("loaded-media-node");
    let body = format!(
        "#!/bin/sh\nPLENUM_TEST_CPU_LOAD_FILE='{}' exec '{}' --workers 1 \"$@\"\n",
        load_file.display(),
        binary().display()
    );
    std::fs::write(&script, body).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// A master in auto mode with the `local` launcher and autoscaling on (MAX 3, MIN 1, limits
/// [30 %, 70 %], rounds and CPU samples every second), its nodes reporting the load in
/// `<dir>/cpu-load`, its CDR in `<dir>/cdr` and its config file (for restarts) in `<dir>/plenum.env`.
async fn autoscaling_master(dir: &Path, extra: &[(&str, &str)]) -> TestServer {
    install_crypto();
    let bin = loaded_node_binary(dir, &dir.join("cpu-load"));
    let file = dir.join("plenum.env");
    std::fs::write(&file, "# autoscaling test\n").unwrap();
    let path = |name: &str| dir.join(name).display().to_string();
    let mut vars: HashMap<String, String> = [
        ("SERVER_PORT", "0".to_string()),
        ("OPENVIDU_SECRET", SECRET.to_string()),
        ("OPENVIDU_CDR", "true".to_string()),
        ("OPENVIDU_CDR_PATH", path("cdr")),
        ("OPENVIDU_RECORDING_PATH", path("recordings")),
        ("OPENVIDU_PRO_CLUSTER", "true".to_string()),
        ("OPENVIDU_PRO_CLUSTER_MODE", "auto".to_string()),
        ("OPENVIDU_PRO_CLUSTER_ENVIRONMENT", "local".to_string()),
        ("OPENVIDU_PRO_CLUSTER_PATH", path("")),
        ("OPENVIDU_PRO_CLUSTER_AUTODISCOVERY", "false".to_string()),
        // Replaced by MIN_NODES while autoscaling is on.
        ("OPENVIDU_PRO_CLUSTER_MEDIA_NODES", "2".to_string()),
        ("OPENVIDU_PRO_CLUSTER_AUTOSCALING", "true".to_string()),
        ("OPENVIDU_PRO_CLUSTER_AUTOSCALING_INTERVAL", "1".to_string()),
        ("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES", "3".to_string()),
        ("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES", "1".to_string()),
        ("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD", "70".to_string()),
        ("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD", "30".to_string()),
        ("OPENVIDU_PRO_STATS_MONITORING_INTERVAL", "1".to_string()),
        ("PLENUM_MEDIA_NODE_BIN", bin.display().to_string()),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let outcome = Config::load(Some(&file), &move |key| vars.get(key).cloned()).expect("valid test configuration");
    let server = plenum::server::start(outcome.config).await.expect("server starts");
    let base = format!("http://127.0.0.1:{}", server.local_addr.port());
    TestServer { server: Some(server), base, client: reqwest::Client::new(), storage: None }
}

async fn nodes(server: &TestServer) -> Vec<Value> {
    let reply = server.get(BASE).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()["content"].as_array().cloned().unwrap_or_default()
}

/// Polls the node list until `done` holds; checks `always` on every list seen.
async fn wait_for_nodes(
    server: &TestServer,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
    always: impl Fn(&[Value]),
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = nodes(server).await;
        always(&list);
        if done(&list) {
            return list;
        }
        assert!(Instant::now() < deadline, "{what} not reached: {list:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn with_status<'a>(list: &'a [Value], status: &str) -> Vec<&'a Value> {
    list.iter().filter(|n| n["status"] == status).collect()
}

/// The CDR lines so far, as `(event name, fields)`.
fn cdr(dir: &Path) -> Vec<(String, Value)> {
    let files: Vec<_> = std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).collect()).unwrap_or_default();
    assert_eq!(files.len(), 1, "one CDR file: {files:?}");
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|value| value.as_object()?.iter().next().map(|(name, fields)| (name.clone(), fields.clone())))
        .collect()
}

/// Waits until the CDR has `terminated` for each of `ids`.
async fn wait_for_terminated(dir: &Path, ids: &[String]) -> Vec<(String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = cdr(dir);
        let terminated = |id: &String| {
            lines
                .iter()
                .any(|(name, f)| name == "mediaNodeStatusChanged" && f["id"] == **id && f["newStatus"] == "terminated")
        };
        if ids.iter().all(terminated) {
            return lines;
        }
        assert!(Instant::now() < deadline, "not all of {ids:?} terminated in the CDR: {lines:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_node_summaries(list: &Value) {
    for node in list.as_array().expect("a list of nodes") {
        let mut keys: Vec<&str> = node.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["environmentId", "id", "ip", "load", "status"], "{node}");
    }
}

/// The full `autoscaling` body: `mediaNodes` and `system` with every documented field.
fn assert_autoscaling_shape(fields: &Value) {
    assert!(fields["reason"].as_str().is_some_and(|r| !r.is_empty()), "{fields}");
    assert!(fields["clusterId"].is_string(), "{fields}");
    let launch = &fields["mediaNodes"]["launch"];
    assert!(launch["total"].is_u64() && launch["newNodes"].is_u64(), "{fields}");
    assert_node_summaries(&launch["waitingIdleToTerminateNodes"]);
    assert_node_summaries(&launch["canceledNodes"]);
    let terminate = &fields["mediaNodes"]["terminate"];
    assert!(terminate["total"].is_u64(), "{fields}");
    assert_node_summaries(&terminate["runningNodes"]);
    assert_node_summaries(&terminate["launchingNodes"]);
    let config = &fields["system"]["config"];
    assert_eq!((config["maxNodes"].as_i64(), config["minNodes"].as_i64()), (Some(3), Some(1)), "{fields}");
    assert_eq!((config["maxAvgLoad"].as_f64(), config["minAvgLoad"].as_f64()), (Some(70.0), Some(30.0)));
    let status = &fields["system"]["status"];
    for key in [
        "numNodes",
        "totalLoad",
        "avgLoad",
        "runningNodes",
        "launchingNodes",
        "waitingIdleToTerminateNodes",
        "canceledNodes",
    ] {
        assert!(status[key].is_number(), "system.status.{key}: {fields}");
    }
}

#[tokio::test]
async fn the_cluster_grows_under_load_up_to_the_maximum_and_shrinks_back_to_the_minimum() {
    let dir = tempfile::tempdir().unwrap();
    let load_file = dir.path().join("cpu-load");
    std::fs::write(&load_file, "90").unwrap();
    let reaper = NodeReaper(dir.path().to_path_buf());
    let server = autoscaling_master(dir.path(), &[]).await;
    let cdr_dir = dir.path().join("cdr");

    // 90% on every node: one more at a time, never beyond MAX_NODES.
    let never_above_three = |list: &[Value]| assert!(list.len() <= 3, "more nodes than MAX_NODES: {list:?}");
    let grown =
        wait_for_nodes(&server, "three running nodes", |l| with_status(l, "running").len() == 3, never_above_three)
            .await;
    let pids: Vec<String> = grown.iter().map(|n| n["environmentId"].as_str().unwrap().to_string()).collect();
    assert!(pids.iter().all(|pid| alive(pid)), "{pids:?}");

    // 5%: back to MIN_NODES; the extra nodes terminate and their processes go.
    std::fs::write(&load_file, "5").unwrap();
    let shrunk = wait_for_nodes(&server, "one node", |l| l.len() == 1, |_| {}).await;
    assert_eq!(shrunk[0]["status"], "running");
    let kept = shrunk[0]["id"].as_str().unwrap().to_string();
    let gone: Vec<String> =
        grown.iter().map(|n| n["id"].as_str().unwrap().to_string()).filter(|id| *id != kept).collect();
    assert_eq!(gone.len(), 2);
    let deadline = Instant::now() + Duration::from_secs(15);
    for pid in pids.iter().filter(|pid| format!("media_{pid}") != kept) {
        while alive(pid) {
            assert!(Instant::now() < deadline, "process {pid} still alive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // The CDR: each decision, with its full body, then the status changes it caused.
    let lines = wait_for_terminated(&cdr_dir, &gone).await;
    let decisions: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].0 == "autoscaling").collect();
    assert!(decisions.len() >= 3, "two launches and one shrink at least: {lines:?}");
    for &i in &decisions {
        assert_autoscaling_shape(&lines[i].1);
        let next = lines.get(i + 1).map(|(name, _)| name.as_str());
        assert_eq!(next, Some("mediaNodeStatusChanged"), "autoscaling at line {i} is followed by a status change");
    }
    let first = &lines[decisions[0]].1;
    assert_eq!(first["mediaNodes"]["launch"]["newNodes"], 1, "{first}");
    assert_eq!(first["system"]["status"]["avgLoad"], 90.0, "{first}");
    assert_eq!(first["system"]["status"]["numNodes"], 1, "{first}");
    assert_eq!(lines[decisions[0] + 1].1["newStatus"], "launching");
    let stopped: Vec<String> = decisions
        .iter()
        .flat_map(|&i| lines[i].1["mediaNodes"]["terminate"]["runningNodes"].as_array().cloned().unwrap_or_default())
        .map(|n| n["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut stopped_sorted = stopped.clone();
    stopped_sorted.sort();
    let mut gone_sorted = gone.clone();
    gone_sorted.sort();
    assert_eq!(stopped_sorted, gone_sorted, "the stopped nodes are the ones listed as terminated");
    for id in &gone {
        let steps: Vec<&str> = lines
            .iter()
            .filter(|(name, f)| name == "mediaNodeStatusChanged" && f["id"] == **id)
            .map(|(_, f)| f["newStatus"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(steps, ["launching", "running", "terminating", "terminated"], "{id}");
    }

    let last_pid = shrunk[0]["environmentId"].as_str().unwrap().to_string();
    server.stop().await;
    drop(reaper);
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(&last_pid) {
        assert!(Instant::now() < deadline, "process {last_pid} still alive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_restart_keeps_the_nodes_and_applies_the_new_limits() {
    let dir = tempfile::tempdir().unwrap();
    let load_file = dir.path().join("cpu-load");
    std::fs::write(&load_file, "90").unwrap();
    let reaper = NodeReaper(dir.path().to_path_buf());
    let server = autoscaling_master(dir.path(), &[("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES", "2")]).await;
    let at_most_two = |l: &[Value]| assert!(l.len() <= 2, "more nodes than MAX_NODES: {l:?}");
    wait_for_nodes(&server, "two running nodes", |l| with_status(l, "running").len() == 2, at_most_two).await;

    // MIN_LOAD 0 from now on: nothing is ever underloaded.
    let reply = server
        .post("/openvidu/api/restart", &json!({"OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD": 0}).to_string())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.get("/openvidu/api/status").await.json()["restartCounter"] != 1 {
        assert!(Instant::now() < deadline, "the restart did not happen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The new generation reconnects the two nodes (and launches none: they count as started).
    wait_for_nodes(&server, "the kept nodes running", |l| with_status(l, "running").len() == 2, at_most_two).await;
    // At 5 % the old limits (MIN_LOAD 30) would stop a node within about three seconds (the
    // node rereads its file, the master samples it, a round runs: one second each). With the
    // new ones both nodes stay.
    std::fs::write(&load_file, "5").unwrap();
    let observed_until = Instant::now() + Duration::from_secs(5);
    let mut list = nodes(&server).await;
    while Instant::now() < observed_until {
        assert_eq!(with_status(&list, "running").len(), 2, "a node was stopped or lost after the restart: {list:?}");
        at_most_two(&list);
        tokio::time::sleep(Duration::from_millis(100)).await;
        list = nodes(&server).await;
    }
    assert!(list.iter().all(|n| n["load"] == 5.0), "the nodes were sampled at 5 %: {list:?}");
    let pids: Vec<String> = list.iter().map(|n| n["environmentId"].as_str().unwrap().to_string()).collect();
    server.stop().await;
    drop(reaper);
    let deadline = Instant::now() + Duration::from_secs(10);
    for pid in &pids {
        while alive(pid) {
            assert!(Instant::now() < deadline, "process {pid} still alive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
