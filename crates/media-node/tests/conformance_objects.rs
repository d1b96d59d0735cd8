//! Conformance over the wire: the object model — create, ids, describe,
//! invoke (getters/setters, tags, connect/disconnect), subscribe/unsubscribe,
//! the onEvent envelope, release and transactions
//! (reference §3.3–§3.9, §4, §5; checklist §11 items 4–9).

mod common;

use common::{Node, SERVER_MANAGER, assert_kurento_error, is_uuid, now_ms};
use serde_json::{Value, json};

/// `<uuid>_kurento.MediaPipeline`
fn assert_pipeline_id(id: &str) {
    let uuid = id.strip_suffix("_kurento.MediaPipeline").unwrap_or_else(|| panic!("pipeline id suffix: {id}"));
    assert!(is_uuid(uuid), "pipeline id is <uuid>_kurento.MediaPipeline: {id}");
}

/// `<pipeline>/<uuid>_kurento.<class>`
fn assert_element_id(id: &str, pipeline: &str, class: &str) {
    let rest = id.strip_prefix(&format!("{pipeline}/")).unwrap_or_else(|| panic!("{id} is not under {pipeline}"));
    let uuid = rest.strip_suffix(&format!("_kurento.{class}")).unwrap_or_else(|| panic!("{id} is not a {class}"));
    assert!(is_uuid(uuid), "element id is <pipeline>/<uuid>_kurento.{class}: {id}");
}

#[tokio::test]
async fn create_accepts_bare_and_qualified_types_and_gives_kurento_ids() {
    let node = Node::start();
    let mut wire = node.wire().await;

    // JS omits constructorParams for MediaPipeline.
    let bare = wire.ok("create", json!({"type": "MediaPipeline"})).await;
    let pipeline = bare["value"].as_str().unwrap().to_string();
    assert_pipeline_id(&pipeline);
    assert!(bare["sessionId"].is_string());
    let qualified = wire.ok("create", json!({"type": "kurento.MediaPipeline", "constructorParams": {}})).await;
    assert_pipeline_id(qualified["value"].as_str().unwrap());
    assert_ne!(qualified["value"], bare["value"]);

    for (type_name, class) in [
        ("WebRtcEndpoint", "WebRtcEndpoint"),
        ("kurento.WebRtcEndpoint", "WebRtcEndpoint"),
        ("PassThrough", "PassThrough"),
        ("kurento.PassThrough", "PassThrough"),
    ] {
        let result = wire
            .ok(
                "create",
                json!({"type": type_name, "constructorParams": {"mediaPipeline": pipeline}, "properties": {"ignored": 1}}),
            )
            .await;
        assert_element_id(result["value"].as_str().unwrap(), &pipeline, class);
    }

    // Optional WebRtcEndpoint constructor params are accepted.
    let result = wire
        .ok(
            "create",
            json!({"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": pipeline, "recvonly": false,
                   "sendonly": false, "useDataChannels": false, "certificateKeyType": "ECDSA"}}),
        )
        .await;
    assert_element_id(result["value"].as_str().unwrap(), &pipeline, "WebRtcEndpoint");

    let children = wire.invoke_ok(&pipeline, "getChildren", json!({})).await;
    assert_eq!(children.as_array().unwrap().len(), 5, "{children}");
}

#[tokio::test]
async fn unsupported_and_unknown_types_are_40108_naming_the_type() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    for type_name in [
        "FaceOverlayFilter",
        "PlayerEndpoint",
        "GStreamerFilter",
        "kurento.ZBarFilter",
        "Mixer",
        "Frobnicator",
        "kurento.Frobnicator",
        "MediaElement",
    ] {
        let error = wire
            .err(
                "create",
                json!({"type": type_name, "constructorParams": {"mediaPipeline": pipeline,
            "uri": "file:///tmp/x.webm"}}),
            )
            .await;
        assert_kurento_error(&error, 40108, "MEDIA_OBJECT_NOT_AVAILABLE");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(type_name), "the message names {type_name}: {message}");
    }
    let error = wire.err("create", json!({"type": "Frobnicator"})).await;
    assert_eq!(error["message"], "Factory 'Frobnicator' not found");
    assert_eq!(wire.invoke_ok(&pipeline, "getChildren", json!({})).await, json!([]), "nothing was created");
}

#[tokio::test]
async fn constructor_parameter_errors() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;

    // Missing constructorParams / mediaPipeline → 40001.
    for params in [
        json!({"type": "WebRtcEndpoint"}),
        json!({"type": "WebRtcEndpoint", "constructorParams": {}}),
        json!({"type": "PassThrough", "constructorParams": {"mediaPipeline": 17}}),
    ] {
        let error = wire.err("create", params.clone()).await;
        assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("mediaPipeline") || message.contains("constructorParams"), "{params}: {message}");
    }
    // A parent of the wrong class → 40001 in Kurento's wording.
    let error =
        wire.err("create", json!({"type": "PassThrough", "constructorParams": {"mediaPipeline": endpoint}})).await;
    assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
    assert_eq!(error["message"], "'mediaPipeline' parameter should be a MediaPipeline");
    // An unknown parent → 40101.
    let missing = "00000000-0000-4000-8000-000000000000_kurento.MediaPipeline";
    let error =
        wire.err("create", json!({"type": "PassThrough", "constructorParams": {"mediaPipeline": missing}})).await;
    assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
    assert_eq!(error["message"], format!("Object '{missing}' not found"));
}

#[tokio::test]
async fn describe_gives_type_qualified_type_and_hierarchy() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    let passthrough = wire.passthrough(&pipeline).await;
    let session = wire.ok("ping", json!({})).await["sessionId"].clone();
    let cases = [
        (pipeline.as_str(), "MediaPipeline", json!(["kurento.MediaObject"])),
        (SERVER_MANAGER, "ServerManager", json!(["kurento.MediaObject"])),
        (passthrough.as_str(), "PassThrough", json!(["kurento.MediaElement", "kurento.MediaObject"])),
        (
            endpoint.as_str(),
            "WebRtcEndpoint",
            json!([
                "kurento.BaseRtpEndpoint",
                "kurento.SdpEndpoint",
                "kurento.SessionEndpoint",
                "kurento.Endpoint",
                "kurento.MediaElement",
                "kurento.MediaObject"
            ]),
        ),
    ];
    for (object, type_name, hierarchy) in cases {
        let described = wire.ok("describe", json!({"object": object})).await;
        assert_eq!(
            described,
            json!({"type": type_name, "qualifiedType": format!("kurento.{type_name}"), "hierarchy": hierarchy,
                   "sessionId": session}),
            "describe {object}"
        );
    }
    // A fresh socket can describe the ServerManager without creating anything (JS strict-mode startup).
    let mut fresh = node.wire().await;
    assert_eq!(fresh.ok("describe", json!({"object": SERVER_MANAGER})).await["type"], "ServerManager");
    let error = fresh.err("describe", json!({"object": "nope"})).await;
    assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
    assert_eq!(error["message"], "Object 'nope' not found");
}

#[tokio::test]
async fn getters_and_setters() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let before_s = (now_ms() / 1000) as i64;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    let passthrough = wire.passthrough(&pipeline).await;

    // MediaObject properties.
    assert_eq!(wire.invoke_ok(&endpoint, "getName", json!({})).await, json!(endpoint), "name defaults to the id");
    let set = wire
        .ok("invoke", json!({"object": endpoint, "operation": "setName", "operationParams": {"name": "publisher-1"}}))
        .await;
    assert!(set.get("value").is_none_or(Value::is_null), "a void result: {set}");
    assert!(set["sessionId"].is_string());
    assert_eq!(wire.invoke_ok(&endpoint, "getName", json!({})).await, "publisher-1");
    assert_eq!(wire.invoke_ok(&endpoint, "getId", json!({})).await, json!(endpoint));
    assert_eq!(wire.invoke_ok(&endpoint, "getMediaPipeline", json!({})).await, json!(pipeline));
    assert_eq!(wire.invoke_ok(&endpoint, "getParent", json!({})).await, json!(pipeline));
    let creation = wire.invoke_ok(&endpoint, "getCreationTime", json!({})).await;
    let creation = creation.as_i64().unwrap_or_else(|| panic!("creationTime is an int: {creation}"));
    assert!((before_s - 1..=before_s + 60).contains(&creation), "creationTime is in unix seconds: {creation}");
    assert_eq!(wire.invoke_ok(&endpoint, "getSendTagsInEvents", json!({})).await, false);
    let mut children = wire.invoke_ok(&pipeline, "getChildren", json!({})).await.as_array().unwrap().clone();
    children.sort_by_key(|c| c.as_str().unwrap().to_string());
    let mut expected = vec![json!(endpoint), json!(passthrough)];
    expected.sort_by_key(|c| c.as_str().unwrap().to_string());
    assert_eq!(children, expected);
    assert_eq!(wire.invoke_ok(&pipeline, "getMediaPipeline", json!({})).await, json!(pipeline));
    // JS omits operationParams when there are none.
    let bare = wire.ok("invoke", json!({"object": endpoint, "operation": "getName"})).await;
    assert_eq!(bare["value"], "publisher-1");

    // Bandwidth properties (the ones OpenVidu sets), each readable back.
    for (property, value) in [
        ("MaxVideoRecvBandwidth", 1000),
        ("MinVideoRecvBandwidth", 300),
        ("MaxVideoSendBandwidth", 1500),
        ("MinVideoSendBandwidth", 200),
        ("MaxAudioRecvBandwidth", 64),
        ("StunServerPort", 3478),
        ("Mtu", 1200),
    ] {
        let name = format!("{}{}", property[..1].to_lowercase(), &property[1..]);
        let getter = format!("get{property}");
        let setter = format!("set{property}");
        let default = wire.invoke_ok(&endpoint, &getter, json!({})).await;
        assert!(default.is_i64(), "{getter} is an int before being set: {default}");
        wire.invoke_ok(&endpoint, &setter, json!({ name.clone(): value })).await;
        assert_eq!(wire.invoke_ok(&endpoint, &getter, json!({})).await, json!(value), "{getter}");
    }
    wire.invoke_ok(&endpoint, "setStunServerAddress", json!({"stunServerAddress": "192.0.2.1"})).await;
    assert_eq!(wire.invoke_ok(&endpoint, "getStunServerAddress", json!({})).await, "192.0.2.1");
    wire.invoke_ok(&endpoint, "setTurnUrl", json!({"turnUrl": "user:pass@192.0.2.2:3478"})).await;
    assert_eq!(wire.invoke_ok(&endpoint, "getTurnUrl", json!({})).await, "user:pass@192.0.2.2:3478");
    wire.invoke_ok(&passthrough, "setMaxEncoderBitrate", json!({"maxEncoderBitrate": 2000})).await;
    assert_eq!(wire.invoke_ok(&passthrough, "getMaxEncoderBitrate", json!({})).await, 2000);

    // Wrong or missing setter params → 40001 naming the property.
    for params in [json!({"maxVideoRecvBandwidth": "lots"}), json!({}), json!({"maxVideoRecvBandwidth": 1.5})] {
        let error = wire.invoke_err(&endpoint, "setMaxVideoRecvBandwidth", params.clone()).await;
        assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
        assert!(
            error["message"].as_str().unwrap().starts_with("'maxVideoRecvBandwidth' parameter should be a"),
            "{error}"
        );
    }
    let error = wire.invoke_err(&endpoint, "setName", json!({"name": 5})).await;
    assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
    assert_eq!(wire.invoke_ok(&endpoint, "getMaxVideoRecvBandwidth", json!({})).await, 1000, "unchanged");

    // Final/read-only properties have no setter: an unknown operation (40008).
    for (operation, params) in [("setId", json!({"id": "x"})), ("setMediaPipeline", json!({"mediaPipeline": "x"}))] {
        let error = wire.invoke_err(&endpoint, operation, params).await;
        assert_kurento_error(&error, 40008, "MALFORMED_TRANSACTION");
    }
}

#[tokio::test]
async fn unknown_operations_and_objects() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let passthrough = wire.passthrough(&pipeline).await;

    // Kurento's quirk: unknown operation → 40008 "Method '<op>' with <n> parameters not found".
    let error = wire.invoke_err(&passthrough, "frobnicate", json!({"a": 1, "b": 2})).await;
    assert_kurento_error(&error, 40008, "MALFORMED_TRANSACTION");
    assert_eq!(error["message"], "Method 'frobnicate' with 2 parameters not found");
    // WebRtcEndpoint-only operations do not exist on a PassThrough.
    let error = wire.invoke_err(&passthrough, "processOffer", json!({"offer": "v=0"})).await;
    assert_kurento_error(&error, 40008, "MALFORMED_TRANSACTION");
    let error = wire.invoke_err(&pipeline, "connect", json!({"sink": passthrough})).await;
    assert_kurento_error(&error, 40008, "MALFORMED_TRANSACTION");

    let gone = format!("{pipeline}/00000000-0000-4000-8000-000000000000_kurento.WebRtcEndpoint");
    for (method, params) in [
        ("invoke", json!({"object": gone, "operation": "getName"})),
        ("describe", json!({"object": gone})),
        ("subscribe", json!({"object": gone, "type": "IceCandidateFound"})),
        ("ref", json!({"object": gone})),
    ] {
        let error = wire.err(method, params).await;
        assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
        assert_eq!(error["message"], format!("Object '{gone}' not found"), "{method}");
    }
    // A remote-object operation param naming an unknown id → 40101.
    let error = wire.invoke_err(&passthrough, "connect", json!({"sink": gone})).await;
    assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn tags() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    wire.invoke_ok(&pipeline, "addTag", json!({"key": "room", "value": "daily"})).await;
    wire.invoke_ok(&pipeline, "addTag", json!({"key": "owner", "value": "ana"})).await;
    assert_eq!(wire.invoke_ok(&pipeline, "getTag", json!({"key": "room"})).await, "daily");
    let tags = wire.invoke_ok(&pipeline, "getTags", json!({})).await;
    let tags = tags.as_array().unwrap();
    assert_eq!(tags.len(), 2);
    assert!(tags.contains(&json!({"__module__": "kurento", "__type__": "Tag", "key": "room", "value": "daily"})));
    wire.invoke_ok(&pipeline, "removeTag", json!({"key": "room"})).await;
    let error = wire.invoke_err(&pipeline, "getTag", json!({"key": "room"})).await;
    assert_kurento_error(&error, 40110, "MEDIA_OBJECT_TAG_KEY_NOT_FOUND");
    let error = wire.invoke_err(&pipeline, "addTag", json!({"key": "k"})).await;
    assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
}

/// Asserts an ElementConnected/ElementDisconnected event's full envelope.
fn assert_link_event(frame: &Value, kind: &str, source: &str, sink: &str, media: &str) {
    assert_eq!(frame["jsonrpc"], "2.0");
    assert_eq!(frame["method"], "onEvent");
    let value = &frame["params"]["value"];
    assert_eq!(value["type"], kind);
    assert_eq!(value["object"], source);
    let data = &value["data"];
    assert_eq!(data["source"], source);
    assert_eq!(data["type"], kind);
    assert_eq!(data["sink"], sink);
    assert_eq!(data["mediaType"], media);
    assert!(data["sourceMediaDescription"].is_string() && data["sinkMediaDescription"].is_string(), "{data}");
}

/// `(source, sink, type)` of getSourceConnections/getSinkConnections results, sorted.
fn connections(value: &Value) -> Vec<(String, String, String)> {
    let mut list: Vec<_> = value
        .as_array()
        .unwrap_or_else(|| panic!("a list: {value}"))
        .iter()
        .map(|c| {
            assert_eq!(c["__module__"], "kurento", "{c}");
            assert_eq!(c["__type__"], "ElementConnectionData", "{c}");
            assert!(c["sourceDescription"].is_string() && c["sinkDescription"].is_string(), "{c}");
            (
                c["source"].as_str().unwrap().to_string(),
                c["sink"].as_str().unwrap().to_string(),
                c["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

fn links(source: &str, sink: &str, media: &[&str]) -> Vec<(String, String, String)> {
    let mut list: Vec<_> = media.iter().map(|m| (source.to_string(), sink.to_string(), m.to_string())).collect();
    list.sort();
    list
}

#[tokio::test]
async fn connect_and_disconnect_with_and_without_media_type() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let publisher = wire.webrtc(&pipeline).await;
    let hub = wire.passthrough(&pipeline).await;
    let other = wire.webrtc(&pipeline).await;
    for element in [&publisher, &other] {
        wire.subscribe(element, "ElementConnected").await;
        wire.subscribe(element, "ElementDisconnected").await;
    }

    // Without mediaType: AUDIO, VIDEO and DATA.
    let result =
        wire.ok("invoke", json!({"object": publisher, "operation": "connect", "operationParams": {"sink": hub}})).await;
    assert!(result.get("value").is_none_or(Value::is_null), "connect is void: {result}");
    let events = wire.events_until_barrier().await;
    assert_eq!(events.len(), 3, "one ElementConnected per media type: {events:?}");
    let mut media: Vec<&str> =
        events.iter().map(|e| e["params"]["value"]["data"]["mediaType"].as_str().unwrap()).collect();
    media.sort_unstable();
    assert_eq!(media, ["AUDIO", "DATA", "VIDEO"]);
    for event in &events {
        let media = event["params"]["value"]["data"]["mediaType"].as_str().unwrap();
        assert_link_event(event, "ElementConnected", &publisher, &hub, media);
    }
    let all = links(&publisher, &hub, &["AUDIO", "DATA", "VIDEO"]);
    assert_eq!(connections(&wire.invoke_ok(&publisher, "getSinkConnections", json!({})).await), all);
    assert_eq!(connections(&wire.invoke_ok(&hub, "getSourceConnections", json!({})).await), all);
    assert_eq!(connections(&wire.invoke_ok(&hub, "getSinkConnections", json!({})).await), vec![]);

    // Filtered by media type.
    let video = wire.invoke_ok(&hub, "getSourceConnections", json!({"mediaType": "VIDEO"})).await;
    assert_eq!(connections(&video), links(&publisher, &hub, &["VIDEO"]), "getSourceConnections(mediaType: VIDEO)");
    let audio = wire.invoke_ok(&publisher, "getSinkConnections", json!({"mediaType": "AUDIO"})).await;
    assert_eq!(connections(&audio), links(&publisher, &hub, &["AUDIO"]), "getSinkConnections(mediaType: AUDIO)");

    // Mute audio: disconnect with mediaType.
    wire.invoke_ok(&publisher, "disconnect", json!({"sink": hub, "mediaType": "AUDIO"})).await;
    let events = wire.events_until_barrier().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_link_event(&events[0], "ElementDisconnected", &publisher, &hub, "AUDIO");
    assert_eq!(
        connections(&wire.invoke_ok(&hub, "getSourceConnections", json!({})).await),
        links(&publisher, &hub, &["DATA", "VIDEO"])
    );
    // Unmute: connect with mediaType.
    wire.invoke_ok(&publisher, "connect", json!({"sink": hub, "mediaType": "AUDIO"})).await;
    let events = wire.events_until_barrier().await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_link_event(&events[0], "ElementConnected", &publisher, &hub, "AUDIO");

    // A sink has one source per media type: a new VIDEO source replaces the old one.
    wire.invoke_ok(&other, "connect", json!({"sink": hub, "mediaType": "VIDEO"})).await;
    let events = wire.events_until_barrier().await;
    assert_eq!(events.len(), 2, "{events:?}");
    let disconnected = events.iter().find(|e| e["params"]["value"]["type"] == "ElementDisconnected").unwrap();
    assert_link_event(disconnected, "ElementDisconnected", &publisher, &hub, "VIDEO");
    let connected = events.iter().find(|e| e["params"]["value"]["type"] == "ElementConnected").unwrap();
    assert_link_event(connected, "ElementConnected", &other, &hub, "VIDEO");
    let mut expected = links(&publisher, &hub, &["AUDIO", "DATA"]);
    expected.extend(links(&other, &hub, &["VIDEO"]));
    expected.sort();
    assert_eq!(connections(&wire.invoke_ok(&hub, "getSourceConnections", json!({})).await), expected);

    // Disconnect without mediaType removes whatever is left between the two.
    wire.invoke_ok(&publisher, "disconnect", json!({"sink": hub})).await;
    let events = wire.events_until_barrier().await;
    assert_eq!(events.len(), 2, "AUDIO and DATA: {events:?}");
    assert_eq!(
        connections(&wire.invoke_ok(&hub, "getSourceConnections", json!({})).await),
        links(&other, &hub, &["VIDEO"])
    );

    // Errors: bad media type, sink not an element, sink in another pipeline.
    let error = wire.invoke_err(&publisher, "connect", json!({"sink": hub, "mediaType": "SOUND"})).await;
    assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
    let error = wire.invoke_err(&publisher, "connect", json!({"sink": pipeline})).await;
    assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
    let error = wire.invoke_err(&publisher, "connect", json!({})).await;
    assert_kurento_error(&error, 40001, "MARSHALL_ERROR");
    let elsewhere = wire.pipeline().await;
    let stranger = wire.passthrough(&elsewhere).await;
    let error = wire.invoke_err(&publisher, "connect", json!({"sink": stranger})).await;
    assert_kurento_error(&error, 40004, "CONNECT_ERROR");
    assert!(wire.events_until_barrier().await.is_empty(), "failed connects raise no events");
}

#[tokio::test]
async fn subscribe_validates_event_names_and_returns_subscription_ids() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    let passthrough = wire.passthrough(&pipeline).await;
    let session = wire.ok("ping", json!({})).await["sessionId"].clone();

    // Everything the OpenVidu master subscribes to on a WebRtcEndpoint.
    let mut ids = Vec::new();
    for event in [
        "IceCandidateFound",
        "IceGatheringDone",
        "NewCandidatePairSelected",
        "IceComponentStateChanged",
        "DataChannelOpened",
        "DataChannelClosed",
        "ConnectionStateChanged",
        "MediaStateChanged",
        "MediaFlowInStateChanged",
        "MediaFlowOutStateChanged",
        "Error",
        "MediaTranscodingStateChanged",
        "ElementConnected",
        "ElementDisconnected",
        "MediaSessionStarted",
        "MediaSessionTerminated",
        "DtlsConnectionStateChange",
    ] {
        let result = wire.ok("subscribe", json!({"object": endpoint, "type": event})).await;
        assert_eq!(result["sessionId"], session);
        let id = result["value"].as_str().unwrap_or_else(|| panic!("{event}: {result}")).to_string();
        assert!(is_uuid(&id), "subscription ids are UUIDs: {id}");
        ids.push(id);
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "every subscription has its own id");
    wire.subscribe(&pipeline, "Error").await;
    wire.subscribe(&passthrough, "MediaFlowInStateChanged").await;
    wire.subscribe(SERVER_MANAGER, "ObjectCreated").await;
    wire.subscribe(SERVER_MANAGER, "ObjectDestroyed").await;

    for (object, event) in [
        (&endpoint, "Recording"),
        (&endpoint, "NoSuchEvent"),
        (&endpoint, "ObjectCreated"),
        (&passthrough, "IceCandidateFound"),
        (&pipeline, "ElementConnected"),
        (&SERVER_MANAGER.to_string(), "IceCandidateFound"),
    ] {
        let error = wire.err("subscribe", json!({"object": object, "type": event})).await;
        assert_kurento_error(&error, 40106, "MEDIA_OBJECT_EVENT_NOT_SUPPORTED");
        assert_eq!(error["message"], format!("Event '{event}' not supported"));
    }
    let error = wire.err("subscribe", json!({"object": endpoint})).await;
    assert_eq!(error["code"], -32000, "missing type: {error}");
}

#[tokio::test]
async fn events_have_the_on_event_envelope_and_reach_only_subscribers() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let mut bystander = node.wire().await;
    bystander.pipeline().await; // has a session of its own, subscribed to nothing
    let pipeline = wire.pipeline().await;
    let source = wire.passthrough(&pipeline).await;
    let sink = wire.passthrough(&pipeline).await;
    wire.subscribe(&source, "ElementConnected").await;

    let before = now_ms();
    wire.invoke_ok(&source, "connect", json!({"sink": sink, "mediaType": "VIDEO"})).await;
    let frame = wire.wait_event_of(&source, "ElementConnected").await;
    let after = now_ms();

    let object = frame.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["jsonrpc", "method", "params"], "a notification without id: {frame}");
    assert_eq!(frame["jsonrpc"], "2.0");
    assert_eq!(frame["method"], "onEvent");
    assert_eq!(frame["params"].as_object().unwrap().len(), 1, "params holds only value: {frame}");
    let value = &frame["params"]["value"];
    assert_eq!(value["type"], "ElementConnected");
    assert_eq!(value["object"], json!(source));
    let data = &value["data"];
    assert_eq!(data["source"], json!(source));
    assert_eq!(data["type"], "ElementConnected");
    assert_eq!(data["tags"], json!([]));
    let stamp = data["timestampMillis"].as_str().unwrap_or_else(|| panic!("timestampMillis is a string: {data}"));
    let stamp: u128 = stamp.parse().unwrap_or_else(|_| panic!("timestampMillis is decimal ms: {stamp}"));
    assert!((before.saturating_sub(1000)..=after + 1000).contains(&stamp), "ms since the epoch: {stamp}");
    assert!(data.get("timestamp").is_none(), "7.x dropped the seconds timestamp: {data}");

    assert!(bystander.events_until_barrier().await.is_empty(), "events only go to subscribed sessions");
}

#[tokio::test]
async fn one_delivery_per_session_and_unsubscribe() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let mut second = node.wire().await;
    let pipeline = wire.pipeline().await;
    let source = wire.passthrough(&pipeline).await;
    let sink = wire.passthrough(&pipeline).await;
    let first_id = wire.subscribe(&source, "ElementConnected").await;
    let again_id = wire.subscribe(&source, "ElementConnected").await;
    assert_ne!(first_id, again_id);
    let second_id = second.subscribe(&source, "ElementConnected").await;

    // Subscribed twice, delivered once per session; each session gets its copy.
    wire.invoke_ok(&source, "connect", json!({"sink": sink, "mediaType": "AUDIO"})).await;
    assert_eq!(wire.events_until_barrier().await.len(), 1, "one delivery despite two subscriptions");
    assert_eq!(second.events_until_barrier().await.len(), 1);

    // Dropping one of two subscriptions keeps delivery going.
    let result = wire.ok("unsubscribe", json!({"object": source, "subscription": first_id})).await;
    assert!(result["sessionId"].is_string() && result.get("value").is_none_or(Value::is_null), "{result}");
    wire.invoke_ok(&source, "connect", json!({"sink": sink, "mediaType": "VIDEO"})).await;
    assert_eq!(wire.events_until_barrier().await.len(), 1);
    assert_eq!(second.events_until_barrier().await.len(), 1);

    // Dropping the last stops it, for this session only.
    wire.ok("unsubscribe", json!({"object": source, "subscription": again_id})).await;
    wire.invoke_ok(&source, "connect", json!({"sink": sink, "mediaType": "DATA"})).await;
    assert!(wire.events_until_barrier().await.is_empty(), "unsubscribed");
    assert_eq!(second.events_until_barrier().await.len(), 1, "the other session still subscribed");
    second.ok("unsubscribe", json!({"object": source, "subscription": second_id})).await;

    // Unknown subscriptions and objects are silently accepted; object is required.
    wire.ok("unsubscribe", json!({"object": source, "subscription": "no-such-subscription"})).await;
    wire.ok("unsubscribe", json!({"object": "no-such-object", "subscription": again_id})).await;
    let error = wire.err("unsubscribe", json!({"subscription": again_id})).await;
    assert_eq!(error["code"], -32000, "{error}");
}

#[tokio::test]
async fn object_created_and_destroyed_on_the_server_manager() {
    let node = Node::start();
    let mut watcher = node.wire().await;
    watcher.subscribe(SERVER_MANAGER, "ObjectCreated").await;
    watcher.subscribe(SERVER_MANAGER, "ObjectDestroyed").await;

    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    for id in [&pipeline, &endpoint] {
        let frame = watcher.wait_event(&format!("ObjectCreated({id})"), |v| v["data"]["object"] == json!(id)).await;
        let value = &frame["params"]["value"];
        assert_eq!(value["type"], "ObjectCreated");
        assert_eq!(value["object"], SERVER_MANAGER);
        assert_eq!(value["data"]["source"], SERVER_MANAGER);
        assert!(value["data"]["timestampMillis"].is_string());
        assert_eq!(value["data"]["tags"], json!([]));
    }
    wire.release(&endpoint).await;
    let frame = watcher.wait_event("ObjectDestroyed", |v| v["type"] == "ObjectDestroyed").await;
    assert_eq!(frame["params"]["value"]["data"]["objectId"], json!(endpoint));
    assert_eq!(frame["params"]["value"]["object"], SERVER_MANAGER);
}

#[tokio::test]
async fn releasing_a_pipeline_releases_its_elements() {
    let node = Node::start();
    let mut watcher = node.wire().await;
    watcher.subscribe(SERVER_MANAGER, "ObjectDestroyed").await;
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let survivor = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    let passthrough = wire.passthrough(&pipeline).await;
    let lone = wire.passthrough(&pipeline).await;
    wire.invoke_ok(&endpoint, "connect", json!({"sink": passthrough})).await;
    wire.subscribe(&endpoint, "ElementDisconnected").await;

    // Releasing one element leaves the pipeline and the rest.
    wire.release(&lone).await;
    let frame = watcher.wait_event("ObjectDestroyed(lone)", |v| v["data"]["objectId"] == json!(lone)).await;
    assert_eq!(frame["params"]["value"]["object"], SERVER_MANAGER);
    let mut children: Vec<Value> =
        wire.invoke_ok(&pipeline, "getChildren", json!({})).await.as_array().unwrap().clone();
    children.sort_by_key(|c| c.to_string());
    let mut expected = vec![json!(endpoint), json!(passthrough)];
    expected.sort_by_key(|c| c.to_string());
    assert_eq!(children, expected);

    let result = wire.ok("release", json!({"object": pipeline})).await;
    assert_eq!(result.as_object().unwrap().len(), 1, "release answers just the sessionId: {result}");
    for id in [&endpoint, &passthrough, &pipeline] {
        watcher.wait_event(&format!("ObjectDestroyed({id})"), |v| v["data"]["objectId"] == json!(id)).await;
        let error = wire.err("describe", json!({"object": id})).await;
        assert_kurento_error(&error, 40101, "MEDIA_OBJECT_NOT_FOUND");
    }
    assert_eq!(wire.pipelines().await, vec![survivor.clone()]);
    assert!(watcher.events_until_barrier().await.is_empty(), "exactly one ObjectDestroyed per object");

    // Release is idempotent, and an unknown id is a silent success (reference §3.8).
    wire.release(&pipeline).await;
    wire.release(&endpoint).await;
    wire.release("no-such-object").await;
    assert_eq!(wire.pipelines().await, vec![survivor]);
}

#[tokio::test]
async fn transactions_resolve_forward_references() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let session = wire.ok("connect", json!({})).await["sessionId"].as_str().unwrap().to_string();
    let result = wire
        .ok(
            "transaction",
            json!({"operations": [
                {"jsonrpc": "2.0", "id": 0, "method": "create", "params": {"type": "MediaPipeline", "constructorParams": {}}},
                {"jsonrpc": "2.0", "id": 1, "method": "create",
                 "params": {"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": "newref:0"}}},
                {"jsonrpc": "2.0", "id": 2, "method": "create",
                 "params": {"type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}}},
                {"jsonrpc": "2.0", "id": 3, "method": "invoke",
                 "params": {"object": "newref:1", "operation": "connect", "operationParams": {"sink": "newref:2"}}},
                {"jsonrpc": "2.0", "id": 4, "method": "invoke",
                 "params": {"object": "newref:2", "operation": "getSourceConnections"}},
            ]}),
        )
        .await;
    assert_eq!(result["sessionId"], session);
    let responses = result["value"].as_array().unwrap_or_else(|| panic!("value is the list of responses: {result}"));
    assert_eq!(responses.len(), 5);
    for (index, response) in responses.iter().enumerate() {
        assert_eq!(response["jsonrpc"], "2.0");
        assert_eq!(response["id"], index);
        assert_eq!(response["result"]["sessionId"], session, "inner ops run in the outer session: {response}");
    }
    let pipeline = responses[0]["result"]["value"].as_str().unwrap().to_string();
    let endpoint = responses[1]["result"]["value"].as_str().unwrap().to_string();
    let passthrough = responses[2]["result"]["value"].as_str().unwrap().to_string();
    assert_pipeline_id(&pipeline);
    assert_element_id(&endpoint, &pipeline, "WebRtcEndpoint");
    assert_element_id(&passthrough, &pipeline, "PassThrough");
    assert!(responses[3]["result"].get("value").is_none_or(Value::is_null), "connect is void");
    assert_eq!(
        connections(&responses[4]["result"]["value"]),
        links(&endpoint, &passthrough, &["AUDIO", "DATA", "VIDEO"])
    );
    assert_eq!(wire.pipelines().await, vec![pipeline]);
}

#[tokio::test]
async fn transactions_stop_at_the_first_failure() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let result = wire
        .ok(
            "transaction",
            json!({"operations": [
                {"jsonrpc": "2.0", "id": 0, "method": "create", "params": {"type": "MediaPipeline"}},
                {"jsonrpc": "2.0", "id": 1, "method": "describe", "params": {"object": "nope"}},
                {"jsonrpc": "2.0", "id": 2, "method": "create", "params": {"type": "MediaPipeline"}},
            ]}),
        )
        .await;
    let responses = result["value"].as_array().unwrap();
    assert_eq!(responses.len(), 2, "the batch stops at the failing op: {result}");
    assert!(responses[0]["result"]["value"].is_string());
    assert_eq!(responses[1]["id"], 1);
    assert_kurento_error(&responses[1]["error"], 40101, "MEDIA_OBJECT_NOT_FOUND");
    assert_eq!(wire.pipelines().await.len(), 1, "ops before the failure stay done; later ones never ran");

    // Op i must have id i; newref must name an earlier op: 40008 inside the batch.
    for operations in [
        json!([{"jsonrpc": "2.0", "id": 5, "method": "create", "params": {"type": "MediaPipeline"}}]),
        json!([{"jsonrpc": "2.0", "id": 0, "method": "describe", "params": {"object": "newref:0"}}]),
        json!([{"jsonrpc": "2.0", "id": 0, "method": "describe", "params": {"object": "newref:7"}}]),
    ] {
        let result = wire.ok("transaction", json!({"operations": operations})).await;
        let responses = result["value"].as_array().unwrap();
        assert_eq!(responses.len(), 1, "{result}");
        assert_kurento_error(&responses[0]["error"], 40008, "MALFORMED_TRANSACTION");
    }
    let error = wire.err("transaction", json!({})).await;
    assert_eq!(error["code"], -32000, "operations is required: {error}");
}

#[tokio::test]
async fn newref_outside_a_transaction_is_40109() {
    let node = Node::start();
    let mut wire = node.wire().await;
    for (method, params) in [
        ("describe", json!({"object": "newref:0"})),
        ("create", json!({"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": "newref:0"}})),
        ("invoke", json!({"object": "newref:1", "operation": "getName"})),
        ("release", json!({"object": "newref:0"})),
    ] {
        let error = wire.err(method, params).await;
        assert_kurento_error(&error, 40109, "MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT");
    }
    assert!(wire.pipelines().await.is_empty());
}
