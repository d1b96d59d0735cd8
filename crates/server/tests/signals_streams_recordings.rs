//! `/signal`, `DELETE .../stream/{id}` and `/recordings` over real HTTP:
//! everything that can be answered before media nodes and signaling exist.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn signal_validation_and_inactive_sessions() {
    let server = start(&[]).await;
    server.session("s").await;
    for path in families("/signal") {
        for (body, field) in [
            ("{}", "session"),
            ("{\"session\":true}", "session"),
            ("{\"session\":\"s\",\"to\":12}", "to"),
            ("{\"session\":\"s\",\"to\":[1]}", "to"),
            ("{\"session\":\"s\",\"data\":false}", "data"),
            ("{\"session\":\"s\",\"type\":true}", "type"),
        ] {
            let reply = server.post(&path, body).await;
            assert_eq!(reply.status, 400, "{body}");
            assert!(reply.message().contains(field), "{body}: {:?}", reply.message());
        }
        assert_eq!(server.call("POST", &path, None).await.status, 400);
        assert_eq!(server.post(&path, "{\"session\":\"NOT_EXISTS\"}").await.status, 404);
        let inactive = server.post(&path, "{\"session\":\"s\",\"type\":\"MY_TYPE\",\"data\":\"hi\",\"to\":[]}").await;
        assert_eq!((inactive.status.as_u16(), inactive.text.as_str()), (406, ""), "no participants yet");
    }
    server.stop().await;
}

#[tokio::test]
async fn stream_delete_statuses() {
    let server = start(&[]).await;
    server.session("s").await;
    for base in families("/sessions") {
        let no_session = server.call("DELETE", &format!("{base}/NOT_EXISTS/stream/str_CAM_AbCd_con_X"), None).await;
        assert_eq!((no_session.status.as_u16(), no_session.text.as_str()), (400, ""));
        let no_stream = server.call("DELETE", &format!("{base}/s/stream/str_CAM_AbCd_con_X"), None).await;
        assert_eq!((no_stream.status.as_u16(), no_stream.text.as_str()), (404, ""));
    }
    server.stop().await;
}

#[tokio::test]
async fn recordings_answer_501_when_disabled() {
    let server = start(&[]).await;
    server.session("s").await;
    for base in families("/recordings") {
        for (method, path, body) in [
            ("GET", base.clone(), None),
            ("GET", format!("{base}/s"), None),
            ("DELETE", format!("{base}/s"), None),
            ("POST", format!("{base}/stop/s"), None),
            ("POST", format!("{base}/start"), Some("{\"session\":\"s\"}")),
        ] {
            let reply = server.call(method, &path, body).await;
            assert_eq!(reply.status, 501, "{method} {path}");
            assert!(reply.message().contains("OPENVIDU_RECORDING"), "{}", reply.message());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn recordings_answer_what_they_can_without_media_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let server = start(&[("OPENVIDU_RECORDING", "true"), ("OPENVIDU_RECORDING_PATH", path)]).await;
    server.session("s").await;
    server.post("/openvidu/api/sessions", "{\"customSessionId\":\"relayed\",\"mediaMode\":\"RELAYED\"}").await;
    for base in families("/recordings") {
        assert_eq!(server.get(&base).await.json(), json!({"count": 0, "items": []}));
        assert_eq!(server.get(&format!("{base}/s")).await.status, 404);
        assert_eq!(server.call("DELETE", &format!("{base}/s"), None).await.status, 404);
        assert_eq!(server.call("POST", &format!("{base}/stop/s"), None).await.status, 404);

        let start = format!("{base}/start");
        assert_eq!(server.call("POST", &start, None).await.status, 400, "a body is required");
        assert_eq!(server.post(&start, "{}").await.status, 400, "session is mandatory");
        assert_eq!(server.post(&start, "{\"session\":true}").await.status, 400);
        let unknown = server.post(&start, "{\"session\":\"NOT_EXISTS\",\"name\":999}").await;
        assert_eq!(unknown.status, 404, "the session is checked before the properties");
        assert_eq!(server.post(&start, "{\"session\":\"s\"}").await.status, 406, "no participants");
        assert_eq!(
            server.post(&start, "{\"session\":\"relayed\"}").await.status,
            409,
            "RELAYED sessions cannot be recorded"
        );
    }
    server.stop().await;
}
