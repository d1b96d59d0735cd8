//! The OpenAPI spec (`src/api/openapi.json`, served at `GET /openvidu/api/openapi.json`) against
//! the code, so that it cannot drift: every documented operation is routed and guarded as
//! documented, every registered path is documented, the enums are the code's, and the real
//! replies of a running master (with its embedded media node) match the documented responses.
//! `scripts/test-all.sh` also runs a standard validator (openapi-spec-validator) on the file.

mod common;
#[path = "openapi/spec.rs"]
mod spec;

use std::collections::BTreeSet;

use common::{Reply, TestServer, start};
use futures_util::{SinkExt, StreamExt};
use plenum::openvidu_enums::WireEnum;
use serde_json::{Value, json};
use spec::{METHODS, Spec};
use tokio_tungstenite::tungstenite::Message;

const NO_EMBEDDED: &[(&str, &str)] = &[("PLENUM_EMBEDDED_MEDIA_NODE", "false")];

/// `{sessionId}` → `{}`, and axum's `{session_id}` and `{*operation}` alike.
fn normalized(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// A concrete path for a template, with ids nothing has.
fn concrete(template: &str) -> String {
    template
        .replace("{operation}", "load")
        .replace("{file}", "nosuch.txt")
        .split('/')
        .map(|segment| if segment.starts_with('{') { "nosuch" } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

/// The answers of a path that exists with a method it does not map, or of no path at all
/// (api/mod.rs: `forbidden`, `method_not_allowed`, `not_found`, and axum's own empty 405).
fn unmapped(reply: &Reply) -> bool {
    let message =
        || serde_json::from_str::<Value>(&reply.text).ok().map(|b| b["message"].as_str().unwrap_or("").to_string());
    match reply.status.as_u16() {
        404 => message().is_some_and(|m| m.starts_with("No endpoint at")),
        403 => message().is_some_and(|m| m.starts_with("Method ") && m.ends_with("is not allowed on this path")),
        405 => reply.text.is_empty() || message().is_some_and(|m| m.starts_with("Request method '")),
        _ => false,
    }
}

#[tokio::test]
async fn the_served_spec_is_the_committed_one_behind_basic_auth() {
    let server = start(NO_EMBEDDED).await;
    let served = server.get("/openvidu/api/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.headers["content-type"], "application/json");
    assert_eq!(served.text, spec::COMMITTED);
    let anonymous = server.raw("GET", "/openvidu/api/openapi.json", None, None).await;
    assert_eq!(anonymous.status, 401, "the spec is behind the same front door as the API");
    let doc = Spec::committed().doc;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], plenum::config::OPENVIDU_VERSION, "the version Plenum answers as");
    server.stop().await;
}

#[test]
fn every_registered_path_is_documented_and_only_those() {
    let spec = Spec::committed();
    let documented: BTreeSet<String> = spec.paths().map(normalized).collect();
    let registered: BTreeSet<String> = plenum::api::registered_paths(true).iter().map(|p| normalized(p)).collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(undocumented.is_empty(), "registered in api/mod.rs but not in openapi.json: {undocumented:?}");
    assert!(unregistered.is_empty(), "in openapi.json but not registered: {unregistered:?}");

    // The paths only SUPPORT_DEPRECATED_API serves are the documented 2.13 ones (legacy operation
    // ids), the always-served /pro family aside.
    let current: BTreeSet<String> = plenum::api::registered_paths(false).iter().map(|p| normalized(p)).collect();
    let deprecated: BTreeSet<String> = registered.difference(&current).cloned().collect();
    let legacy: BTreeSet<String> = spec
        .operations()
        .into_iter()
        .filter(|(method, path)| {
            !path.starts_with("/pro/")
                && spec.operation(method, path)["operationId"].as_str().unwrap().starts_with("legacy")
        })
        .map(|(_, path)| normalized(&path))
        .collect();
    assert_eq!(deprecated, legacy);
}

/// The values of `enum` in the spec's schema at `pointer`, as the code's `allowed()` lists them.
fn spec_enum(spec: &Spec, pointer: &str) -> String {
    let values = spec.doc.pointer(pointer).unwrap_or_else(|| panic!("{pointer}"));
    values.as_array().unwrap().iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
}

#[test]
fn the_enums_are_the_codes() {
    use plenum::cluster::deletion::DeletionStrategy;
    use plenum::cluster::status::NodeStatus;
    use plenum::openvidu_enums::{
        ConnectionType, MediaMode, OutputMode, RecordingLayout, RecordingMode, Role, VideoCodec,
    };
    use plenum::recording::RecordingStatus;
    let spec = Spec::committed();
    let s = "/components/schemas";
    let cases = [
        (format!("{s}/Recording/properties/outputMode/enum"), OutputMode::allowed()),
        (format!("{s}/Recording/properties/recordingLayout/enum"), RecordingLayout::allowed()),
        (format!("{s}/Recording/properties/status/enum"), RecordingStatus::allowed()),
        (format!("{s}/SessionFields/properties/mediaMode/enum"), MediaMode::allowed()),
        (format!("{s}/SessionFields/properties/recordingMode/enum"), RecordingMode::allowed()),
        (format!("{s}/SessionFields/properties/forcedVideoCodec/enum"), VideoCodec::allowed()),
        (format!("{s}/Connection/properties/type/enum"), ConnectionType::allowed()),
        (format!("{s}/ConnectionUpdate/properties/role/enum"), Role::allowed()),
        (format!("{s}/MediaNode/properties/status/enum"), NodeStatus::allowed()),
        ("/components/parameters/deletion-strategy/schema/enum".to_string(), DeletionStrategy::allowed()),
    ];
    for (pointer, code) in cases {
        assert_eq!(spec_enum(&spec, &pointer), code, "{pointer}");
    }
}

#[tokio::test]
async fn every_operation_is_routed_answers_as_documented_and_is_guarded_as_documented() {
    let server = start(NO_EMBEDDED).await;
    let spec = Spec::committed();
    for (method, path) in spec.operations() {
        let target = concrete(&path);
        // A body that is not an object: refused (400) before any handler changes anything.
        let body = spec.has_request_body(method, &path).then_some("[]");
        let reply = server.call(&method.to_uppercase(), &target, body).await;
        assert!(!unmapped(&reply), "{method} {path} is not routed: {} {}", reply.status, reply.text);
        spec.check(method, &path, &reply).unwrap();

        let anonymous = server.raw(&method.to_uppercase(), &target, body, None).await;
        if spec.requires_auth(method, &path) {
            assert_eq!(anonymous.status, 401, "{method} {path} needs credentials");
            spec.check(method, &path, &anonymous).unwrap();
        } else if spec.is_public(method, &path) {
            assert_ne!(anonymous.status, 401, "{method} {path} is public");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn methods_the_spec_does_not_list_are_not_mapped() {
    let server = start(NO_EMBEDDED).await;
    let spec = Spec::committed();
    // Speech to text answers 501 on every method (`any`); the spec documents POST.
    for path in spec.paths().filter(|p| !p.contains("speech-to-text")) {
        for method in METHODS.iter().filter(|m| spec.doc["paths"][path].get(**m).is_none()) {
            let reply = server.call(&method.to_uppercase(), &concrete(path), None).await;
            assert!(unmapped(&reply), "{method} {path} is routed but not documented: {} {}", reply.status, reply.text);
        }
    }
    server.stop().await;
}

/// Calls the master and checks each reply against the spec, remembering which operations it exercised.
struct Exercise<'a> {
    server: &'a TestServer,
    spec: &'a Spec,
    covered: BTreeSet<(String, String)>,
}

impl Exercise<'_> {
    async fn call(&mut self, method: &str, template: &str, target: &str, body: Option<&str>) -> Reply {
        let reply = self.server.call(&method.to_uppercase(), target, body).await;
        self.spec.check(method, template, &reply).unwrap_or_else(|e| panic!("{e}"));
        // A body the server took must be one the spec allows, or clients generated from it could not send it.
        if let Some(text) = body.filter(|b| !b.is_empty() && reply.status.is_success()) {
            let schema = &self.spec.operation(method, template)["requestBody"]["content"]["application/json"]["schema"];
            let sent: Value = serde_json::from_str(text).unwrap();
            self.spec
                .validate(schema, &sent)
                .unwrap_or_else(|e| panic!("{method} {template}: the spec refuses {sent}:\n{e}"));
        }
        self.covered.insert((method.to_string(), format!("{template} {}", reply.status.as_u16())));
        reply
    }

    async fn expect(&mut self, status: u16, method: &str, template: &str, target: &str, body: Option<&str>) -> Value {
        let reply = self.call(method, template, target, body).await;
        assert_eq!(reply.status, status, "{method} {target}: {}", reply.text);
        if reply.text.is_empty() { Value::Null } else { serde_json::from_str(&reply.text).unwrap_or(Value::Null) }
    }
}

/// Joins `session` with `token` over the signaling websocket; the participant stays while the socket lives.
async fn join(
    server: &TestServer,
    session: &str,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}/openvidu?sessionId={session}", server.base.replace("http", "ws"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frame = json!({"jsonrpc": "2.0", "id": 1, "method": "joinRoom",
        "params": {"token": token, "session": session, "platform": "openapi test", "metadata": "{\"n\":1}"}});
    socket.send(Message::text(frame.to_string())).await.unwrap();
    loop {
        let Some(Ok(Message::Text(text))) = socket.next().await else { panic!("socket ended") };
        let answer: Value = serde_json::from_str(&text).unwrap();
        if answer["id"] == 1 {
            assert!(answer.get("error").is_none(), "{answer}");
            return socket;
        }
    }
}

#[tokio::test]
async fn real_replies_of_a_running_master_match_the_spec() {
    let server = start(&[("OPENVIDU_RECORDING", "true")]).await;
    let spec = Spec::committed();
    let mut run = Exercise { server: &server, spec: &spec, covered: BTreeSet::new() };

    for prefix in ["/openvidu/api", "/api"] {
        let id = if prefix == "/api" { "oa_legacy" } else { "oa_current" };
        let t = |tail: &str| format!("{prefix}{tail}");
        let session = run
            .expect(200, "post", &t("/sessions"), &t("/sessions"), Some(&json!({"customSessionId": id}).to_string()))
            .await;
        assert_eq!(session["id"], id);
        run.expect(409, "post", &t("/sessions"), &t("/sessions"), Some(&json!({"customSessionId": id}).to_string()))
            .await;
        run.expect(400, "post", &t("/sessions"), &t("/sessions"), Some(r#"{"mediaMode":"WRONG"}"#)).await;
        let sid = t("/sessions/{sessionId}");
        let cs = t("/sessions/{sessionId}/connection");
        let c = t("/sessions/{sessionId}/connection/{connectionId}");
        let at = |template: &str, connection: &str| {
            template.replace("{sessionId}", id).replace("{connectionId}", connection)
        };

        let moderator = run
            .expect(
                200,
                "post",
                &cs,
                &at(&cs, ""),
                Some(r#"{"role":"MODERATOR","data":"d","kurentoOptions":{"allowedFilters":["GStreamerFilter"]}}"#),
            )
            .await;
        let pending = run.expect(200, "post", &cs, &at(&cs, ""), Some("")).await;
        let token = moderator["token"].as_str().unwrap().to_string();
        let _socket = join(&server, id, &token).await;

        let moderator_id = moderator["id"].as_str().unwrap();
        let pending_id = pending["id"].as_str().unwrap();
        let active = run.expect(200, "get", &c, &at(&c, moderator_id), None).await;
        assert_eq!(active["status"], "active");
        run.expect(200, "get", &cs, &at(&cs, ""), None).await;
        run.expect(200, "get", &cs, &format!("{}?webRtcStats=true", at(&cs, "")), None).await;
        run.expect(200, "patch", &c, &at(&c, pending_id), Some(r#"{"role":"SUBSCRIBER","record":false}"#)).await;
        run.expect(400, "patch", &c, &at(&c, pending_id), Some(r#"{"role":false}"#)).await;
        run.expect(404, "get", &c, &at(&c, "con_nosuch"), None).await;
        run.expect(400, "get", &c, &c.replace("{sessionId}", "nosuch").replace("{connectionId}", "con_x"), None).await;

        for query in ["", "?pendingConnections=true&webRtcStats=true"] {
            run.expect(200, "get", &sid, &format!("{}{query}", at(&sid, "")), None).await;
            run.expect(200, "get", &t("/sessions"), &format!("{}{query}", t("/sessions")), None).await;
        }
        run.expect(404, "get", &sid, &sid.replace("{sessionId}", "nosuch"), None).await;
        run.expect(400, "get", &sid, &sid.replace("{sessionId}", "bad%20id"), None).await;

        let token = run
            .expect(
                200,
                "post",
                &t("/tokens"),
                &t("/tokens"),
                Some(&json!({"session": id, "role": "SUBSCRIBER"}).to_string()),
            )
            .await;
        assert!(token["token"].as_str().unwrap().contains(id));
        run.expect(404, "post", &t("/tokens"), &t("/tokens"), Some(r#"{"session":"nosuch"}"#)).await;
        run.expect(400, "post", &t("/tokens"), &t("/tokens"), Some("{}")).await;

        run.expect(
            200,
            "post",
            &t("/signal"),
            &t("/signal"),
            Some(&json!({"session": id, "type": "chat", "data": "hi"}).to_string()),
        )
        .await;
        run.expect(
            406,
            "post",
            &t("/signal"),
            &t("/signal"),
            Some(&json!({"session": id, "to": ["con_nosuch"]}).to_string()),
        )
        .await;
        run.expect(404, "post", &t("/signal"), &t("/signal"), Some(r#"{"session":"nosuch"}"#)).await;

        run.expect(200, "get", &t("/recordings"), &t("/recordings"), None).await;
        let r = t("/recordings/{recordingId}");
        run.expect(404, "get", &r, &r.replace("{recordingId}", "nosuch"), None).await;
        let stop = t("/recordings/stop/{recordingId}");
        run.expect(404, "post", &stop, &stop.replace("{recordingId}", "nosuch"), None).await;

        run.expect(204, "delete", &c, &at(&c, pending_id), None).await;
        run.expect(404, "delete", &c, &at(&c, pending_id), None).await;
        let stream = t("/sessions/{sessionId}/stream/{streamId}");
        run.expect(
            404,
            "delete",
            &stream,
            &stream.replace("{sessionId}", id).replace("{streamId}", "str_nosuch"),
            None,
        )
        .await;
        run.expect(204, "delete", &sid, &at(&sid, ""), None).await;
        run.expect(404, "delete", &sid, &at(&sid, ""), None).await;
    }

    for config in ["/openvidu/api/config", "/config"] {
        let all = run.expect(200, "get", config, config, None).await;
        assert_eq!(all["OPENVIDU_RECORDING"], true);
        for tail in [
            "/openvidu-version",
            "/openvidu-publicurl",
            "/openvidu-recording",
            "/openvidu-recording-path",
            "/openvidu-cdr",
        ] {
            let path = format!("{config}{tail}");
            run.call("get", &path, &path, None).await;
        }
    }
    run.expect(200, "get", "/pro/config", "/pro/config", None).await;

    for nodes in ["/openvidu/api/media-nodes", "/pro/media-nodes"] {
        let list = run.expect(200, "get", nodes, nodes, None).await;
        let node_id = list["content"][0]["id"].as_str().expect("the embedded media node is listed").to_string();
        let one = format!("{nodes}/{{mediaNodeId}}");
        run.expect(200, "get", &one, &format!("{nodes}/{node_id}"), None).await;
        let full = run
            .expect(200, "get", &one, &format!("{nodes}/{node_id}?sessions=true&recordings=true&extra-info=true"), None)
            .await;
        assert!(full["kurentoInfo"].is_object(), "{full}");
        run.expect(200, "get", nodes, &format!("{nodes}?sessions=true&recordings=true&extra-info=true"), None).await;
        run.expect(404, "get", &one, &format!("{nodes}/media_nosuch"), None).await;
    }

    run.expect(200, "get", "/openvidu/api/health", "/openvidu/api/health", None).await;
    run.expect(200, "get", "/openvidu/api/status", "/openvidu/api/status", None).await;
    run.expect(200, "get", "/openvidu/api/openapi.json", "/openvidu/api/openapi.json", None).await;
    run.expect(200, "get", "/plenum/live", "/plenum/live", None).await;
    run.expect(200, "get", "/plenum/ready", "/plenum/ready", None).await;
    run.call("get", "/metrics", "/metrics", None).await;
    run.expect(200, "get", "/openvidu/cdr", "/openvidu/cdr", None).await;
    run.expect(200, "get", "/cdr", "/cdr", None).await;
    let file = "/openvidu/recordings/{recordingId}/{file}";
    run.expect(404, "get", file, "/openvidu/recordings/nosuch/nosuch.mp4", None).await;
    run.expect(404, "get", "/recordings/{recordingId}/{file}", "/recordings/nosuch/nosuch.mp4", None).await;

    // The 401 body, checked against the spec like the others.
    let anonymous = server.raw("GET", "/openvidu/api/sessions", None, None).await;
    assert_eq!(anonymous.status, 401);
    spec.check("get", "/openvidu/api/sessions", &anonymous).unwrap();

    let required = [
        ("post", "/sessions 200"),
        ("get", "/sessions 200"),
        ("get", "/sessions/{sessionId} 200"),
        ("delete", "/sessions/{sessionId} 204"),
        ("post", "/sessions/{sessionId}/connection 200"),
        ("get", "/sessions/{sessionId}/connection 200"),
        ("get", "/sessions/{sessionId}/connection/{connectionId} 200"),
        ("patch", "/sessions/{sessionId}/connection/{connectionId} 200"),
        ("delete", "/sessions/{sessionId}/connection/{connectionId} 204"),
        ("post", "/tokens 200"),
        ("post", "/signal 200"),
        ("get", "/recordings 200"),
        ("get", "/recordings/{recordingId} 404"),
    ];
    for prefix in ["/openvidu/api", "/api"] {
        for (method, tail) in required {
            let key = (method.to_string(), format!("{prefix}{tail}"));
            assert!(run.covered.contains(&key), "not exercised: {key:?}");
        }
    }
    for key in [
        ("get", "/openvidu/api/config 200"),
        ("get", "/config 200"),
        ("get", "/openvidu/api/media-nodes 200"),
        ("get", "/openvidu/api/media-nodes/{mediaNodeId} 200"),
        ("get", "/pro/media-nodes 200"),
        ("get", "/pro/media-nodes/{mediaNodeId} 200"),
    ] {
        assert!(run.covered.contains(&(key.0.to_string(), key.1.to_string())), "not exercised: {key:?}");
    }
    drop(run);
    server.stop().await;
}

/// Waits until the node has written `bytes` of `file` (relative to its recording root).
async fn node_wrote(root: &std::path::Path, file: &str, bytes: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let path = root.join(file);
    while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < bytes {
        assert!(tokio::time::Instant::now() < deadline, "the node never wrote {bytes} bytes of {}", path.display());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A GET with a `Range` header, read as the other replies.
async fn ranged(server: &TestServer, path: &str, range: &str) -> Reply {
    let response = server
        .client
        .get(format!("{}{path}", server.base))
        .basic_auth("OPENVIDUAPP", Some(common::SECRET))
        .header("range", range)
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.bytes().await.unwrap();
    Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

#[tokio::test]
async fn a_real_publisher_and_a_real_recording_match_the_spec() {
    let node_root = tempfile::tempdir().unwrap();
    let node = common::media_node::NodeProcess::start_recording(node_root.path(), common::SECRET);
    let server = start(&[("OPENVIDU_RECORDING", "true"), ("PLENUM_EMBEDDED_MEDIA_NODE", "false")]).await;
    let spec = Spec::committed();
    let mut run = Exercise { server: &server, spec: &spec, covered: BTreeSet::new() };
    let nodes = "/openvidu/api/media-nodes";
    let added = run.expect(200, "post", nodes, nodes, Some(&json!({"uri": node.uri}).to_string())).await;
    let node_id = added["id"].as_str().unwrap().to_string();

    server.session("rec").await;
    let alice = common::media_publisher::MediaPublisher::start(&server, "rec", r#"{"data":"alice"}"#).await;
    for prefix in ["/openvidu/api", "/api"] {
        let c = format!("{prefix}/sessions/{{sessionId}}/connection/{{connectionId}}");
        let target = format!("{prefix}/sessions/rec/connection/{}", alice.connection);
        let connection = run.expect(200, "get", &c, &target, None).await;
        assert_eq!(connection["publishers"][0]["streamId"], alice.stream.as_str(), "{connection}");
        let sid = format!("{prefix}/sessions/{{sessionId}}");
        let session = run.expect(200, "get", &sid, &format!("{prefix}/sessions/rec?webRtcStats=true"), None).await;
        let publisher = &session["connections"]["content"][0]["publishers"][0];
        assert!(publisher["remoteSdp"].as_str().is_some_and(|sdp| sdp.starts_with("v=0")), "{publisher}");
    }

    let start_path = "/openvidu/api/recordings/start";
    let body = r#"{"session":"rec","outputMode":"INDIVIDUAL"}"#;
    let started = run.expect(200, "post", start_path, start_path, Some(body)).await;
    assert_eq!((started["status"].as_str(), started["url"].as_str()), (Some("started"), None));
    run.expect(409, "post", "/api/recordings/start", "/api/recordings/start", Some(body)).await;
    for prefix in ["/openvidu/api", "/api"] {
        let one = format!("{prefix}/recordings/{{recordingId}}");
        run.expect(200, "get", &one, &format!("{prefix}/recordings/rec"), None).await;
        let list = format!("{prefix}/recordings");
        assert_eq!(run.expect(200, "get", &list, &list, None).await["count"], 1);
    }
    let with_ids = run.expect(200, "get", nodes, &format!("{nodes}?recordings=true&sessions=true"), None).await;
    assert_eq!(with_ids["content"][0]["recordingIds"], json!(["rec"]));
    let one = "/openvidu/api/recordings/{recordingId}";
    run.expect(409, "delete", one, "/openvidu/api/recordings/rec", None).await;

    node_wrote(node_root.path(), &format!("rec/{}.webm", alice.stream), 20_000).await;
    let stop = "/openvidu/api/recordings/stop/{recordingId}";
    let stopped = run.expect(200, "post", stop, "/openvidu/api/recordings/stop/rec", None).await;
    assert_eq!(stopped["status"], "ready");
    run.expect(409, "post", "/api/recordings/stop/{recordingId}", "/api/recordings/stop/rec", None).await;

    // The file route, whole and ranged, on both families.
    let url = stopped["url"].as_str().unwrap();
    let file_path = &url[url.find("/openvidu/recordings/").expect("a file URL")..];
    for (template, path) in [
        ("/openvidu/recordings/{recordingId}/{file}", file_path.to_string()),
        ("/recordings/{recordingId}/{file}", file_path.trim_start_matches("/openvidu").to_string()),
    ] {
        let whole = run.call("get", template, &path, None).await;
        assert_eq!(whole.status, 200);
        assert_eq!(whole.headers["content-type"], "application/zip");
        let part = ranged(&server, &path, "bytes=0-9").await;
        assert_eq!(part.status, 206);
        spec.check("get", template, &part).unwrap();
    }

    // Draining and undraining the node.
    let node_path = format!("{nodes}/{node_id}");
    let change = "/openvidu/api/media-nodes/{mediaNodeId}";
    let drained = run.expect(200, "patch", change, &node_path, Some(r#"{"status":"waiting-idle-to-terminate"}"#)).await;
    assert_eq!(drained["status"], "waiting-idle-to-terminate");
    run.expect(204, "patch", change, &node_path, Some(r#"{"status":"waiting-idle-to-terminate"}"#)).await;
    run.expect(200, "patch", change, &node_path, Some(r#"{"status":"running"}"#)).await;
    run.expect(400, "patch", change, &node_path, Some(r#"{"status":"launching"}"#)).await;

    run.expect(204, "delete", one, "/openvidu/api/recordings/rec", None).await;
    run.expect(404, "get", one, "/openvidu/api/recordings/rec", None).await;

    // Removing the node that hosts alice's session: refused, then forced.
    let strategy = |name: &str| format!("{node_path}?deletion-strategy={name}");
    run.expect(409, "delete", change, &strategy("if-no-sessions"), None).await;
    let removed = run.expect(200, "delete", change, &strategy("now"), None).await;
    assert_eq!(removed["status"], "terminating");
    run.expect(404, "get", change, &node_path, None).await;
    drop(alice);
    drop(run);
    server.stop().await;
}

#[tokio::test]
async fn restart_replies_match_the_spec() {
    let server = start(NO_EMBEDDED).await;
    let spec = Spec::committed();
    let mut run = Exercise { server: &server, spec: &spec, covered: BTreeSet::new() };
    for path in ["/openvidu/api/restart", "/pro/restart"] {
        let before = run.expect(200, "get", "/openvidu/api/status", "/openvidu/api/status", None).await;
        let restarted = run.expect(200, "post", path, path, Some("{}")).await;
        assert_eq!(restarted["restartCounter"], before["restartCounter"].as_u64().unwrap() + 1);
        let refused = run.expect(400, "post", path, path, Some(r#"{"NO_SUCH_PROPERTY":1}"#)).await;
        assert!(refused["message"].as_str().unwrap().contains("NO_SUCH_PROPERTY"), "{refused}");
    }
    drop(run);
    server.stop().await;
}
