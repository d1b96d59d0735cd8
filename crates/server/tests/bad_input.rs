//! Hostile and malformed input: precise errors, no state change, no 5xx.

mod common;

use common::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

#[tokio::test]
async fn malformed_json_and_non_objects_are_precise_400s() {
    let server = start(&[]).await;
    server.session("s").await;
    for path in [
        "/openvidu/api/sessions",
        "/openvidu/api/sessions/s/connection",
        "/openvidu/api/tokens",
        "/openvidu/api/signal",
    ] {
        let broken = server.post(path, "{\"customSessionId\": ").await;
        assert_eq!(broken.status, 400, "{path}");
        assert!(broken.message().starts_with("Malformed JSON"), "{path}: {}", broken.message());
        let array = server.post(path, "[1,2]").await;
        assert_eq!(array.status, 400);
        assert_eq!(array.message(), "The request body must be a JSON object, got an array");
        let invalid_utf8 = server
            .client
            .post(format!("{}{path}", server.base))
            .basic_auth("OPENVIDUAPP", Some(SECRET))
            .body(vec![b'{', 0xff, 0xfe, b'}'])
            .send()
            .await
            .unwrap();
        assert_eq!(invalid_utf8.status(), 400);
    }
    assert_eq!(server.get("/openvidu/api/sessions").await.json()["numberOfElements"], 1);
    server.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let server = start(&[]).await;
    let huge = format!("{{\"customSessionId\":\"x\",\"pad\":\"{}\"}}", "a".repeat(plenum::api::MAX_BODY_BYTES + 1));
    let reply = server.post("/openvidu/api/sessions", &huge).await;
    assert_eq!(reply.status, 413);
    assert!(reply.message().contains("limit"), "{}", reply.message());
    assert_eq!(server.get("/openvidu/api/sessions").await.json()["numberOfElements"], 0);
    server.stop().await;
}

#[tokio::test]
async fn ids_with_slashes_or_dot_segments_are_rejected() {
    let server = start(&[]).await;
    server.session("s").await;
    for path in [
        "/openvidu/api/sessions/s%2F..%2Fx",
        "/api/sessions/s/connection/a%5Cb",
        "/openvidu/api/recordings/..%2f..%2fetc",
    ] {
        let reply = server.get(path).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.text);
        assert!(!reply.message().is_empty(), "{path}");
    }
    // Dot segments, which HTTP clients collapse before sending, written on the socket as is.
    for path in
        ["/openvidu/api/sessions/../config", "/openvidu/api/sessions/%2e%2e", "/openvidu/api/sessions/s/connection/.."]
    {
        let response = raw_get(&server, path).await;
        assert!(response.starts_with("HTTP/1.1 400"), "{path}: {response}");
        assert!(response.contains("'..'") || response.contains("%2e%2e"), "{path}: {response}");
    }
    let odd = server.get("/openvidu/api/sessions/a%20b").await;
    assert_eq!(odd.status, 400);
    assert!(odd.message().contains("sessionId"), "{}", odd.message());
    server.stop().await;
}

async fn raw_get(server: &TestServer, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.server.as_ref().unwrap().local_addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic T1BFTlZJRFVBUFA6VEVTVF9TRUNSRVQ=\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

/// A random JSON value, biased towards the keys and types the API knows.
fn random_value(rng: &mut StdRng, depth: u32) -> Value {
    const KEYS: &[&str] = &[
        "session",
        "customSessionId",
        "mediaMode",
        "recordingMode",
        "role",
        "data",
        "record",
        "type",
        "to",
        "kurentoOptions",
        "customIceServers",
        "url",
        "username",
        "credential",
        "staticAuthSecret",
        "defaultRecordingProperties",
        "outputMode",
        "recordingLayout",
        "resolution",
        "frameRate",
        "shmSize",
        "mediaNode",
        "id",
        "rtspUri",
        "networkCache",
        "allowedFilters",
        "videoMaxRecvBandwidth",
        "forcedVideoCodec",
        "allowTranscoding",
        "name",
        "hasAudio",
        "hasVideo",
    ];
    const STRINGS: &[&str] = &[
        "",
        "s",
        "ROUTED",
        "MODERATOR",
        "IPCAM",
        "WEBRTC",
        "turn:1.2.3.4",
        "stun:[::1]:99999",
        "1280x720",
        "..",
        "a/b",
        "\u{0}",
        "ñ",
    ];
    match rng.random_range(0..if depth > 2 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => json!(rng.random_range(-5i64..5_000_000_000)),
        3 => json!(rng.random::<f64>() * 1e12),
        4 => json!(STRINGS[rng.random_range(0..STRINGS.len())]),
        5 => Value::Array((0..rng.random_range(0..4)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => Value::Object(
            (0..rng.random_range(0..6))
                .map(|_| (KEYS[rng.random_range(0..KEYS.len())].to_string(), random_value(rng, depth + 1)))
                .collect(),
        ),
    }
}

#[tokio::test]
async fn random_bodies_never_cause_server_errors() {
    let server = start(&[("OPENVIDU_RECORDING", "true")]).await;
    server.session("s").await;
    let connection = server.connection("s", "{}").await["id"].as_str().unwrap().to_string();
    let targets = [
        ("POST", "/openvidu/api/sessions".to_string()),
        ("POST", "/openvidu/api/sessions/s/connection".to_string()),
        ("PATCH", format!("/openvidu/api/sessions/s/connection/{connection}")),
        ("POST", "/openvidu/api/tokens".to_string()),
        ("POST", "/openvidu/api/signal".to_string()),
        ("POST", "/openvidu/api/recordings/start".to_string()),
    ];
    let mut rng = StdRng::seed_from_u64(0x9e37_79b9);
    for round in 0..400 {
        let (method, path) = &targets[round % targets.len()];
        let mut body = random_value(&mut rng, 0);
        if round % 3 == 0
            && let Value::Object(map) = &mut body
        {
            map.insert("session".into(), json!("s"));
        }
        let reply = server.call(method, path, Some(&body.to_string())).await;
        let status = reply.status.as_u16();
        assert!(status < 500 || status == 501, "{method} {path} {body} -> {status} {}", reply.text);
    }
    assert_eq!(server.get("/plenum/live").await.status, 200, "still serving");
    server.stop().await;
}
