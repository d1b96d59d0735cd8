//! Tokens of the 2.13-2.15 path family (`/api/tokens`, `/api/sessions/{id}/connection`)
//! carry what openvidu-browser 2.13 reads from them: `&role=...&version=2.13.0` and,
//! with a usable TURN server, `&coturnIp=...&turnUsername=...&turnCredential=...`.
//! Tokens of the 2.16+ family stay plain. Checked over real HTTP, the way a 2.13
//! browser parses a token, and by joining with one over the signaling websocket.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// A token URL read the way openvidu-browser 2.13.0 does (`Session.processToken`):
/// the part after the first `?`, `decodeURI`d, split on `&`, each piece split on `=`
/// keeping the first two parts.
fn parse_like_2_13(token: &str) -> HashMap<String, String> {
    let query = token.split('?').nth(1).expect("a query");
    decode_uri(query)
        .split('&')
        .map(|param| {
            let mut parts = param.split('=');
            (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string())
        })
        .collect()
}

/// JavaScript's `decodeURI`: escapes are decoded except those of `;/?:@&=+$,#`.
fn decode_uri(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = u8::from_str_radix(&text[i + 1..i + 3], 16).expect("a valid escape");
            if b";/?:@&=+$,#".contains(&byte) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(byte);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

fn ws_base(server: &TestServer) -> String {
    server.base.replacen("http", "ws", 1)
}

/// Asserts `token` is `<ws base>?sessionId=<session>&token=tok_<16>` followed by exactly `tail`.
fn assert_token(token: &str, server: &TestServer, session: &str, tail: &str) {
    let prefix = format!("{}?sessionId={session}&token=tok_", ws_base(server));
    assert!(token.starts_with(&prefix), "{token} should start with {prefix}");
    let rest = &token[prefix.len()..];
    let (id, after) = rest.split_at(16.min(rest.len()));
    assert!(id.len() == 16 && id.chars().all(|c| c.is_ascii_alphanumeric()), "tok_ + 16 alphanumerics: {token}");
    assert_eq!(after, tail, "what follows the token id in {token}");
}

async fn legacy_session(server: &TestServer, id: &str) {
    let reply = server.post("/api/sessions", &json!({"customSessionId": id}).to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

/// The pending connection with this token, through both families' session views.
async fn listed_tokens(server: &TestServer, session: &str) -> Vec<Vec<String>> {
    let mut views = Vec::new();
    for path in families(&format!("/sessions/{session}?pendingConnections=true")) {
        let reply = server.get(&path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        let content = reply.json()["connections"]["content"].as_array().unwrap().clone();
        views.push(content.iter().map(|c| c["token"].as_str().unwrap_or_default().to_string()).collect());
    }
    views
}

#[tokio::test]
async fn legacy_tokens_carry_role_and_version_and_rest_shows_the_same_url() {
    let server = start(&[]).await;
    legacy_session(&server, "s").await;

    let reply = server.post("/api/tokens", r#"{"session":"s","role":"SUBSCRIBER","data":"d"}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json();
    let url = token["token"].as_str().unwrap();
    assert_token(url, &server, "s", "&role=SUBSCRIBER&version=2.13.0");
    assert_eq!(token["id"], token["token"]);
    assert_eq!(token["role"], "SUBSCRIBER");

    let params = parse_like_2_13(url);
    assert_eq!(params["sessionId"], "s");
    assert_eq!(params["role"], "SUBSCRIBER");
    assert_eq!(params["version"], "2.13.0", "openvidu-browser 2.13.0 logs an error for any other value");
    assert!(params["token"].starts_with("tok_"));
    assert!(!params.contains_key("coturnIp"), "no TURN server configured: {url}");

    // The default role is written too; so is the role of a connection made on the legacy connection path.
    let default_role = server.post("/api/tokens", r#"{"session":"s"}"#).await.json();
    assert_token(default_role["token"].as_str().unwrap(), &server, "s", "&role=PUBLISHER&version=2.13.0");
    let connection = server.post("/api/sessions/s/connection", r#"{"role":"MODERATOR"}"#).await;
    assert_eq!(connection.status, 200, "{}", connection.text);
    let connection = connection.json();
    assert_token(connection["token"].as_str().unwrap(), &server, "s", "&role=MODERATOR&version=2.13.0");

    // Every REST view shows the URL the client was given.
    let by_id =
        server.get(&format!("/openvidu/api/sessions/s/connection/{}", token["connectionId"].as_str().unwrap())).await;
    assert_eq!(by_id.json()["token"], token["token"]);
    for view in listed_tokens(&server, "s").await {
        assert_eq!(
            view,
            [url, default_role["token"].as_str().unwrap(), connection["token"].as_str().unwrap()],
            "pending connections as listed"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn current_family_tokens_stay_plain() {
    let server =
        start(&[("OPENVIDU_WEBRTC_ICE_SERVERS", r#"["url=turn:10.0.0.1:3478,username=u,credential=c"]"#)]).await;
    server.session("s").await;
    let token = server.post("/openvidu/api/tokens", r#"{"session":"s","role":"MODERATOR"}"#).await.json();
    assert_token(token["token"].as_str().unwrap(), &server, "s", "");
    let connection = server.connection("s", r#"{"role":"MODERATOR"}"#).await;
    assert_token(connection["token"].as_str().unwrap(), &server, "s", "");
    server.stop().await;
}

#[tokio::test]
async fn a_usable_turn_server_goes_into_legacy_tokens() {
    let server = start(&[(
        "OPENVIDU_WEBRTC_ICE_SERVERS",
        r#"["url=stun:10.0.0.9:3478","url=turn:10.0.0.1:3478,username=1700000000:user,credential=p a+ss/w"]"#,
    )])
    .await;
    legacy_session(&server, "s").await;
    let token = server.post("/api/tokens", r#"{"session":"s"}"#).await.json();
    let url = token["token"].as_str().unwrap();
    assert_token(
        url,
        &server,
        "s",
        "&role=PUBLISHER&version=2.13.0&coturnIp=10.0.0.1&turnUsername=1700000000:user&turnCredential=p%20a+ss/w",
    );
    let params = parse_like_2_13(url);
    assert_eq!(
        [&params["coturnIp"], &params["turnUsername"], &params["turnCredential"]],
        ["10.0.0.1", "1700000000:user", "p a+ss/w"],
        "the browser reads back the configured values"
    );

    // Per-connection servers on the legacy connection path: the first usable one wins.
    let body = json!({"customIceServers": [
        {"url": "turns:10.0.0.2:3478", "username": "tls", "credential": "tls"},
        {"url": "turn:10.0.0.3:443?transport=tcp", "username": "port", "credential": "port"},
        {"url": "turn:10.0.0.4:3478", "staticAuthSecret": "secret"},
        {"url": "turn:[::1]?transport=udp", "username": "v6", "credential": "v6"},
    ]});
    let connection = server.post("/api/sessions/s/connection", &body.to_string()).await;
    assert_eq!(connection.status, 200, "{}", connection.text);
    let url = connection.json()["token"].as_str().unwrap().to_string();
    let params = parse_like_2_13(&url);
    assert_eq!(
        [&params["coturnIp"], &params["turnUsername"], &params["turnCredential"]],
        ["[::1]", "v6", "v6"],
        "turns:, a port other than 3478 and base64 TURN REST credentials (padded with '=') are skipped: {url}"
    );

    // Only TURN REST credentials: none can be carried, so the token has no TURN fields.
    let only_secret = json!({"customIceServers": [{"url": "turn:10.0.0.4:3478", "staticAuthSecret": "secret"}]});
    let connection = server.post("/api/sessions/s/connection", &only_secret.to_string()).await.json();
    let ice = &connection["customIceServers"][0];
    assert!(ice["credential"].as_str().unwrap().ends_with('='), "HMAC-SHA1 in base64 is padded: {ice}");
    assert_token(connection["token"].as_str().unwrap(), &server, "s", "&role=PUBLISHER&version=2.13.0");
    server.stop().await;
}

#[tokio::test]
async fn a_legacy_token_joins_as_the_2_13_browser_sends_it() {
    let server = start(&[]).await;
    legacy_session(&server, "s").await;
    let token = server.post("/api/tokens", r#"{"session":"s","role":"SUBSCRIBER","data":"server"}"#).await.json();
    let url = token["token"].as_str().unwrap();

    // openvidu-browser 2.13 opens <wss|ws>://host/openvidu (no query) and sends the whole token URL.
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{}/openvidu", ws_base(&server))).await.unwrap();
    let join = json!({"jsonrpc": "2.0", "id": 1, "method": "joinRoom", "params": {
        "token": url, "session": "s", "platform": "Chrome 120 on Linux 64-bit", "metadata": "{\"clientData\":\"c\"}",
        "recorder": false,
    }});
    socket.send(Message::text(join.to_string())).await.unwrap();
    let answer = loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(text) = frame {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value["id"] == 1 {
                break value;
            }
        }
    };
    let result = &answer["result"];
    assert!(answer.get("error").is_none(), "{answer}");
    // What the 2.13 browser reads from the result.
    assert_eq!(result["id"], token["connectionId"]);
    assert!(result["createdAt"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(result["metadata"], "{\"clientData\":\"c\"}%/%server");
    assert_eq!(result["value"], json!([]));
    assert!(result["sessionId"].as_str().is_some_and(|s| !s.is_empty()));

    let connection =
        server.get(&format!("/api/sessions/s/connection/{}", token["connectionId"].as_str().unwrap())).await;
    assert_eq!(connection.json()["status"], "active");
    assert_eq!(connection.json()["token"], token["token"]);
    socket.close(None).await.unwrap();
    server.stop().await;
}
