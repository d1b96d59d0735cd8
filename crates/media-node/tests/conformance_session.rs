//! Conformance over the wire: transport, framing and sessions
//! (reference §1, §2, §3.1, §3.2, §3.10; checklist §11 items 1–3 and 9).

mod common;

use std::time::{Duration, Instant};

use common::{Node, SERVER_MANAGER, Wire, assert_kurento_error, is_uuid};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn the_node_announces_a_kurento_url_and_serves_it() {
    let node = Node::start();
    assert!(node.url.starts_with("ws://127.0.0.1:") && node.url.ends_with("/kurento"), "{}", node.url);
    let port: u16 = node.addr.rsplit_once(':').unwrap().1.parse().expect("a port number");
    assert_ne!(port, 0, "port 0 was resolved to the real port");
    let mut wire = node.wire().await;
    assert_eq!(wire.ok("ping", json!({})).await["value"], "pong");
}

#[tokio::test]
async fn other_websocket_paths_are_refused_and_query_strings_ignored() {
    let node = Node::start();
    for path in ["/", "/foo", "/kurento/x", "/kurentox", "/Kurento"] {
        let url = node.url_with_path(path);
        match tokio::time::timeout(common::REPLY_TIMEOUT, tokio_tungstenite::connect_async(&url)).await {
            Err(_) => panic!("{url}: the handshake neither succeeded nor failed in time"),
            Ok(Err(_)) => {} // refused during the handshake
            Ok(Ok((mut socket, _))) => {
                // Kurento's way: accept, then close at once ("Invalid path"). Anything but a usable socket is fine.
                use futures_util::{SinkExt, StreamExt};
                let _ = socket.send(Message::text(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.to_string())).await;
                let next = tokio::time::timeout(common::REPLY_TIMEOUT, socket.next()).await;
                assert!(
                    !matches!(next, Ok(Some(Ok(Message::Text(_))))),
                    "{url}: a socket on a wrong path answered requests: {next:?}"
                );
            }
        }
    }
    // kurento-client-js appends ?access_token=…; KMS ignores the query string.
    let mut wire = Wire::connect(&format!("{}?access_token=secret", node.url)).await;
    assert_eq!(wire.ok("ping", json!({})).await["value"], "pong");
}

#[tokio::test]
async fn ping_answers_pong_with_the_session_only_when_known() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pong = wire.ok("ping", json!({"interval": 240000})).await;
    assert_eq!(pong, json!({"value": "pong"}), "no session yet: no sessionId");
    let pong = wire.ok("ping", Value::Null).await;
    assert_eq!(pong, json!({"value": "pong"}), "params are optional");

    // With an explicit sessionId it is echoed.
    let pong = wire.ok("ping", json!({"sessionId": "4b1f3a52-7c1e-4f0c-9a55-0d6f2f1e8a10"})).await;
    assert_eq!(pong, json!({"value": "pong", "sessionId": "4b1f3a52-7c1e-4f0c-9a55-0d6f2f1e8a10"}));

    // Once the socket is bound, the bound session is injected.
    let created = wire.ok("create", json!({"type": "MediaPipeline"})).await;
    let session = created["sessionId"].as_str().unwrap().to_string();
    let pong = wire.ok("ping", json!({})).await;
    assert_eq!(pong, json!({"value": "pong", "sessionId": session}));
}

#[tokio::test]
async fn ids_are_echoed_verbatim_and_notifications_get_no_reply() {
    let node = Node::start();
    let mut wire = node.wire().await;
    for id in [json!(0), json!("abc-1"), json!(9_007_199_254_740_993_i64), json!(-5)] {
        wire.send_json(&json!({"jsonrpc": "2.0", "id": id, "method": "ping"})).await;
        let frame = wire.response_to(&id).await;
        assert_eq!(frame, json!({"jsonrpc": "2.0", "id": id, "result": {"value": "pong"}}));
    }

    // A create without id is executed but not answered.
    wire.send_json(&json!({"jsonrpc": "2.0", "method": "create", "params": {"type": "MediaPipeline"}})).await;
    wire.send_json(&json!({"jsonrpc": "2.0", "id": null, "method": "ping"})).await;
    wire.send_json(&json!({"jsonrpc": "2.0", "id": 77, "method": "ping"})).await;
    let first = wire.next_frame(common::REPLY_TIMEOUT).await.expect("an answer to id 77");
    assert_eq!(first["id"], 77, "nothing was sent for the notifications: {first}");
    let mut observer = node.wire().await;
    assert_eq!(observer.pipelines().await.len(), 1, "the notification's create was executed");
}

#[tokio::test]
async fn a_session_is_minted_bound_and_injected() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let created = wire.ok("create", json!({"type": "MediaPipeline"})).await;
    let session = created["sessionId"].as_str().expect("create carries sessionId").to_string();
    assert!(is_uuid(&session), "session ids are UUIDs: {session}");
    let pipeline = created["value"].as_str().unwrap().to_string();

    // Later requests without sessionId run in the bound session.
    let described = wire.ok("describe", json!({"object": pipeline})).await;
    assert_eq!(described["sessionId"], session);
    let endpoint = wire.webrtc(&pipeline).await;
    let every_result = [
        wire.ok("invoke", json!({"object": endpoint, "operation": "getName"})).await,
        wire.ok("subscribe", json!({"object": endpoint, "type": "IceCandidateFound"})).await,
        wire.ok("unsubscribe", json!({"object": endpoint, "subscription": "unknown-subscription"})).await,
        wire.ok("transaction", json!({"operations": []})).await,
        wire.ok("ref", json!({"object": pipeline})).await,
        wire.ok("keepAlive", json!({})).await,
        wire.ok("connect", json!({"sessionId": session})).await,
        wire.ok("unref", json!({"object": endpoint})).await,
        wire.ok("release", json!({"object": pipeline})).await,
    ];
    for result in every_result {
        assert_eq!(result["sessionId"], session, "every success carries the session: {result}");
    }

    // An explicit sessionId wins over the binding.
    let other = node.wire().await.ok("connect", json!({})).await["sessionId"].as_str().unwrap().to_string();
    let explicit = wire.ok("create", json!({"type": "MediaPipeline", "sessionId": other})).await;
    assert_eq!(explicit["sessionId"], other);

    // A second socket gets its own session.
    let mut second = node.wire().await;
    let created = second.ok("create", json!({"type": "MediaPipeline"})).await;
    assert_ne!(created["sessionId"], json!(session));
    assert_ne!(created["sessionId"], json!(other));
}

#[tokio::test]
async fn errors_never_carry_a_session() {
    let node = Node::start();
    let mut wire = node.wire().await;
    wire.pipeline().await;
    let frame = wire.request("describe", json!({"object": "nope"})).await;
    assert!(frame.get("result").is_none());
    assert!(frame["error"].get("sessionId").is_none() && frame.get("sessionId").is_none(), "{frame}");
    assert_kurento_error(&frame["error"], 40101, "MEDIA_OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn calls_that_cannot_start_a_session_need_one() {
    let node = Node::start();
    let mut wire = node.wire().await;
    for (method, params) in [
        ("keepAlive", json!({})),
        ("unsubscribe", json!({"object": "x", "subscription": "y"})),
        ("ref", json!({"object": "x"})),
        ("unref", json!({"object": "x"})),
        ("closeSession", json!({})),
    ] {
        let error = wire.err(method, params).await;
        assert_eq!(error["code"], -32000, "{method}: {error}");
        assert_eq!(error["message"], "'sessionId' parameter is required", "{method}");
    }
}

#[tokio::test]
async fn connect_starts_resumes_or_refuses_sessions() {
    let node = Node::start();
    let mut wire = node.wire().await;

    // Bare connect (no params at all, as the Java client sends it) → a new session and the server id.
    let fresh = wire.ok("connect", Value::Null).await;
    let session = fresh["sessionId"].as_str().expect("a sessionId").to_string();
    let server_id = fresh["serverId"].as_str().expect("a serverId").to_string();
    assert!(is_uuid(&session) && is_uuid(&server_id), "{fresh}");
    assert_eq!(fresh.as_object().unwrap().len(), 2, "only sessionId and serverId: {fresh}");

    // connect with params but no sessionId → another new session, same server.
    let other = wire.ok("connect", json!({})).await;
    assert_ne!(other["sessionId"], json!(session));
    assert_eq!(other["serverId"], json!(server_id), "serverId identifies the node instance");

    // Resume the first one from another socket.
    let mut resumed = node.wire().await;
    let again = resumed.ok("connect", json!({"sessionId": session})).await;
    assert_eq!(again, json!({"sessionId": session, "serverId": server_id}));

    // Unknown session → 40007 INVALID_SESSION (the message Java and JS key on).
    let error = resumed.err("connect", json!({"sessionId": "6f9c7e52-0000-4000-8000-000000000000"})).await;
    assert_kurento_error(&error, 40007, "INVALID_SESSION");
    assert_eq!(error["message"], "Invalid session");

    // keepAlive follows the same rule.
    let error = resumed.err("keepAlive", json!({"sessionId": "6f9c7e52-0000-4000-8000-000000000000"})).await;
    assert_kurento_error(&error, 40007, "INVALID_SESSION");
    assert_eq!(resumed.ok("keepAlive", json!({"sessionId": session})).await, json!({"sessionId": session}));
}

#[tokio::test]
async fn a_reconnected_session_receives_its_events_on_the_new_socket() {
    let node = Node::start();
    let mut old = node.wire().await;
    let pipeline = old.pipeline().await;
    let source = old.passthrough(&pipeline).await;
    let sink = old.passthrough(&pipeline).await;
    old.subscribe(&source, "ElementConnected").await;
    let session = old.ok("ping", json!({})).await["sessionId"].as_str().unwrap().to_string();

    let mut new = node.wire().await;
    new.ok("connect", json!({"sessionId": session})).await;

    // A third party connects the elements; the event goes to the session's newest socket.
    let mut third = node.wire().await;
    third.invoke_ok(&source, "connect", json!({"sink": sink, "mediaType": "VIDEO"})).await;
    let event = new.wait_event_of(&source, "ElementConnected").await;
    assert_eq!(event["params"]["value"]["data"]["sink"], json!(sink));
    let stale = old.events_until_barrier().await;
    assert!(stale.is_empty(), "the old socket no longer receives the session's events: {stale:?}");
}

#[tokio::test]
async fn references_keep_objects_alive_until_the_last_session_lets_go() {
    let node = Node::start();
    let mut owner = node.wire().await;
    let pipeline = owner.pipeline().await;
    let endpoint = owner.webrtc(&pipeline).await;
    let mut other = node.wire().await;
    other.ok("describe", json!({"object": pipeline})).await; // describe refs the pipeline for `other`

    // closeSession without release drops the owner's references: the endpoint only it held goes.
    let closed = owner.request("closeSession", json!({})).await;
    assert_eq!(closed["result"], Value::Null, "closeSession's result is null: {closed}");
    let error = other.err("describe", json!({"object": endpoint})).await;
    assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
    assert_eq!(other.pipelines().await, vec![pipeline.clone()], "`other` still references the pipeline");

    // unref of the last reference releases it.
    other.ok("unref", json!({"object": pipeline})).await;
    assert!(other.pipelines().await.is_empty());

    // closeSession {release:true} releases everything the session held, even if others reference it.
    let mut releaser = node.wire().await;
    let shared = releaser.pipeline().await;
    other.ok("ref", json!({"object": shared})).await;
    let closed = releaser.request("closeSession", json!({"release": true})).await;
    assert_eq!(closed["result"], Value::Null);
    assert!(other.pipelines().await.is_empty(), "released for every session");
}

#[tokio::test]
async fn objects_of_a_vanished_session_are_collected_after_the_grace_time() {
    let node = Node::start_with(&["--session-grace", "1", "--gc-period", "1"]);
    let mut observer = node.wire().await;
    observer.subscribe(SERVER_MANAGER, "ObjectDestroyed").await;

    let mut gone = node.wire().await;
    let pipeline = gone.pipeline().await;
    let endpoint = gone.webrtc(&pipeline).await;
    let session = gone.ok("ping", json!({})).await["sessionId"].as_str().unwrap().to_string();
    let sessions = observer.invoke_ok(SERVER_MANAGER, "getSessions", json!({})).await;
    assert!(sessions.as_array().unwrap().contains(&json!(session)), "{sessions}");
    gone.close().await;
    let closed_at = Instant::now();
    assert!(observer.pipelines().await.contains(&pipeline), "objects survive the socket at first");

    let collected_after = observer
        .poll_pipelines("the vanished session's pipeline is collected", Duration::from_secs(8), |list| {
            !list.contains(&pipeline)
        })
        .await
        .duration_since(closed_at);
    assert!(
        collected_after >= Duration::from_millis(900),
        "collected after {collected_after:?}, before the 1 s grace time"
    );

    for id in [&endpoint, &pipeline] {
        let event =
            observer.wait_event(&format!("ObjectDestroyed({id})"), |v| v["data"]["objectId"] == json!(id)).await;
        assert_eq!(event["params"]["value"]["object"], SERVER_MANAGER);
    }
    let error = observer.err("describe", json!({"object": endpoint})).await;
    assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
    let sessions = observer.invoke_ok(SERVER_MANAGER, "getSessions", json!({})).await;
    assert!(!sessions.as_array().unwrap().contains(&json!(session)), "the session is gone: {sessions}");
    let mut late = node.wire().await;
    let error = late.err("connect", json!({"sessionId": session})).await;
    assert_kurento_error(&error, 40007, "INVALID_SESSION");
}

#[tokio::test]
async fn a_session_resumed_within_the_grace_time_keeps_its_objects() {
    let node = Node::start_with(&["--session-grace", "1", "--gc-period", "1"]);
    let mut observer = node.wire().await;

    let mut keeper = node.wire().await;
    let kept = keeper.pipeline().await;
    let kept_endpoint = keeper.webrtc(&kept).await;
    let session = keeper.ok("ping", json!({})).await["sessionId"].as_str().unwrap().to_string();
    // A control session that vanishes at the same time and never comes back.
    let mut control = node.wire().await;
    let dropped = control.pipeline().await;

    keeper.close().await;
    control.close().await;
    let mut resumed = node.wire().await;
    resumed.ok("connect", json!({"sessionId": session})).await;

    // Once the control session has been collected, a collection with the grace time expired has run.
    observer
        .poll_pipelines("the control session is collected", Duration::from_secs(8), |list| !list.contains(&dropped))
        .await;
    assert!(observer.pipelines().await.contains(&kept), "the resumed session kept its pipeline");
    resumed.subscribe(&kept_endpoint, "ElementConnected").await;
    let name = resumed.invoke_ok(&kept_endpoint, "getName", json!({})).await;
    assert_eq!(name, json!(kept_endpoint));
}

#[tokio::test]
async fn with_the_default_grace_time_objects_outlive_many_collections() {
    // Kurento keeps a vanished session's objects for 240–480 s; the node's default grace is 240 s.
    let node = Node::start_with(&["--gc-period", "1"]);
    let mut gone = node.wire().await;
    let pipeline = gone.pipeline().await;
    gone.close().await;
    let mut observer = node.wire().await;
    let window = Instant::now() + Duration::from_millis(3500);
    while Instant::now() < window {
        assert!(observer.pipelines().await.contains(&pipeline), "collected long before the default grace time");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_client_reconnecting_to_a_restarted_node_gets_40007_and_a_new_session() {
    use kurento_protocol::{ClientOptions, ConnectionState, KurentoClient};

    let node = Node::start();
    let addr = node.addr.clone();
    let options = ClientOptions { reconnect_delay: Duration::from_millis(50), ..ClientOptions::default() };
    let client = KurentoClient::connect(&node.url, options).await.expect("connects");
    let pipeline = client.create("MediaPipeline", json!({})).await.unwrap();
    let old_session = client.session_id().unwrap();
    let mut state = client.connection_state();

    drop(node); // the node process dies with the session
    let replacement = Node::start_at(&addr, &[]);
    let reconnected = tokio::time::timeout(
        Duration::from_secs(15),
        state.wait_for(|s| matches!(s, ConnectionState::Reconnected { .. })),
    )
    .await
    .expect("the client reconnects to the new node")
    .expect("state channel open")
    .clone();
    assert_eq!(reconnected, ConnectionState::Reconnected { same_session: false }, "connect {{sessionId}} got 40007");
    let new_session = client.session_id().expect("a fresh session from a bare connect");
    assert_ne!(new_session, old_session);
    let error = client.describe(&pipeline).await.unwrap_err();
    assert_eq!(error.rpc_code(), Some(40101), "the old objects are gone: {error}");
    client.ping().await.unwrap();
    let mut observer = replacement.wire().await;
    let sessions = observer.invoke_ok(SERVER_MANAGER, "getSessions", json!({})).await;
    assert!(sessions.as_array().unwrap().contains(&json!(new_session)), "{sessions}");
    client.close();
}
