//! `/sessions` over real HTTP, on both path families.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn create_with_empty_or_full_body_returns_the_session_object() {
    let server = start(&[]).await;
    for path in families("/sessions") {
        for body in [None, Some("{}")] {
            let reply = server.call("POST", &path, body).await;
            assert_eq!(reply.status, 200, "{path} {body:?}: {}", reply.text);
            let session = reply.json();
            if path.starts_with("/openvidu/api") {
                assert_eq!(keys(&session), sorted(&SESSION_KEYS));
            } else {
                // The 2.13 family adds the 2.13 top-level recording defaults that client 2.14 reads back.
                let mut legacy = SESSION_KEYS.to_vec();
                legacy.extend(["defaultOutputMode", "defaultRecordingLayout"]);
                assert_eq!(keys(&session), sorted(&legacy));
                assert_eq!(session["defaultOutputMode"], "COMPOSED");
                assert_eq!(session["defaultRecordingLayout"], "BEST_FIT");
            }
            let id = session["id"].as_str().unwrap();
            assert!(id.starts_with("ses_") && id.len() == 14, "{id}");
            assert_eq!(session["sessionId"], session["id"]);
            assert_eq!(session["object"], "session");
            assert_eq!(session["customSessionId"], "");
            assert_eq!(session["mediaMode"], "ROUTED");
            assert_eq!(session["recordingMode"], "MANUAL");
            assert_eq!(session["forcedVideoCodec"], "MEDIA_SERVER_PREFERRED");
            assert_eq!(session["allowTranscoding"], false);
            assert_eq!(session["connections"], json!({"numberOfElements": 0, "content": []}));
            assert!(reply.headers["content-type"].to_str().unwrap().starts_with("application/json"));
        }
    }
    let full = json!({
        "mediaMode": "ROUTED", "recordingMode": "ALWAYS", "customSessionId": "CUSTOM_SESSION_ID",
        "forcedVideoCodec": "H264", "allowTranscoding": true,
        "defaultRecordingProperties": {"name": "rec", "hasAudio": true, "hasVideo": true, "outputMode": "COMPOSED",
            "recordingLayout": "CUSTOM", "customLayout": "mine", "resolution": "1920x1080", "frameRate": 30, "shmSize": 600000000},
        "mediaNode": {"id": "media_1"}
    });
    let session = server.post("/openvidu/api/sessions", &full.to_string()).await.json();
    assert_eq!(session["id"], "CUSTOM_SESSION_ID");
    assert_eq!(session["customSessionId"], "CUSTOM_SESSION_ID");
    assert_eq!(session["recordingMode"], "ALWAYS");
    assert_eq!(session["forcedVideoCodec"], "H264");
    assert_eq!(session["allowTranscoding"], true);
    assert_eq!(session["mediaNode"], json!({"id": "media_1"}));
    assert_eq!(
        session["defaultRecordingProperties"],
        json!({"name": "rec", "hasAudio": true, "hasVideo": true, "outputMode": "COMPOSED", "recordingLayout": "CUSTOM",
               "resolution": "1920x1080", "frameRate": 30, "shmSize": 600000000, "customLayout": "mine"})
    );
    server.stop().await;
}

#[tokio::test]
async fn global_codec_and_transcoding_defaults_are_echoed() {
    let server =
        start(&[("OPENVIDU_STREAMS_FORCED_VIDEO_CODEC", "VP9"), ("OPENVIDU_STREAMS_ALLOW_TRANSCODING", "true")]).await;
    let session = server.post("/openvidu/api/sessions", "{}").await.json();
    assert_eq!(session["forcedVideoCodec"], "VP9");
    assert_eq!(session["allowTranscoding"], true);
    server.stop().await;
}

#[tokio::test]
async fn explicit_nulls_mean_defaults() {
    let server = start(&[]).await;
    let body = json!({"mediaMode": null, "recordingMode": null, "customSessionId": null, "forcedVideoCodec": null,
                      "allowTranscoding": null, "defaultRecordingProperties": null, "mediaNode": null});
    let reply = server.post("/openvidu/api/sessions", &body.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["mediaMode"], "ROUTED");
    server.stop().await;
}

#[tokio::test]
async fn bad_bodies_are_400s_that_name_the_field_and_create_nothing() {
    let server = start(&[]).await;
    let cases = [
        (json!({"mediaMode": "NOT_EXISTS"}), "mediaMode"),
        (json!({"recordingMode": false}), "recordingMode"),
        (json!({"customSessionId": 999}), "customSessionId"),
        (json!({"customSessionId": "has space"}), "customSessionId"),
        (json!({"recordingMode": "NOT_EXISTS"}), "recordingMode"),
        (json!({"defaultRecordingProperties": "STR"}), "defaultRecordingProperties"),
        (json!({"defaultRecordingProperties": {"outputMode": "NOT_EXISTS"}}), "outputMode"),
        (json!({"defaultRecordingProperties": {"recordingLayout": "NOT_EXISTS"}}), "recordingLayout"),
        (json!({"defaultRecordingProperties": {"resolution": "99x99"}}), "resolution"),
        (json!({"forcedVideoCodec": "AV1"}), "forcedVideoCodec"),
        (json!({"allowTranscoding": "yes"}), "allowTranscoding"),
        (json!({"mediaNode": {"name": "x"}}), "mediaNode"),
    ];
    for path in families("/sessions") {
        for (body, field) in &cases {
            let reply = server.post(&path, &body.to_string()).await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.text);
            let error = reply.json();
            assert_eq!(keys(&error), sorted(&["timestamp", "status", "error", "message", "path"]));
            assert_eq!(error["status"], 400);
            assert_eq!(error["error"], "Bad Request");
            assert_eq!(error["path"], path.as_str());
            assert!(reply.message().contains(field), "{body}: message {:?} should name {field}", reply.message());
        }
    }
    let list = server.get("/openvidu/api/sessions").await.json();
    assert_eq!(list, json!({"numberOfElements": 0, "content": []}), "rejected requests must not create sessions");
    server.stop().await;
}

#[tokio::test]
async fn duplicate_custom_id_is_409_with_empty_body() {
    let server = start(&[]).await;
    server.session("dup").await;
    for path in families("/sessions") {
        let reply = server.post(&path, "{\"customSessionId\":\"dup\"}").await;
        assert_eq!(reply.status, 409);
        assert_eq!(reply.text, "");
    }
    assert_eq!(server.get("/openvidu/api/sessions").await.json()["numberOfElements"], 1);
    server.stop().await;
}

#[tokio::test]
async fn get_list_and_delete() {
    let server = start(&[]).await;
    assert_eq!(server.get("/openvidu/api/sessions").await.json(), json!({"numberOfElements": 0, "content": []}));
    let not_found = server.get("/openvidu/api/sessions/NOT_EXISTS").await;
    assert_eq!((not_found.status.as_u16(), not_found.text.as_str()), (404, ""));

    server.session("a").await;
    server.session("b").await;
    server.connection("a", "{}").await;
    for path in families("") {
        let list = server.get(&format!("{path}/sessions")).await.json();
        assert_eq!(list["numberOfElements"], 2);
        assert_eq!(list["content"][0]["id"], "a", "creation order");
        assert_eq!(list["content"][0]["connections"]["numberOfElements"], 0, "pending hidden by default");
        let with_pending = server.get(&format!("{path}/sessions?pendingConnections=true")).await.json();
        assert_eq!(with_pending["content"][0]["connections"]["numberOfElements"], 1);
        let one = server.get(&format!("{path}/sessions/a?pendingConnections=true&webRtcStats=true")).await.json();
        assert_eq!(one["connections"]["content"][0]["status"], "pending");
    }
    let bad_flag = server.get("/openvidu/api/sessions?pendingConnections=maybe").await;
    assert_eq!(bad_flag.status, 400);
    assert!(bad_flag.message().contains("pendingConnections"));

    let deleted = server.call("DELETE", "/openvidu/api/sessions/a", None).await;
    assert_eq!((deleted.status.as_u16(), deleted.text.as_str()), (204, ""));
    assert_eq!(server.call("DELETE", "/openvidu/api/sessions/a", None).await.status, 404);
    assert_eq!(server.call("DELETE", "/api/sessions/b", None).await.status, 204);
    assert_eq!(server.get("/openvidu/api/sessions").await.json()["numberOfElements"], 0);
    server.stop().await;
}

#[tokio::test]
async fn both_families_share_one_store() {
    let server = start(&[]).await;
    server.post("/api/sessions", "{\"customSessionId\":\"legacy\"}").await;
    assert_eq!(server.get("/openvidu/api/sessions/legacy").await.status, 200);
    server.session("current").await;
    assert_eq!(server.get("/api/sessions/current").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn legacy_recording_keys_of_node_client_2_14_are_honoured() {
    let server = start(&[]).await;
    let body = json!({"mediaMode": "ROUTED", "recordingMode": "MANUAL", "customSessionId": "old",
                      "defaultOutputMode": "INDIVIDUAL", "defaultRecordingLayout": "BEST_FIT", "defaultCustomLayout": ""});
    let session = server.post("/api/sessions", &body.to_string()).await.json();
    assert_eq!(session["defaultRecordingProperties"]["outputMode"], "INDIVIDUAL");
    assert_eq!(server.post("/api/sessions", "{\"defaultOutputMode\":\"BAD\"}").await.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn unmapped_methods_are_403_on_current_paths_and_405_on_legacy_ones() {
    let server = start(&[]).await;
    for (method, path) in [
        ("DELETE", "/openvidu/api/sessions"),
        ("POST", "/openvidu/api/recordings/stop"),
        ("DELETE", "/openvidu/api/recordings"),
    ] {
        let reply = server.call(method, path, None).await;
        assert_eq!(reply.status, 403, "{method} {path}");
    }
    for (method, path) in [("DELETE", "/api/sessions"), ("PUT", "/api/sessions/x"), ("DELETE", "/config")] {
        assert_eq!(server.call(method, path, None).await.status, 405, "{method} {path}");
    }
    let unknown = server.get("/openvidu/api/nothing-here").await;
    assert_eq!(unknown.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn deprecated_paths_can_be_turned_off() {
    let server = start(&[("SUPPORT_DEPRECATED_API", "false")]).await;
    assert_eq!(server.post("/api/sessions", "{}").await.status, 404);
    assert_eq!(server.get("/config").await.status, 404);
    assert_eq!(server.post("/openvidu/api/sessions", "{}").await.status, 200);
    server.stop().await;
}
