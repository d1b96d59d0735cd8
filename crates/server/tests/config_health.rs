//! Config, health, status and CDR endpoints over real HTTP.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn config_on_both_families() {
    let server = start(&[("OPENVIDU_CDR", "true")]).await;
    for path in ["/openvidu/api/config", "/config"] {
        let config = server.get(path).await.json();
        assert_eq!(config["VERSION"], "2.32.1");
        assert_eq!(config["OPENVIDU_PUBLICURL"], server.base.as_str());
        assert_eq!(config["OPENVIDU_CDR"], true);
        assert!(config["OPENVIDU_CDR_PATH"].is_string(), "CDR path shown when CDR is on");
        assert_eq!(config["OPENVIDU_SESSIONS_GARBAGE_INTERVAL"], 900);
        assert_eq!(config["OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH"], 1000);
        assert_eq!(config["KMS_URIS"], json!([]));
        assert_eq!(config["OPENVIDU_PRO_CLUSTER_MODE"], "manual");
        assert!(config["OPENVIDU_PRO_CLUSTER_ID"].as_str().unwrap().starts_with("plenum_"));
        assert!(config.get("OPENVIDU_SECRET").is_none(), "the secret is never shown");
    }
    server.stop().await;
}

#[tokio::test]
async fn config_sub_paths() {
    let server = start(&[("OPENVIDU_RECORDING_PATH", "/srv/recordings")]).await;
    for base in ["/openvidu/api/config", "/config"] {
        assert_eq!(server.get(&format!("{base}/openvidu-version")).await.text, "2.32.1");
        let public = server.raw("GET", &format!("{base}/openvidu-publicurl"), None, None).await;
        assert_eq!((public.status.as_u16(), public.text.as_str()), (200, server.base.as_str()), "public without auth");
        assert_eq!(server.get(&format!("{base}/openvidu-recording")).await.json(), json!(false));
        assert_eq!(server.get(&format!("{base}/openvidu-recording-path")).await.text, "/srv/recordings");
        assert_eq!(server.get(&format!("{base}/openvidu-cdr")).await.json(), json!(false));
    }
    server.stop().await;
}

#[tokio::test]
async fn health_and_status() {
    let server = start(&[]).await;
    // UP once the embedded media node has registered.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let reply = server.get("/openvidu/api/health").await;
        let health = reply.json();
        if health["status"] == "UP" {
            assert_eq!(health, json!({"status": "UP", "disconnectedMediaNodes": []}));
            assert_eq!(reply.status, 200);
            break;
        }
        assert_eq!(health["status"], "DOWN", "before the node registers: {health}");
        assert_eq!(reply.status, 503, "DOWN is 503, as OpenVidu answers");
        assert!(std::time::Instant::now() < deadline, "never UP: {health}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let status = server.get("/openvidu/api/status").await.json();
    assert_eq!(keys(&status), sorted(&["startTime", "restartCounter", "lastRestartTime"]));
    assert_eq!(status["restartCounter"], 0);
    assert!(status["startTime"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(server.raw("GET", "/openvidu/api/health", None, None).await.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn cdr_lists_the_files_of_the_cdr_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("CDR.2026-11-26_1.log"), "{}\n").unwrap();
    let server = start(&[("OPENVIDU_CDR_PATH", dir.path().to_str().unwrap())]).await;
    for path in ["/openvidu/cdr", "/cdr"] {
        assert_eq!(server.get(path).await.json(), json!(["CDR.2026-11-26_1.log"]));
        assert_eq!(server.raw("GET", path, None, None).await.status, 401);
    }
    server.stop().await;
}

#[tokio::test]
async fn accept_certificate_page_is_public() {
    let server = start(&[]).await;
    for path in ["/openvidu/accept-certificate", "/accept-certificate"] {
        let reply = server.raw("GET", path, None, None).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(reply.text.contains("Certificate accepted"), "{path}");
        assert!(reply.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    }
    server.stop().await;
}

#[tokio::test]
async fn speech_to_text_answers_501_as_openvidu_does_with_stt_off() {
    let server = common::start(&[]).await;
    for (method, path) in
        [("POST", "/openvidu/api/speech-to-text/load"), ("POST", "/openvidu/api/speech-to-text/unload")]
    {
        let reply = server.call(method, path, Some(r#"{"lang":"en-US"}"#)).await;
        assert_eq!(reply.status, 501, "{path}: {}", reply.text);
        assert!(reply.message().contains("Speech to text is disabled"), "{}", reply.text);
    }
    server.stop().await;
}
