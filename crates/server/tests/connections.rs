//! `/sessions/{id}/connection[/{id}]` and `/tokens` over real HTTP.

mod common;

use common::*;
use serde_json::{Value, json};

fn assert_token_form(token: &str, base_ws: &str, session: &str) {
    let prefix = format!("{base_ws}?sessionId={session}&token=tok_");
    assert!(token.starts_with(&prefix), "{token} should start with {prefix}");
    // Tokens of the 2.13-2.15 paths go on with `&role=...&version=2.13.0` (see tests/legacy_tokens.rs).
    let (id, tail) = token[prefix.len() - 4..].split_once('&').unwrap_or((&token[prefix.len() - 4..], ""));
    assert!(tail.is_empty() || tail.starts_with("role="), "{token}");
    assert_eq!(id.len(), 20, "tok_ + 16 characters: {id}");
    assert!(id[4..].chars().all(|c| c.is_ascii_alphanumeric()));
}

fn ws_base(server: &TestServer) -> String {
    server.base.replacen("http", "ws", 1)
}

#[tokio::test]
async fn create_pending_connection_with_every_option() {
    let server = start(&[]).await;
    server.session("s").await;
    let body = json!({
        "type": "WEBRTC", "data": "MY_SERVER_DATA", "record": false, "role": "MODERATOR",
        "kurentoOptions": {"videoMaxRecvBandwidth": 1000, "videoMinRecvBandwidth": 300, "videoMaxSendBandwidth": 1000,
                           "videoMinSendBandwidth": 300, "allowedFilters": ["GStreamerFilter", "ZBarFilter"]},
        "customIceServers": [{"url": "stun:10.0.0.1:3478"},
                             {"url": "turn:10.0.0.1:3478?transport=tcp", "username": "u", "credential": "c"},
                             {"url": "turns:turn.example.com:5349", "staticAuthSecret": "secret"}]
    });
    for path in families("/sessions/s/connection") {
        let reply = server.post(&path, &body.to_string()).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let connection = reply.json();
        assert_eq!(keys(&connection), sorted(&CONNECTION_KEYS));
        let id = connection["id"].as_str().unwrap();
        assert!(id.starts_with("con_") && id.len() == 14, "{id}");
        assert_eq!(connection["connectionId"], connection["id"]);
        assert_eq!(connection["object"], "connection");
        assert_eq!(connection["status"], "pending");
        assert_eq!(connection["type"], "WEBRTC");
        assert_eq!(connection["sessionId"], "s");
        assert!(connection["createdAt"].as_u64().unwrap() > 1_600_000_000_000);
        assert_eq!(connection["serverData"], "MY_SERVER_DATA");
        assert_eq!(connection["record"], false);
        assert_eq!(connection["role"], "MODERATOR");
        assert_eq!(connection["kurentoOptions"], body["kurentoOptions"]);
        assert_token_form(connection["token"].as_str().unwrap(), &ws_base(&server), "s");
        for null_key in [
            "activeAt",
            "location",
            "ip",
            "platform",
            "clientData",
            "publishers",
            "subscribers",
            "rtspUri",
            "adaptativeBitrate",
            "onlyPlayWithSubscribers",
            "networkCache",
        ] {
            assert_eq!(connection[null_key], Value::Null, "{null_key}");
        }
        let ice = connection["customIceServers"].as_array().unwrap();
        assert_eq!(ice[0], json!({"url": "stun:10.0.0.1:3478"}));
        assert_eq!(ice[1], json!({"url": "turn:10.0.0.1:3478?transport=tcp", "username": "u", "credential": "c"}));
        let generated_user = ice[2]["username"].as_str().unwrap();
        let (expiry, _) = generated_user.split_once(':').expect("TURN REST username is expiry:random");
        assert!(expiry.parse::<u64>().unwrap() > 1_600_000_000);
        assert_eq!(ice[2]["credential"], plenum::ice::turn_credential("secret", generated_user));
    }
    server.stop().await;
}

#[tokio::test]
async fn defaults_and_node_client_nulls() {
    let server = start(&[]).await;
    server.session("s").await;
    let nulls = json!({"type": null, "data": null, "record": null, "role": null, "kurentoOptions": null, "rtspUri": null,
                       "adaptativeBitrate": null, "onlyPlayWithSubscribers": null, "networkCache": null, "customIceServers": null});
    for body in [None, Some("{}".to_string()), Some(nulls.to_string())] {
        let reply = server.call("POST", "/openvidu/api/sessions/s/connection", body.as_deref()).await;
        assert_eq!(reply.status, 200, "{body:?}: {}", reply.text);
        let connection = reply.json();
        assert_eq!(connection["role"], "PUBLISHER");
        assert_eq!(connection["record"], true);
        assert_eq!(connection["serverData"], "");
        assert_eq!(connection["kurentoOptions"], Value::Null);
        assert_eq!(connection["customIceServers"], json!([]));
    }
    server.stop().await;
}

#[tokio::test]
async fn global_ice_servers_fill_connections_without_their_own() {
    let server =
        start(&[("OPENVIDU_WEBRTC_ICE_SERVERS", "[\"url=turn:10.1.1.1:3478,username=user,credential=pass\"]")]).await;
    server.session("s").await;
    let plain = server.connection("s", "{}").await;
    assert_eq!(
        plain["customIceServers"],
        json!([{"url": "turn:10.1.1.1:3478", "username": "user", "credential": "pass"}])
    );
    let own = server.connection("s", "{\"customIceServers\":[{\"url\":\"stun:10.2.2.2\"}]}").await;
    assert_eq!(own["customIceServers"], json!([{"url": "stun:10.2.2.2"}]));
    server.stop().await;
}

#[tokio::test]
async fn create_rejects_bad_options_and_unknown_sessions() {
    let server = start(&[]).await;
    server.session("s").await;
    let missing = server.post("/openvidu/api/sessions/NOT_EXISTS/connection", "{}").await;
    assert_eq!((missing.status.as_u16(), missing.text.as_str()), (404, ""));
    for (body, field) in [
        (json!({"type": false}), "type"),
        (json!({"type": "NOT_EXISTS"}), "type"),
        (json!({"role": 123}), "role"),
        (json!({"role": "ADMIN"}), "role"),
        (json!({"data": true}), "data"),
        (json!({"record": "yes"}), "record"),
        (json!({"kurentoOptions": false}), "kurentoOptions"),
        (json!({"kurentoOptions": {"videoMaxRecvBandwidth": "fast"}}), "videoMaxRecvBandwidth"),
        (json!({"kurentoOptions": {"allowedFilters": "NOT_EXISTS"}}), "allowedFilters"),
        (json!({"customIceServers": [{"url": "bad-ice-server"}]}), "customIceServers"),
        (json!({"customIceServers": [{"url": "turn:10.0.0.1:3478"}]}), "customIceServers"),
        (json!({"customIceServers": [{"url": "http:10.0.0.1"}]}), "customIceServers"),
        (json!({"customIceServers": "stun:10.0.0.1"}), "customIceServers"),
        (json!({"type": "IPCAM"}), "rtspUri"),
        (json!({"type": "IPCAM", "rtspUri": "NOT_A_URL"}), "rtspUri"),
    ] {
        let reply = server.post("/openvidu/api/sessions/s/connection", &body.to_string()).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        assert!(reply.message().contains(field), "{body}: {:?} should name {field}", reply.message());
    }
    let ipcam =
        server.post("/openvidu/api/sessions/s/connection", "{\"type\":\"IPCAM\",\"rtspUri\":\"rtsp://cam/x\"}").await;
    assert_eq!(ipcam.status, 501);
    assert!(ipcam.message().contains("IPCAM"), "{}", ipcam.message());
    let listed = server.get("/openvidu/api/sessions/s/connection").await.json();
    assert_eq!(listed["numberOfElements"], 0, "rejected requests must not create connections");
    server.stop().await;
}

#[tokio::test]
async fn list_and_get_tell_missing_session_from_missing_connection() {
    let server = start(&[]).await;
    server.session("s").await;
    let created = server.connection("s", "{\"data\":\"d\"}").await;
    let id = created["id"].as_str().unwrap();
    for base in families("/sessions") {
        let list = server.get(&format!("{base}/s/connection")).await.json();
        assert_eq!(list["numberOfElements"], 1, "pendingConnections defaults to true here");
        assert_eq!(list["content"][0], created);
        let active_only = server.get(&format!("{base}/s/connection?pendingConnections=false")).await.json();
        assert_eq!(active_only, json!({"numberOfElements": 0, "content": []}));
        assert_eq!(server.get(&format!("{base}/NOT_EXISTS/connection")).await.status, 404);

        let one = server.get(&format!("{base}/s/connection/{id}")).await;
        assert_eq!(one.json(), created);
        let no_session = server.get(&format!("{base}/NOT_EXISTS/connection/{id}")).await;
        assert_eq!((no_session.status.as_u16(), no_session.text.as_str()), (400, ""));
        let no_connection = server.get(&format!("{base}/s/connection/NOT_EXISTS")).await;
        assert_eq!((no_connection.status.as_u16(), no_connection.text.as_str()), (404, ""));
    }
    server.stop().await;
}

#[tokio::test]
async fn patch_updates_role_and_record_only() {
    let server = start(&[]).await;
    server.session("CUSTOM_SESSION_ID").await;
    let created = server
        .connection("CUSTOM_SESSION_ID", "{\"role\":\"PUBLISHER\",\"record\":false,\"data\":\"MY_SERVER_PRO_DATA\"}")
        .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/openvidu/api/sessions/CUSTOM_SESSION_ID/connection/{id}");
    for bad in
        ["{\"role\":false}", "{\"record\":123}", "{\"role\":\"PUBLISHER\",\"record\":\"WRONG\"}", "{\"role\":\"KING\"}"]
    {
        assert_eq!(server.call("PATCH", &path, Some(bad)).await.status, 400, "{bad}");
    }
    let wrong_session = format!("/openvidu/api/sessions/WRONG/connection/{id}");
    assert_eq!(
        server.call("PATCH", &wrong_session, Some("{\"role\":\"PUBLISHER\",\"record\":\"WRONG\"}")).await.status,
        404
    );
    let wrong_connection = "/openvidu/api/sessions/CUSTOM_SESSION_ID/connection/WRONG";
    assert_eq!(
        server.call("PATCH", wrong_connection, Some("{\"role\":\"PUBLISHER\",\"record\":true}")).await.status,
        404
    );

    for no_change in [
        "{}",
        "{\"role\":\"PUBLISHER\"}",
        "{\"record\":false}",
        "{\"role\":\"PUBLISHER\",\"record\":false,\"data\":\"OTHER\"}",
    ] {
        let reply = server.call("PATCH", &path, Some(no_change)).await;
        assert_eq!(reply.status, 200, "{no_change}");
        assert_eq!(reply.json(), created, "{no_change} changes nothing (data cannot change)");
    }
    let moderator = server.call("PATCH", &path, Some("{\"role\":\"MODERATOR\"}")).await.json();
    let mut expected = created.clone();
    expected["role"] = json!("MODERATOR");
    assert_eq!(moderator, expected, "record untouched");
    let recorded = server
        .call("PATCH", &format!("/api/sessions/CUSTOM_SESSION_ID/connection/{id}"), Some("{\"record\":true}"))
        .await
        .json();
    expected["record"] = json!(true);
    assert_eq!(recorded, expected, "role untouched");
    assert_eq!(server.get(&path).await.json(), expected, "the change is stored");
    server.stop().await;
}

#[tokio::test]
async fn delete_pending_connection_invalidates_it() {
    let server = start(&[]).await;
    server.session("s").await;
    let id = server.connection("s", "{}").await["id"].as_str().unwrap().to_string();
    let no_session = server.call("DELETE", &format!("/openvidu/api/sessions/NOT_EXISTS/connection/{id}"), None).await;
    assert_eq!(no_session.status, 400);
    let deleted = server.call("DELETE", &format!("/openvidu/api/sessions/s/connection/{id}"), None).await;
    assert_eq!((deleted.status.as_u16(), deleted.text.as_str()), (204, ""));
    assert_eq!(server.get(&format!("/openvidu/api/sessions/s/connection/{id}")).await.status, 404);
    assert_eq!(server.call("DELETE", &format!("/api/sessions/s/connection/{id}"), None).await.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn tokens_create_pending_connections() {
    let server = start(&[]).await;
    server.session("s").await;
    for path in families("/tokens") {
        for (body, field) in [
            ("{}", "session"),
            ("{\"session\":true}", "session"),
            ("{\"session\":\"s\",\"role\":\"NOT_EXISTS\"}", "role"),
            ("{\"session\":\"s\",\"data\":999}", "data"),
            ("{\"session\":\"s\",\"kurentoOptions\":false}", "kurentoOptions"),
            ("{\"session\":\"s\",\"kurentoOptions\":{\"allowedFilters\":\"NOT_EXISTS\"}}", "allowedFilters"),
        ] {
            let reply = server.post(&path, body).await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.text);
            assert!(reply.message().contains(field), "{body}: {:?}", reply.message());
        }
        assert_eq!(server.call("POST", &path, None).await.status, 400, "a body is required");
        let missing = server.post(&path, "{\"session\":\"NOT_EXISTS\"}").await;
        assert_eq!(missing.status, 404);
        assert!(missing.message().contains("NOT_EXISTS"));

        let token = server
            .post(&path, "{\"session\":\"s\",\"role\":\"SUBSCRIBER\",\"data\":\"MY_SERVER_DATA\",\"record\":false}")
            .await
            .json();
        assert_eq!(keys(&token), sorted(&["id", "token", "connectionId", "createdAt", "session", "role", "data"]));
        assert_eq!(token["id"], token["token"]);
        assert_eq!(token["session"], "s");
        assert_eq!(token["role"], "SUBSCRIBER");
        assert_eq!(token["data"], "MY_SERVER_DATA");
        assert_token_form(token["token"].as_str().unwrap(), &ws_base(&server), "s");
        let connection = server
            .get(&format!("/openvidu/api/sessions/s/connection/{}", token["connectionId"].as_str().unwrap()))
            .await
            .json();
        assert_eq!(connection["status"], "pending");
        assert_eq!(connection["token"], token["token"]);
        assert_eq!(connection["record"], true, "tokens ignore 'record', as OpenVidu 2.32 does");

        let with_options =
            server.post(&path, "{\"session\":\"s\",\"kurentoOptions\":{\"videoMaxSendBandwidth\":500}}").await.json();
        assert_eq!(with_options["kurentoOptions"], json!({"videoMaxSendBandwidth": 500}));
    }
    let listed = server.get("/openvidu/api/sessions/s/connection").await.json();
    assert_eq!(listed["numberOfElements"], 4);
    server.stop().await;
}

#[tokio::test]
async fn tokens_use_the_public_url() {
    let server = start(&[("OPENVIDU_PUBLICURL", "https://media.example.com/")]).await;
    server.session("s").await;
    let token = server.connection("s", "{}").await["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("wss://media.example.com?sessionId=s&token=tok_"), "{token}");
    server.stop().await;
}
