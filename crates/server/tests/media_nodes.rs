//! The media node API against real `plenum-media-node` processes, on both path families.

mod common;

use std::time::{Duration, Instant};

use common::media_node::NodeProcess;
use common::{SECRET, start};
use plenum::openvidu_enums::WireEnum;
use serde_json::Value;

const FAMILIES: [&str; 2] = ["/openvidu/api/media-nodes", "/pro/media-nodes"];
/// These tests manage their own nodes; the embedded one has its own test.
const NO_EMBEDDED: &[(&str, &str)] = &[("PLENUM_EMBEDDED_MEDIA_NODE", "false")];

async fn add(server: &common::TestServer, base: &str, uri: &str) -> Value {
    let reply = server.post(base, &format!(r#"{{"uri":"{uri}"}}"#)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json()
}

#[tokio::test]
async fn nodes_are_added_listed_fetched_and_refused_twice() {
    let server = start(NO_EMBEDDED).await;
    for base in FAMILIES {
        let node = NodeProcess::start();
        let added = add(&server, base, &node.uri).await;
        assert_eq!(added["object"], "mediaNode");
        assert_eq!(added["status"], "running");
        assert_eq!(added["connected"], true);
        assert_eq!(added["uri"], node.uri.as_str());
        assert_eq!(added["ip"], "127.0.0.1");
        assert!(added.get("disconnectionTime").is_none());
        let id = added["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("media_"), "{id}");

        let again = server.post(base, &format!(r#"{{"uri":"{}"}}"#, node.uri)).await;
        assert_eq!(again.status, 409, "{}", again.text);

        let fetched = server.get(&format!("{base}/{id}?extra-info=true&sessions=true")).await;
        assert_eq!(fetched.status, 200);
        let fetched = fetched.json();
        assert_eq!(fetched["kurentoInfo"]["version"], "7.3.0");
        let modules: Vec<&str> =
            fetched["kurentoInfo"]["modules"].as_array().unwrap().iter().filter_map(|m| m["name"].as_str()).collect();
        for module in ["core", "elements", "filters"] {
            assert!(modules.contains(&module), "{modules:?}");
        }
        assert_eq!(fetched["sessions"], serde_json::json!([]));

        let list = server.get(base).await.json();
        assert!(list["numberOfElements"].as_u64().unwrap() >= 1);
        assert!(list["content"].as_array().unwrap().iter().any(|n| n["id"] == id.as_str()));
        assert_eq!(server.get(&format!("{base}/media_nosuch")).await.status, 404);
        assert_eq!(server.call("DELETE", &format!("{base}/{id}"), None).await.status, 204);
        assert_eq!(server.get(&format!("{base}/{id}")).await.status, 404);
    }
}

#[tokio::test]
async fn bad_uris_get_400_and_unreachable_nodes_404_in_bounded_time() {
    let server = start(NO_EMBEDDED).await;
    for base in FAMILIES {
        for body in [r#"{"uri":5}"#, r#"{"uri":"http://127.0.0.1:1/kurento"}"#, r#"{"uri":"not a url"}"#] {
            let reply = server.post(base, body).await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        }
        assert_eq!(server.post(base, "{}").await.status, 501);
        // A port nobody listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let began = Instant::now();
        let reply = server.post(base, &format!(r#"{{"uri":"ws://127.0.0.1:{closed}/kurento"}}"#)).await;
        assert_eq!(reply.status, 404, "{}", reply.text);
        assert!(began.elapsed() < Duration::from_secs(10));
    }
}

#[tokio::test]
async fn auth_is_required() {
    let server = start(NO_EMBEDDED).await;
    for base in FAMILIES {
        assert_eq!(server.raw("GET", base, None, None).await.status, 401);
        assert_eq!(server.raw("GET", base, None, Some(("OPENVIDUAPP", "wrong"))).await.status, 401);
        assert_eq!(server.raw("GET", base, None, Some(("OPENVIDUAPP", SECRET))).await.status, 200);
    }
}

#[tokio::test]
async fn deletion_strategies_follow_the_sessions_on_the_node() {
    let server = start(NO_EMBEDDED).await;
    let state = server.server.as_ref().unwrap().state.clone();
    for base in FAMILIES {
        // if-no-sessions: refused while a session is there.
        let node = NodeProcess::start();
        let id = add(&server, base, &node.uri).await["id"].as_str().unwrap().to_string();
        let session = server.post("/openvidu/api/sessions", "{}").await.json()["id"].as_str().unwrap().to_string();
        assert_eq!(state.cluster().registry().place_session(&session, Some(&id)).unwrap(), id);
        assert_eq!(server.call("DELETE", &format!("{base}/{id}"), None).await.status, 409);
        assert_eq!(
            server.call("DELETE", &format!("{base}/{id}?deletion-strategy=if-no-sessions"), None).await.status,
            409
        );
        let hosted = server.get(&format!("{base}/{id}?sessions=true")).await.json();
        assert_eq!(hosted["sessions"][0]["id"], session.as_str());

        // when-no-sessions: drains, takes no new session, and goes when the last one closes.
        let draining = server.call("DELETE", &format!("{base}/{id}?deletion-strategy=when-no-sessions"), None).await;
        assert_eq!(draining.status, 202, "{}", draining.text);
        assert_eq!(draining.json()["status"], "waiting-idle-to-terminate");
        assert!(state.cluster().registry().place_session("another", None).is_err());
        let change = state.cluster().registry().session_closed(&session, 1).expect("last session closes the drain");
        assert_eq!(change.new_status.as_str(), "terminating");

        // now: closes the sessions on the node.
        let node = NodeProcess::start();
        let id = add(&server, base, &node.uri).await["id"].as_str().unwrap().to_string();
        let session = server.post("/openvidu/api/sessions", "{}").await.json()["id"].as_str().unwrap().to_string();
        state.cluster().registry().place_session(&session, None).unwrap();
        let removed = server.call("DELETE", &format!("{base}/{id}?deletion-strategy=now"), None).await;
        // 2.16+ answers 200 with the node record (OpenVidu 2.32's e2e); the 2.13-2.15 Pro page lists 204.
        let expected = if base.starts_with("/pro/") { 204 } else { 200 };
        assert_eq!(removed.status, expected, "{base}: {}", removed.text);
        if expected == 200 {
            assert_eq!(removed.json()["status"], "terminating");
        }
        assert_eq!(server.get(&format!("/openvidu/api/sessions/{session}")).await.status, 404);
        assert_eq!(server.get(&format!("{base}/{id}")).await.status, 404);

        // An empty node goes at once with every strategy.
        for strategy in ["now", "if-no-sessions", "when-no-sessions"] {
            let node = NodeProcess::start();
            let id = add(&server, base, &node.uri).await["id"].as_str().unwrap().to_string();
            let reply = server.call("DELETE", &format!("{base}/{id}?deletion-strategy={strategy}"), None).await;
            assert_eq!(reply.status, 204, "{strategy}: {}", reply.text);
        }
        let node = NodeProcess::start();
        let id = add(&server, base, &node.uri).await["id"].as_str().unwrap().to_string();
        let reply = server.call("DELETE", &format!("{base}/{id}?deletion-strategy=later"), None).await;
        assert_eq!(reply.status, 400);
    }
}

#[tokio::test]
async fn patch_allows_exactly_the_documented_transitions() {
    let server = start(NO_EMBEDDED).await;
    for base in FAMILIES {
        let node = NodeProcess::start();
        let id = add(&server, base, &node.uri).await["id"].as_str().unwrap().to_string();
        let patch = |status: &str| {
            let path = format!("{base}/{id}");
            let body = format!(r#"{{"status":"{status}"}}"#);
            let server = &server;
            async move { server.call("PATCH", &path, Some(&body)).await }
        };
        assert_eq!(patch("running").await.status, 204);
        for refused in ["failed", "terminated", "launching", "canceled", "RUNNING", "sleeping"] {
            let reply = patch(refused).await;
            assert_eq!(reply.status, 400, "{refused}: {}", reply.text);
        }
        let reply = server.call("PATCH", &format!("{base}/{id}"), Some(r#"{"status":3}"#)).await;
        assert_eq!(reply.status, 400);
        let reply = patch("waiting-idle-to-terminate").await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.json()["status"], "waiting-idle-to-terminate");
        assert_eq!(patch("running").await.json()["status"], "running");
        let reply = patch("terminating").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()["status"], "terminating");
        assert_eq!(server.get(&format!("{base}/{id}")).await.status, 404);
        assert_eq!(patch("running").await.status, 404);
    }
}

#[tokio::test]
async fn a_killed_node_shows_disconnected() {
    let server = start(NO_EMBEDDED).await;
    assert_eq!(server.get("/openvidu/api/health").await.json()["status"], "DOWN");
    let mut node = NodeProcess::start();
    let id = add(&server, FAMILIES[0], &node.uri).await["id"].as_str().unwrap().to_string();
    let healthy = NodeProcess::start();
    let healthy_id = add(&server, FAMILIES[0], &healthy.uri).await["id"].as_str().unwrap().to_string();
    assert_eq!(server.get("/openvidu/api/health").await.json()["status"], "UP");
    node.kill();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let record = server.get(&format!("{}/{id}", FAMILIES[0])).await.json();
        if record["connected"] == false {
            assert!(record["disconnectionTime"].as_u64().unwrap() > 0);
            let reply = server.get("/openvidu/api/health").await;
            assert_eq!(reply.status, 409, "UNSTABLE is 409, as OpenVidu answers");
            assert_eq!(reply.json(), serde_json::json!({"status": "UNSTABLE", "disconnectedMediaNodes": [id]}));
            {
                let registry = server.server.as_ref().unwrap().state.cluster().registry();
                assert_eq!(registry.check_placeable(None), Ok(()));
                assert!(registry.check_placeable(Some(&id)).is_err(), "a disconnected node takes no session");
            }
            assert_eq!(server.call("DELETE", &format!("{}/{healthy_id}", FAMILIES[0]), None).await.status, 204);
            assert_eq!(server.get("/openvidu/api/health").await.json()["status"], "DOWN");
            break;
        }
        assert!(Instant::now() < deadline, "still connected: {record}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn with_the_cluster_off_every_operation_is_501() {
    let server = start(&[("OPENVIDU_PRO_CLUSTER", "false")]).await;
    for base in FAMILIES {
        for (method, path) in [
            ("GET", base.to_string()),
            ("POST", base.to_string()),
            ("PUT", base.to_string()),
            ("GET", format!("{base}/x")),
            ("DELETE", format!("{base}/x")),
            ("PATCH", format!("{base}/x")),
        ] {
            let reply = server.call(method, &path, Some("{}")).await;
            assert_eq!(reply.status, 501, "{method} {path}: {}", reply.text);
        }
    }
}

#[tokio::test]
async fn the_embedded_node_registers_at_startup_and_survives_a_restart() {
    let server = start(&[]).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let embedded = loop {
        let reply = server.get(&format!("{}/media_embedded", FAMILIES[0])).await;
        if reply.status == 200 && reply.json()["status"] == "running" {
            break reply.json();
        }
        assert!(Instant::now() < deadline, "embedded node not running: {}", reply.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(embedded["environmentId"], "embedded");
    assert_eq!(embedded["connected"], true);
    let other = NodeProcess::start();
    let added = add(&server, FAMILIES[0], &other.uri).await;
    assert_eq!(server.post("/openvidu/api/restart", "{}").await.status, 200);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let list = server.get(FAMILIES[0]).await.json();
        let ids: Vec<&str> = list["content"].as_array().unwrap().iter().filter_map(|n| n["id"].as_str()).collect();
        if ids.contains(&"media_embedded") && ids.contains(&added["id"].as_str().unwrap()) {
            assert_eq!(list["numberOfElements"], 2, "{list}");
            let carried = server.get(&format!("{}/{}", FAMILIES[0], added["id"].as_str().unwrap())).await.json();
            assert_eq!(
                (carried["uri"].as_str(), carried["status"].as_str()),
                (Some(other.uri.as_str()), Some("running"))
            );
            break;
        }
        assert!(Instant::now() < deadline, "nodes not back after the restart: {list}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn connections_and_tokens_need_a_running_node() {
    let server = start(NO_EMBEDDED).await;
    let session = server.post("/openvidu/api/sessions", "{}").await.json()["id"].as_str().unwrap().to_string();
    let refused = server.post(&format!("/openvidu/api/sessions/{session}/connection"), "{}").await;
    assert_eq!(refused.status, 503, "{}", refused.text);
    assert!(refused.message().contains("No media node"), "{}", refused.text);
    let refused = server.post("/openvidu/api/tokens", &format!(r#"{{"session":"{session}"}}"#)).await;
    assert_eq!(refused.status, 503, "{}", refused.text);

    let node = NodeProcess::start();
    let id = add(&server, FAMILIES[0], &node.uri).await["id"].as_str().unwrap().to_string();
    let granted = server.post(&format!("/openvidu/api/sessions/{session}/connection"), "{}").await;
    assert_eq!(granted.status, 200, "{}", granted.text);

    // A session bound to a node that is not there cannot hand out connections either.
    let bound = server.post("/openvidu/api/sessions", r#"{"mediaNode":{"id":"media_elsewhere"}}"#).await.json();
    let bound = bound["id"].as_str().unwrap();
    let refused = server.post(&format!("/openvidu/api/sessions/{bound}/connection"), "{}").await;
    assert_eq!(refused.status, 503);
    assert!(refused.message().contains("media_elsewhere"), "{}", refused.text);
    let pinned = server.post("/openvidu/api/sessions", &format!(r#"{{"mediaNode":{{"id":"{id}"}}}}"#)).await.json();
    let pinned = pinned["id"].as_str().unwrap();
    assert_eq!(server.post(&format!("/openvidu/api/sessions/{pinned}/connection"), "{}").await.status, 200);
}

#[tokio::test]
async fn status_changes_go_to_the_cdr() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = NO_EMBEDDED.to_vec();
    settings.extend([("OPENVIDU_CDR", "true"), ("OPENVIDU_CDR_PATH", dir.path().to_str().unwrap())]);
    let server = start(&settings).await;
    let node = NodeProcess::start();
    let id = add(&server, FAMILIES[0], &node.uri).await["id"].as_str().unwrap().to_string();
    assert_eq!(server.call("DELETE", &format!("{}/{id}", FAMILIES[0]), None).await.status, 204);
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with("CDR.") && name.ends_with(".log"), "{name}");
    // The CDR is written on its own thread: wait for the node's last change to be there.
    let read = || -> Vec<Value> {
        std::fs::read_to_string(&files[0])
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["mediaNodeStatusChanged"].clone())
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while read().last().is_none_or(|e| e["newStatus"] != "terminated") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let events = read();
    let steps: Vec<(Value, Value)> = events.iter().map(|e| (e["oldStatus"].clone(), e["newStatus"].clone())).collect();
    assert_eq!(
        steps,
        [
            (Value::Null, "launching".into()),
            ("launching".into(), "running".into()),
            ("running".into(), "terminating".into()),
            ("terminating".into(), "terminated".into()),
        ]
    );
    for event in &events {
        assert_eq!(event["id"], id.as_str());
        assert_eq!(event["uri"], node.uri.as_str());
        assert_eq!(event["ip"], "127.0.0.1");
        assert!(event["clusterId"].as_str().is_some_and(|c| !c.is_empty()));
        assert!(event["timestamp"].as_u64().unwrap() > 0);
        assert!(event.get("environmentId").is_some());
    }
}
