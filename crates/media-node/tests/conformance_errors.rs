//! Conformance over the wire: JSON-RPC and Kurento errors (reference §7;
//! checklist §11 item 11), and robustness against junk frames.

mod common;

use std::time::Duration;

use common::{CHROME_OFFER, Node, SERVER_MANAGER, Wire, assert_kurento_error};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

/// Sends a raw text frame and returns the node's answer.
async fn answer_to(wire: &mut Wire, text: &str) -> Value {
    wire.send_text(text).await;
    wire.next_frame(common::REPLY_TIMEOUT).await.unwrap_or_else(|| panic!("no answer to {text:?}"))
}

#[tokio::test]
async fn unparseable_text_is_a_parse_error_with_null_id() {
    let node = Node::start();
    let mut wire = node.wire().await;
    for text in ["{not json", "", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"", "\u{feff}{}", "nul"] {
        let frame = answer_to(&mut wire, text).await;
        assert_eq!(
            frame,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error."}}),
            "answer to {text:?}"
        );
    }
    assert_eq!(wire.ok("ping", json!({})).await["value"], "pong", "the socket stays usable");
}

#[tokio::test]
async fn invalid_requests_are_32600() {
    let node = Node::start();
    let mut wire = node.wire().await;
    // Not an object, or an id that is neither number nor string: id null (reference §7).
    for text in [
        "[1,2]",
        "[]",
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
        "42",
        "\"ping\"",
        "null",
        r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
    ] {
        let frame = answer_to(&mut wire, text).await;
        assert_eq!(
            frame,
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid JSON-RPC request."}}),
            "answer to {text}"
        );
    }
    // Wrong or missing jsonrpc, method not a string, no method and no result. KMS answers these with id
    // null (reference §7); the node echoes the readable id, as JSON-RPC 2.0 asks, which lets a client fail
    // the pending request instead of timing out. Both are accepted here.
    for text in [
        r#"{"jsonrpc":"1.0","id":4,"method":"ping"}"#,
        r#"{"id":4,"method":"ping"}"#,
        r#"{"jsonrpc":2.0,"id":4,"method":"ping"}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":5}"#,
        r#"{"jsonrpc":"2.0","id":4}"#,
    ] {
        let frame = answer_to(&mut wire, text).await;
        assert_eq!(frame["error"]["code"], -32600, "answer to {text}: {frame}");
        assert_eq!(frame["error"]["message"], "Invalid JSON-RPC request.");
        assert!(frame["id"] == json!(4) || frame["id"].is_null(), "{frame}");
    }
}

#[tokio::test]
async fn unknown_methods_are_32601() {
    let node = Node::start();
    let mut wire = node.wire().await;
    for (index, method) in
        ["frobnicate", "Ping", "", "createMediaPipeline", "subscribeEvent", "onEvent"].into_iter().enumerate()
    {
        let id = json!(format!("unknown-{index}"));
        wire.send_json(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {}})).await;
        let frame = wire.response_to(&id).await;
        assert_eq!(
            frame,
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "Method not found."}}),
            "{method:?}"
        );
    }
}

#[tokio::test]
async fn missing_params_and_top_level_type_errors() {
    let node = Node::start();
    let mut wire = node.wire().await;
    for method in ["create", "describe", "invoke", "subscribe", "unsubscribe", "release", "transaction", "ref", "unref"]
    {
        let error = wire.err(method, Value::Null).await;
        assert_eq!(
            error,
            json!({"code": -32602, "message": "'params' is required", "data": {"type": "INVALID_PARAMS"}}),
            "{method} without params"
        );
    }
    for (method, params, message) in [
        ("create", json!({}), "'type' parameter is required"),
        ("create", json!({"type": 5}), "'type' parameter should be a string"),
        ("describe", json!({"object": 5}), "'object' parameter should be a string"),
        ("describe", json!({"object": null}), "'object' parameter is required"),
        ("invoke", json!({"object": SERVER_MANAGER}), "'operation' parameter is required"),
        (
            "invoke",
            json!({"object": SERVER_MANAGER, "operation": ["getInfo"]}),
            "'operation' parameter should be a string",
        ),
        ("subscribe", json!({"object": SERVER_MANAGER, "type": {}}), "'type' parameter should be a string"),
        (
            "unsubscribe",
            json!({"object": SERVER_MANAGER, "subscription": 3}),
            "'subscription' parameter should be a string",
        ),
        ("transaction", json!({"operations": "all"}), "'operations' parameter should be an array"),
        ("create", json!({"type": "MediaPipeline", "sessionId": 5}), "'sessionId' parameter should be a string"),
    ] {
        let error = wire.err(method, params.clone()).await;
        assert_eq!(error["code"], -32000, "{method} {params}: {error}");
        assert_eq!(error["message"], message, "{method} {params}");
    }
    assert!(wire.pipelines().await.is_empty(), "nothing was created by the failed calls");
}

#[tokio::test]
async fn wrong_operation_parameter_types_are_marshall_errors() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    for (operation, params, param) in [
        ("processOffer", json!({"offer": 5}), "offer"),
        ("processOffer", json!({}), "offer"),
        ("processAnswer", json!({"answer": ["v=0"]}), "answer"),
        ("addIceCandidate", json!({"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}), "candidate"),
        ("addIceCandidate", json!({"candidate": {"sdpMid": "0"}}), "candidate"),
        ("connect", json!({"sink": 5}), "sink"),
        ("setName", json!({"name": {"first": "x"}}), "name"),
        ("setStunServerPort", json!({"stunServerPort": "3478"}), "stunServerPort"),
        ("setSendTagsInEvents", json!({"sendTagsInEvents": "yes"}), "sendTagsInEvents"),
        ("isMediaFlowingIn", json!({"mediaType": "SMELL"}), "mediaType"),
    ] {
        let error = wire.invoke_err(&endpoint, operation, params.clone()).await;
        assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("'{param}' parameter should be a")),
            "{operation} {params}: a clear message naming '{param}': {message}"
        );
    }
    // operationParams itself of the wrong JSON type.
    let error =
        wire.err("invoke", json!({"object": endpoint, "operation": "processOffer", "operationParams": "v=0"})).await;
    assert!(error["code"] == -32000 || error["code"] == 40001, "{error}");
}

#[tokio::test]
async fn unknown_objects_are_40101() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let ghost = "deadbeef-0000-4000-8000-000000000000_kurento.MediaPipeline";
    for (method, params) in [
        ("describe", json!({"object": ghost})),
        ("invoke", json!({"object": ghost, "operation": "getName"})),
        ("subscribe", json!({"object": ghost, "type": "Error"})),
        ("create", json!({"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": ghost}})),
        ("invoke", json!({"object": "", "operation": "getName"})),
    ] {
        let error = wire.err(method, params.clone()).await;
        assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
        assert!(error["message"].as_str().unwrap().starts_with("Object '"), "{error}");
    }
    let passthrough = wire.passthrough(&pipeline).await;
    let error = wire.invoke_err(&passthrough, "connect", json!({"sink": ghost})).await;
    assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
    assert_eq!(error["message"], format!("Object '{ghost}' not found"));
}

// ---------------------------------------------------------------- robustness

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Junk(u64);

impl Junk {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn text(&mut self) -> String {
        let pool = [
            "",
            "newref:0",
            "newref:1",
            "newref:99999999999999999999",
            "newref:-1",
            SERVER_MANAGER,
            "MediaPipeline",
            "kurento.WebRtcEndpoint",
            "PassThrough",
            "WebRtcEndpoint",
            "AUDIO",
            "VIDEO",
            "processOffer",
            "connect",
            "ü🎉\u{0}\u{7f}\u{202e}",
            "null",
            "-1",
            "v=0\r\n",
            "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
            "x_kurento.MediaPipeline/y_kurento.WebRtcEndpoint",
        ];
        match self.below(10) {
            0 => "a".repeat(1 + self.below(200_000)),
            1 => (0..self.below(64)).map(|_| char::from(b' ' + self.below(95) as u8)).collect(),
            _ => self.pick(&pool).to_string(),
        }
    }

    fn number(&mut self) -> Value {
        match self.below(8) {
            0 => json!(i64::MAX),
            1 => json!(i64::MIN),
            2 => json!(u64::MAX),
            3 => json!(1.0e300),
            4 => json!(-0.5),
            5 => json!(0),
            _ => json!(self.next() as i64),
        }
    }

    fn value(&mut self, depth: usize) -> Value {
        let choice = if depth == 0 { self.below(4) } else { self.below(7) };
        match choice {
            0 => Value::Null,
            1 => json!(self.below(2) == 0),
            2 => self.number(),
            3 => json!(self.text()),
            4 => Value::Array((0..self.below(5)).map(|_| self.value(depth - 1)).collect()),
            _ => {
                let keys = [
                    "object",
                    "type",
                    "operation",
                    "operationParams",
                    "sessionId",
                    "subscription",
                    "operations",
                    "constructorParams",
                    "mediaPipeline",
                    "sink",
                    "offer",
                    "answer",
                    "candidate",
                    "mediaType",
                    "interval",
                    "release",
                    "__module__",
                    "__type__",
                ];
                let mut map = serde_json::Map::new();
                for _ in 0..self.below(6) {
                    let key = if self.below(5) == 0 { self.text() } else { self.pick(&keys).to_string() };
                    map.insert(key, self.value(depth - 1));
                }
                Value::Object(map)
            }
        }
    }

    fn method(&mut self) -> String {
        let methods = [
            "ping",
            "connect",
            "create",
            "describe",
            "invoke",
            "subscribe",
            "unsubscribe",
            "release",
            "transaction",
            "ref",
            "unref",
            "keepAlive",
            "closeSession",
            "onEvent",
        ];
        if self.below(8) == 0 { self.text() } else { self.pick(&methods).to_string() }
    }

    fn id(&mut self) -> Value {
        match self.below(10) {
            0 => Value::Null,
            1 => json!(1.5),
            2 => json!(u64::MAX),
            3 => json!(-1.0e300),
            4 => json!([1]),
            5 => json!({"id": 1}),
            6 => json!(true),
            7 => json!(self.text()),
            _ => json!(self.next() as i64),
        }
    }

    /// An SDP offer with a few random bytes changed or cut short.
    fn mangled_offer(&mut self) -> String {
        let mut bytes = CHROME_OFFER.as_bytes().to_vec();
        match self.below(3) {
            0 => bytes.truncate(self.below(bytes.len())),
            _ => {
                for _ in 0..1 + self.below(8) {
                    let at = self.below(bytes.len());
                    bytes[at] = b' ' + self.below(95) as u8;
                }
            }
        }
        String::from_utf8(bytes).expect("ASCII stays UTF-8")
    }

    /// One junk websocket message.
    fn frame(&mut self) -> Message {
        match self.below(16) {
            0 => Message::binary((0..self.below(2048)).map(|_| self.next() as u8).collect::<Vec<u8>>()),
            1 => Message::text(self.text()),
            2 => Message::text(self.value(3).to_string()),
            3 => Message::text("[".repeat(1 + self.below(20_000))),
            4 => Message::text(format!("{}{}", "{\"a\":".repeat(200), "}".repeat(200))),
            5 => Message::Ping(vec![1, 2, 3].into()),
            6 => Message::text(json!({"jsonrpc": "2.0", "id": self.id(), "result": self.value(2)}).to_string()),
            7 => Message::text(
                json!({"jsonrpc": "2.0", "id": self.id(), "error": {"code": self.number(), "message": self.text()}})
                    .to_string(),
            ),
            8 => {
                // A transaction that builds real objects and feeds them junk.
                let operation =
                    self.pick(&["processOffer", "processAnswer", "addIceCandidate", "generateOffer", "connect"]);
                let params = match *operation {
                    "processOffer" => json!({"offer": self.mangled_offer()}),
                    "processAnswer" => json!({"answer": self.mangled_offer()}),
                    _ => self.value(2),
                };
                let operations = json!([
                    {"jsonrpc": "2.0", "id": 0, "method": "create", "params": {"type": "MediaPipeline"}},
                    {"jsonrpc": "2.0", "id": 1, "method": "create",
                     "params": {"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": "newref:0"}}},
                    {"jsonrpc": "2.0", "id": 2, "method": "invoke",
                     "params": {"object": "newref:1", "operation": operation, "operationParams": params}},
                    {"jsonrpc": "2.0", "id": 3, "method": self.method(), "params": self.value(3)},
                    {"jsonrpc": "2.0", "id": 4, "method": "release", "params": {"object": "newref:0"}},
                ]);
                Message::text(
                    json!({"jsonrpc": "2.0", "id": self.id(), "method": "transaction", "params": {"operations": operations}})
                        .to_string(),
                )
            }
            9 => {
                // A transaction of junk, possibly nesting transactions.
                let operations: Vec<Value> = (0..self.below(6))
                    .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": self.method(), "params": self.value(3)}))
                    .collect();
                let nested = json!({"jsonrpc": "2.0", "id": 0, "method": "transaction",
                                    "params": {"operations": operations}});
                Message::text(
                    json!({"jsonrpc": "2.0", "id": self.id(), "method": "transaction",
                           "params": {"operations": [nested, self.value(2)]}})
                    .to_string(),
                )
            }
            _ => {
                let mut request = json!({"jsonrpc": "2.0", "method": self.method()});
                if self.below(6) != 0 {
                    request["id"] = self.id();
                }
                if self.below(6) != 0 {
                    request["params"] = self.value(4);
                }
                if self.below(20) == 0 {
                    request["jsonrpc"] = self.value(1);
                }
                Message::text(request.to_string())
            }
        }
    }
}

/// A node answer must be a JSON-RPC 2.0 response (exactly one of result/error) or an onEvent.
fn assert_well_formed(frame: &Value) {
    assert_eq!(frame["jsonrpc"], "2.0", "{frame}");
    if frame.get("method").is_some() {
        assert_eq!(frame["method"], "onEvent", "{frame}");
        return;
    }
    assert!(frame.get("id").is_some(), "{frame}");
    assert!(frame.get("result").is_some() != frame.get("error").is_some(), "{frame}");
    if let Some(error) = frame.get("error") {
        assert!(error["code"].is_i64() && error["message"].is_string(), "{frame}");
    }
}

#[tokio::test]
async fn junk_frames_leave_the_node_and_other_clients_unharmed() {
    let mut node = Node::start();

    // A well-behaved client with objects and a subscription.
    let mut victim = node.wire().await;
    let pipeline = victim.pipeline().await;
    let endpoint = victim.webrtc(&pipeline).await;
    let passthrough = victim.passthrough(&pipeline).await;
    victim.invoke_ok(&endpoint, "setName", json!({"name": "keep-me"})).await;
    victim.invoke_ok(&endpoint, "setMaxVideoRecvBandwidth", json!({"maxVideoRecvBandwidth": 777})).await;
    victim.subscribe(&endpoint, "ElementConnected").await;

    // Connections that misbehave below the JSON level.
    for bytes in [&b"GARBAGE\r\n\r\n"[..], b"GET /kurento HTTP/1.1\r\nHost: x\r\n\r\n", &[0xff; 4096]] {
        let mut tcp = tokio::net::TcpStream::connect(&node.addr).await.expect("tcp connect");
        let _ = tcp.write_all(bytes).await;
        drop(tcp);
    }
    let abandoned = Wire::connect(&node.url).await; // handshake, then the TCP connection just drops
    drop(abandoned);

    // Several hundred junk frames on one socket.
    let mut fuzzer = node.wire().await;
    let mut junk = Junk(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let frame = junk.frame();
        fuzzer.send_message(frame).await;
    }
    // Raw frames tungstenite would not build from a Message: a fragmented text message.
    let first = Frame::message(&b"{\"jsonrpc\":\"2.0\",\"id\":\"frag\","[..], OpCode::Data(Data::Text), false);
    let rest = Frame::message(&b"\"method\":\"ping\"}"[..], OpCode::Data(Data::Continue), true);
    fuzzer.send_message(Message::Frame(first)).await;
    fuzzer.send_message(Message::Frame(rest)).await;

    // The fuzzing socket still works: every frame it got back was well formed, and it answers a ping.
    fuzzer.send_json(&json!({"jsonrpc": "2.0", "id": "final-ping", "method": "ping"})).await;
    let mut answers = 0;
    let mut fragmented_answered = false;
    loop {
        let frame = fuzzer.next_frame(Duration::from_secs(60)).await.expect("the node keeps answering the junk socket");
        assert_well_formed(&frame);
        if frame["id"] == "frag" {
            assert_eq!(frame["result"]["value"], "pong", "the fragmented ping was reassembled: {frame}");
            fragmented_answered = true;
        }
        if frame["id"] == "final-ping" {
            assert_eq!(frame["result"]["value"], "pong");
            break;
        }
        answers += 1;
    }
    assert!(answers > 100, "most junk requests got an answer ({answers})");
    assert!(fragmented_answered, "the fragmented request was answered");
    assert!(node.is_running(), "the node process survived");

    // New clients are served.
    let mut fresh = node.wire().await;
    assert_eq!(fresh.ok("ping", json!({})).await["value"], "pong");
    fresh.pipeline().await;

    // The victim's objects, properties and subscription are intact.
    assert!(victim.pipelines().await.contains(&pipeline));
    assert_eq!(victim.invoke_ok(&endpoint, "getName", json!({})).await, "keep-me");
    assert_eq!(victim.invoke_ok(&endpoint, "getMaxVideoRecvBandwidth", json!({})).await, 777);
    let mut children = victim.invoke_ok(&pipeline, "getChildren", json!({})).await.as_array().unwrap().clone();
    children.sort_by_key(|c| c.to_string());
    let mut expected = vec![json!(endpoint), json!(passthrough)];
    expected.sort_by_key(|c| c.to_string());
    assert_eq!(children, expected);
    victim.invoke_ok(&endpoint, "connect", json!({"sink": passthrough, "mediaType": "VIDEO"})).await;
    let event = victim.wait_event_of(&endpoint, "ElementConnected").await;
    assert_eq!(event["params"]["value"]["data"]["sink"], json!(passthrough));
    let answer = victim.invoke_ok(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    assert!(answer.as_str().is_some_and(|a| a.starts_with("v=0")), "the media layer still works: {answer}");
}

#[tokio::test]
async fn json_rpc_in_binary_frames_is_answered_like_text() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping", "params": {"interval": 240000}}).to_string();
    wire.send_message(Message::binary(ping.into_bytes())).await;
    let frame = wire.next_frame(common::REPLY_TIMEOUT).await.expect("an answer to a binary ping");
    assert_eq!(frame["id"], 7);
    assert_eq!(frame["result"]["value"], "pong");
    wire.send_message(Message::binary(vec![0xff, 0xfe, b'{'])).await;
    let frame = wire.next_frame(common::REPLY_TIMEOUT).await.expect("an answer to junk bytes");
    assert_eq!(frame["error"]["code"], -32700);
}
