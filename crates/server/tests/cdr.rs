//! The CDR: the directory and file are made at startup, and every event of a
//! call — from REST and from the signaling websocket — lands in it, in order.

mod common;

use std::time::Duration;

use common::start;
use serde_json::Value;

/// The CDR lines written so far, as `(event name, fields)`.
fn lines(dir: &std::path::Path) -> Vec<(String, Value)> {
    let files: Vec<_> = std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).collect()).unwrap_or_default();
    assert_eq!(files.len(), 1, "one CDR file per start: {files:?}");
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            let (name, fields) = value.as_object().unwrap().iter().next().unwrap();
            (name.clone(), fields.clone())
        })
        .collect()
}

/// Waits until the CDR's last line is `last` (the writer flushes on its own thread).
async fn wait_for(dir: &std::path::Path, last: &str) -> Vec<(String, Value)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = lines(dir);
        if now.last().is_some_and(|(name, _)| name == last) || std::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_cdr_directory_is_made_at_startup_and_a_calls_events_are_written_in_order() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("not/yet/there");
    let path = dir.display().to_string();
    let server =
        start(&[("OPENVIDU_CDR", "true"), ("OPENVIDU_CDR_PATH", &path), ("PLENUM_EMBEDDED_MEDIA_NODE", "false")]).await;
    assert!(lines(&dir).is_empty(), "the file exists, empty, before any event");

    // No media node: the session can exist and be signalled to nobody, then closed by REST.
    server.session("billing").await;
    let listed = server.get("/openvidu/cdr").await.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(server.call("DELETE", "/openvidu/api/sessions/billing", None).await.status, 204);
    let written = wait_for(&dir, "sessionDestroyed").await;
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["sessionCreated", "sessionDestroyed"]);
    let destroyed = &written[1].1;
    assert_eq!(destroyed["reason"], "sessionClosedByServer");
    assert_eq!(destroyed["sessionId"], "billing");
    assert_eq!(destroyed["uniqueSessionId"], format!("billing_{}", destroyed["startTime"]));
    server.stop().await;
}

#[tokio::test]
async fn participants_and_signals_reach_the_cdr_with_their_reasons() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().display().to_string();
    let server = start(&[("OPENVIDU_CDR", "true"), ("OPENVIDU_CDR_PATH", &path)]).await;
    common::scripted_call::alice_joins_signals_and_leaves(&server).await;
    let written = wait_for(root.path(), "sessionDestroyed").await;
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    let node_changes = names.iter().filter(|n| **n == "mediaNodeStatusChanged").count();
    assert_eq!(node_changes, 2, "the embedded node: launching, then running: {names:?}");
    let call: Vec<&str> = names.into_iter().filter(|n| *n != "mediaNodeStatusChanged").collect();
    assert_eq!(call, ["sessionCreated", "participantJoined", "signalSent", "participantLeft", "sessionDestroyed"]);
    let field = |event: &str, key: &str| written.iter().find(|(n, _)| n == event).unwrap().1[key].clone();
    assert_eq!(field("participantJoined", "clientData"), "alice");
    assert_eq!(field("participantJoined", "ip"), "127.0.0.1", "the websocket's peer, without a proxy");
    assert_eq!(field("participantJoined", "serverData"), "alice-data");
    assert_eq!(field("participantJoined", "participantId"), field("participantJoined", "connectionId"));
    assert_eq!(field("signalSent", "type"), "signal:chat");
    assert_eq!(field("participantLeft", "reason"), "disconnect");
    assert_eq!(field("sessionDestroyed", "reason"), "lastParticipantLeft");
    server.stop().await;
}

#[tokio::test]
async fn a_listed_cdr_file_downloads_with_auth_on_both_path_families_and_nothing_else_does() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().display().to_string();
    let server = start(&[
        ("OPENVIDU_CDR", "true"),
        ("OPENVIDU_CDR_PATH", &path),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
        ("SUPPORT_DEPRECATED_API", "true"),
    ])
    .await;
    std::fs::write(root.path().parent().unwrap().join("outside.log"), "secret").unwrap();
    server.session("billing").await;
    wait_for(root.path(), "sessionCreated").await;
    let listed = server.get("/openvidu/cdr").await.json();
    let name = listed[0].as_str().unwrap().to_string();
    let on_disk = std::fs::read_to_string(root.path().join(&name)).unwrap();
    for family in ["/openvidu/cdr", "/cdr"] {
        let url = format!("{family}/{name}");
        let anonymous = server.raw("GET", &url, None, None).await;
        assert_eq!(anonymous.status, 401, "{url}");
        let downloaded = server.get(&url).await;
        assert_eq!(downloaded.status, 200, "{url}: {}", downloaded.text);
        assert_eq!(downloaded.text, on_disk);
        assert!(downloaded.text.contains(r#"{"sessionCreated":{"#), "{}", downloaded.text);
        assert_eq!(downloaded.headers["content-type"], "text/plain; charset=utf-8");
        let disposition = downloaded.headers["content-disposition"].to_str().unwrap();
        assert_eq!(disposition, format!("attachment; filename=\"{name}\""));
    }
    let refused = [
        ("/openvidu/cdr/CDR.2000-01-01_1.log", 404),
        ("/openvidu/cdr/..", 404),
        // The front door refuses encoded separators before any handler runs.
        ("/openvidu/cdr/..%2Foutside.log", 400),
        ("/cdr/..%2Foutside.log", 400),
    ];
    for (url, status) in refused {
        let reply = server.get(url).await;
        assert_eq!(reply.status, status, "{url}: {}", reply.text);
        assert!(!reply.text.contains("secret"), "{url}");
    }
    server.stop().await;
}
