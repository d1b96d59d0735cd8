//! Tests of the control plane: the request → reply/commands/events rules.

use super::*;

const SYSTEM: SystemSnapshot = SystemSnapshot { used_cpu_percent: 5.0, used_memory_kib: 1024, cpu_count: 2 };

fn call(plane: &mut ControlPlane, socket: SocketId, method: &str, params: Value) -> Handled {
    let params = params.as_object().cloned();
    plane.handle(socket, method, params.as_ref(), 1_000, &SYSTEM)
}

fn ok(handled: &Handled) -> &Value {
    match &handled.reply {
        Reply::Now(Ok(value)) => value,
        other => panic!("expected an immediate success, got {other:?}"),
    }
}

fn err(handled: &Handled) -> &RpcError {
    match &handled.reply {
        Reply::Now(Err(error)) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// A pipeline and an endpoint created on socket 1; returns (session, pipeline, endpoint).
fn setup(plane: &mut ControlPlane) -> (String, String, String) {
    let created = call(plane, 1, "create", json!({"type": "MediaPipeline"}));
    let session = ok(&created)["sessionId"].as_str().unwrap().to_string();
    let pipeline = ok(&created)["value"].as_str().unwrap().to_string();
    let endpoint =
        call(plane, 1, "create", json!({"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": pipeline}}));
    let endpoint = ok(&endpoint)["value"].as_str().unwrap().to_string();
    (session, pipeline, endpoint)
}

#[test]
fn ping_answers_pong_with_the_session_once_known() {
    let mut plane = ControlPlane::new("t");
    assert_eq!(ok(&call(&mut plane, 1, "ping", json!({"interval": 240000}))), &json!({"value": "pong"}));
    let (session, _, _) = setup(&mut plane);
    assert_eq!(ok(&call(&mut plane, 1, "ping", json!({}))), &json!({"value": "pong", "sessionId": session}));
}

#[test]
fn the_first_request_mints_a_session_and_binds_the_socket() {
    let mut plane = ControlPlane::new("t");
    let (session, pipeline, _) = setup(&mut plane);
    assert_eq!(session.len(), 36, "a UUID");
    let described = call(&mut plane, 1, "describe", json!({"object": pipeline}));
    assert_eq!(ok(&described)["sessionId"], session, "the bound session is injected");
    assert_eq!(ok(&described)["type"], "MediaPipeline");
}

#[test]
fn connect_resumes_known_sessions_and_refuses_unknown_ones() {
    let mut plane = ControlPlane::new("t");
    let (session, pipeline, endpoint) = setup(&mut plane);
    let subscribed = call(&mut plane, 1, "subscribe", json!({"object": endpoint, "type": "IceCandidateFound"}));
    ok(&subscribed);
    plane.socket_closed(1, 2_000);
    let resumed = call(&mut plane, 2, "connect", json!({"sessionId": session}));
    assert_eq!(ok(&resumed)["sessionId"], session);
    assert!(ok(&resumed)["serverId"].is_string());
    let event = Event::new("IceCandidateFound", &endpoint, 3_000, Map::new());
    assert_eq!(plane.route(&event), vec![2], "events follow the session to the new socket");
    let unknown = call(&mut plane, 3, "connect", json!({"sessionId": "nope"}));
    assert_eq!(err(&unknown).code, 40007);
    let fresh = call(&mut plane, 3, "connect", json!({}));
    assert_ne!(ok(&fresh)["sessionId"], json!(session));
    assert!(plane.registry().object(&pipeline).is_some());
}

#[test]
fn create_emits_object_created_and_a_media_command() {
    let mut plane = ControlPlane::new("t");
    let created = call(&mut plane, 1, "create", json!({"type": "MediaPipeline"}));
    let pipeline = ok(&created)["value"].as_str().unwrap().to_string();
    assert!(created.commands.is_empty(), "pipelines hold no media state");
    assert_eq!(created.events[0].kind, "ObjectCreated");
    assert_eq!(created.events[0].data["object"], json!(pipeline));
    let endpoint = call(
        &mut plane,
        1,
        "create",
        json!({"type": "kurento.WebRtcEndpoint", "constructorParams": {"mediaPipeline": pipeline, "recvonly": true}}),
    );
    let id = ok(&endpoint)["value"].as_str().unwrap().to_string();
    assert_eq!(
        endpoint.commands,
        vec![MediaCommand::Create { id, kind: ElementKind::WebRtc { recv_only: true, send_only: false } }]
    );
    assert_eq!(
        err(&call(
            &mut plane,
            1,
            "create",
            json!({"type": "PlayerEndpoint", "constructorParams": {"mediaPipeline": pipeline}})
        ))
        .code,
        40108
    );
}

#[test]
fn invoke_accessors_and_unknown_operations() {
    let mut plane = ControlPlane::new("t");
    let (session, pipeline, endpoint) = setup(&mut plane);
    let set = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "setMaxVideoRecvBandwidth", "operationParams": {"maxVideoRecvBandwidth": 600}}),
    );
    assert_eq!(ok(&set), &json!({"value": null, "sessionId": session}));
    assert_eq!(
        set.commands,
        vec![MediaCommand::Configure { id: endpoint.clone(), property: "maxVideoRecvBandwidth", value: json!(600) }]
    );
    let get = call(&mut plane, 1, "invoke", json!({"object": endpoint, "operation": "getMaxVideoRecvBandwidth"}));
    assert_eq!(ok(&get)["value"], 600);
    let pipeline_of = call(&mut plane, 1, "invoke", json!({"object": endpoint, "operation": "getMediaPipeline"}));
    assert_eq!(ok(&pipeline_of)["value"], json!(pipeline));
    let missing = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "setMaxVideoRecvBandwidth", "operationParams": {}}),
    );
    assert_eq!(err(&missing).code, 40001);
    let unknown = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "frobnicate", "operationParams": {"a": 1}}),
    );
    assert_eq!(
        (err(&unknown).code, err(&unknown).message.as_str()),
        (40008, "Method 'frobnicate' with 1 parameters not found")
    );
    let read_only = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "setId", "operationParams": {"id": "x"}}),
    );
    assert_eq!(err(&read_only).code, 40008);
    let gone = call(&mut plane, 1, "invoke", json!({"object": "nope", "operation": "getName"}));
    assert_eq!(err(&gone).code, 40101);
}

#[test]
fn media_operations_become_media_requests() {
    let mut plane = ControlPlane::new("t");
    let (session, _, endpoint) = setup(&mut plane);
    let offer = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "processOffer", "operationParams": {"offer": "v=0"}}),
    );
    assert_eq!(
        offer.reply,
        Reply::Media {
            session: session.clone(),
            request: MediaRequest::ProcessOffer { endpoint: endpoint.clone(), offer: "v=0".into() }
        }
    );
    let candidate = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "addIceCandidate", "operationParams": {"candidate":
        {"__module__": "kurento", "__type__": "IceCandidate", "candidate": "candidate:1 1 UDP 1 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}}}),
    );
    assert!(matches!(candidate.reply, Reply::Media { request: MediaRequest::AddIceCandidate { .. }, .. }));
    let offer_options = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "generateOffer", "operationParams": {"options": {"offerToReceiveAudio": false}}}),
    );
    assert_eq!(
        offer_options.reply,
        Reply::Media {
            session: session.clone(),
            request: MediaRequest::GenerateOffer { endpoint: endpoint.clone(), audio: false, video: true }
        }
    );
    let answer = plane.media_answered(1, &session, Ok(json!("v=0 answer")), 2_000).unwrap();
    assert_eq!(answer, json!({"value": "v=0 answer", "sessionId": session}));
    let no_offer =
        call(&mut plane, 1, "invoke", json!({"object": endpoint, "operation": "processOffer", "operationParams": {}}));
    assert_eq!(err(&no_offer).code, 40001);
}

#[test]
fn connect_links_elements_and_release_cascades_with_events() {
    let mut plane = ControlPlane::new("t");
    let (_, pipeline, endpoint) = setup(&mut plane);
    let passthrough =
        call(&mut plane, 1, "create", json!({"type": "PassThrough", "constructorParams": {"mediaPipeline": pipeline}}));
    let passthrough = ok(&passthrough)["value"].as_str().unwrap().to_string();
    let connected = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "connect", "operationParams": {"sink": passthrough}}),
    );
    ok(&connected);
    assert_eq!(connected.commands.len(), 3, "audio, video and data links");
    assert!(connected.events.iter().all(|e| e.kind == "ElementConnected" && e.object == endpoint));
    let muted = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "disconnect", "operationParams": {"sink": passthrough, "mediaType": "AUDIO"}}),
    );
    assert_eq!(
        muted.commands,
        vec![MediaCommand::Link(LinkChange::Disconnected {
            source: endpoint.clone(),
            sink: passthrough.clone(),
            media: MediaType::Audio
        })]
    );
    let sinks = call(&mut plane, 1, "invoke", json!({"object": endpoint, "operation": "getSinkConnections"}));
    assert_eq!(ok(&sinks)["value"].as_array().unwrap().len(), 2);
    let bad_type = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "connect", "operationParams": {"sink": passthrough, "mediaType": "SOUND"}}),
    );
    assert_eq!(err(&bad_type).code, 40001);

    let released = call(&mut plane, 1, "release", json!({"object": pipeline}));
    ok(&released);
    let destroyed: Vec<_> =
        released.events.iter().filter(|e| e.kind == "ObjectDestroyed").map(|e| e.data["objectId"].clone()).collect();
    assert_eq!(destroyed.len(), 3);
    assert!(released.commands.contains(&MediaCommand::Release { id: endpoint.clone() }));
    assert!(released.commands.contains(&MediaCommand::Release { id: passthrough.clone() }));
    assert!(ok(&call(&mut plane, 1, "release", json!({"object": pipeline}))).is_object(), "idempotent");
}

#[test]
fn subscriptions_route_events_and_undeclared_events_are_refused() {
    let mut plane = ControlPlane::new("t");
    let (_, _, endpoint) = setup(&mut plane);
    let refused = call(&mut plane, 1, "subscribe", json!({"object": endpoint, "type": "Recording"}));
    assert_eq!(err(&refused).code, 40106);
    let sub = call(&mut plane, 1, "subscribe", json!({"object": endpoint, "type": "MediaFlowInStateChanged"}));
    let subscription = ok(&sub)["value"].as_str().unwrap().to_string();
    let event = Event::new("MediaFlowInStateChanged", &endpoint, 1, Map::new());
    assert_eq!(plane.route(&event), vec![1]);
    ok(&call(&mut plane, 1, "unsubscribe", json!({"object": endpoint, "subscription": subscription})));
    assert!(plane.route(&event).is_empty());
}

#[test]
fn sessions_that_stay_away_lose_their_objects() {
    let mut plane = ControlPlane::new("t");
    let (_, pipeline, endpoint) = setup(&mut plane);
    plane.socket_closed(1, 10_000);
    assert!(plane.collect_garbage(100_000, 240_000).commands.is_empty());
    let collected = plane.collect_garbage(300_000, 240_000);
    assert!(collected.commands.contains(&MediaCommand::Release { id: endpoint }));
    assert!(plane.registry().object(&pipeline).is_none());
}

#[test]
fn server_manager_answers_through_invoke() {
    let mut plane = ControlPlane::new("t");
    let info = call(&mut plane, 1, "invoke", json!({"object": "manager_ServerManager", "operation": "getInfo"}));
    assert_eq!(ok(&info)["value"]["__type__"], "ServerInfo");
    let memory =
        call(&mut plane, 1, "invoke", json!({"object": "manager_ServerManager", "operation": "getUsedMemory"}));
    assert_eq!(ok(&memory)["value"], 1024);
    assert_eq!(
        ok(&call(&mut plane, 1, "describe", json!({"object": "manager_ServerManager"})))["type"],
        "ServerManager"
    );
}

#[test]
fn methods_needing_a_session_refuse_on_a_fresh_socket() {
    let mut plane = ControlPlane::new("t");
    assert_eq!(err(&call(&mut plane, 9, "keepAlive", json!({}))).message, "'sessionId' parameter is required");
    assert_eq!(err(&call(&mut plane, 9, "frobnicate", json!({}))).code, -32601);
}

#[test]
fn tags_round_trip() {
    let mut plane = ControlPlane::new("t");
    let (_, _, endpoint) = setup(&mut plane);
    ok(&call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "addTag", "operationParams": {"key": "k", "value": "v"}}),
    ));
    assert_eq!(
        ok(&call(
            &mut plane,
            1,
            "invoke",
            json!({"object": endpoint, "operation": "getTag", "operationParams": {"key": "k"}})
        ))["value"],
        "v"
    );
    assert_eq!(
        ok(&call(&mut plane, 1, "invoke", json!({"object": endpoint, "operation": "getTags"})))["value"][0]["__type__"],
        "Tag"
    );
    assert_eq!(
        err(&call(
            &mut plane,
            1,
            "invoke",
            json!({"object": endpoint, "operation": "getTag", "operationParams": {"key": "x"}})
        ))
        .code,
        40110
    );
}

#[test]
fn transactions_run_step_by_step_through_handle() {
    let mut plane = ControlPlane::new("t");
    let handled = call(
        &mut plane,
        1,
        "transaction",
        json!({"operations": [
            {"jsonrpc": "2.0", "id": 0, "method": "create", "params": {"type": "MediaPipeline"}},
            {"jsonrpc": "2.0", "id": 1, "method": "create", "params": {"type": "PassThrough", "constructorParams": {"mediaPipeline": "newref:0"}}},
        ]}),
    );
    let Reply::Transaction(mut run) = handled.reply else { panic!("expected a transaction") };
    while let Some(step) = run.next_step() {
        let inner = plane.handle(1, &step.method, Some(&step.params), 1_000, &SYSTEM);
        let Reply::Now(outcome) = inner.reply else { panic!("no media step here") };
        run.record(step.id, outcome);
    }
    let result = run.finish();
    let pipeline = result["value"][0]["result"]["value"].as_str().unwrap();
    let passthrough = result["value"][1]["result"]["value"].as_str().unwrap();
    assert!(passthrough.starts_with(pipeline));
    let stray = call(&mut plane, 1, "describe", json!({"object": "newref:0"}));
    assert_eq!(err(&stray).code, 40109);
}

#[test]
fn a_recorder_is_created_through_the_media_layer_and_undone_when_it_refuses() {
    let mut plane = ControlPlane::new("t");
    let (session, pipeline, endpoint) = setup(&mut plane);
    let params = json!({"type": "RecorderEndpoint",
                        "constructorParams": {"mediaPipeline": pipeline, "uri": "file:///rec/a.mp4", "mediaProfile": "MP4"}});
    let created = call(&mut plane, 1, "create", params.clone());
    let Reply::Media { request: MediaRequest::CreateRecorder { id, params: recorder }, .. } = &created.reply else {
        panic!("the media layer creates recorders: {:?}", created.reply)
    };
    assert_eq!(recorder.path, std::path::PathBuf::from("/rec/a.mp4"));
    let answer = plane.media_answered(1, &session, Ok(json!(id)), 1_000).unwrap();
    assert_eq!(answer["value"], json!(id));
    let uri = call(&mut plane, 1, "invoke", json!({"object": id, "operation": "getUri"}));
    assert_eq!(ok(&uri)["value"], "file:///rec/a.mp4");
    let state = call(&mut plane, 1, "invoke", json!({"object": id, "operation": "getState"}));
    assert!(matches!(
        state.reply,
        Reply::Media { request: MediaRequest::Recorder { op: RecorderOp::GetState, .. }, .. }
    ));
    let record = call(&mut plane, 1, "invoke", json!({"object": id, "operation": "stopAndWait"}));
    assert!(matches!(
        record.reply,
        Reply::Media { request: MediaRequest::Recorder { op: RecorderOp::StopAndWait, .. }, .. }
    ));
    let connect = call(
        &mut plane,
        1,
        "invoke",
        json!({"object": endpoint, "operation": "connect", "operationParams": {"sink": id}}),
    );
    ok(&connect);

    // A refused creation (outside the recording root, say) leaves nothing behind.
    let refused = call(&mut plane, 1, "create", params);
    let Reply::Media { request: MediaRequest::CreateRecorder { id: second, .. }, .. } = &refused.reply else {
        panic!("{:?}", refused.reply)
    };
    let error = RpcError::new(ErrorCode::MediaObjectEventNotSupported, "URI_ERROR: outside");
    assert_eq!(plane.media_answered(1, &session, Err(error), 1_000).unwrap_err().code, 40106);
    assert!(plane.registry().object(second).is_none());
    assert!(plane.registry().object(id).is_some());

    let bad = call(
        &mut plane,
        1,
        "create",
        json!({"type": "RecorderEndpoint",
                                                    "constructorParams": {"mediaPipeline": pipeline, "uri": "s3://b/a.mp4"}}),
    );
    assert_eq!(err(&bad).code, 40106);
    let released = call(&mut plane, 1, "release", json!({"object": pipeline}));
    assert!(
        released.commands.contains(&MediaCommand::Release { id: id.clone() }),
        "the recorder is finished on release"
    );
}

#[test]
fn composites_and_hub_ports_become_media_commands() {
    let mut plane = ControlPlane::new("t");
    let (_, pipeline, _) = setup(&mut plane);
    let composite = call(
        &mut plane,
        1,
        "create",
        json!({"type": "Composite",
        "constructorParams": {"mediaPipeline": pipeline, "layout": "VERTICAL_PRESENTATION", "width": 640, "height": 360}}),
    );
    let id = ok(&composite)["value"].as_str().unwrap().to_string();
    let Some(MediaCommand::Create { kind: ElementKind::Composite(params), .. }) = composite.commands.first() else {
        panic!("{:?}", composite.commands)
    };
    assert_eq!((params.width, params.frame_rate), (640, 25));
    let port = call(&mut plane, 1, "create", json!({"type": "HubPort", "constructorParams": {"hub": id}}));
    assert!(matches!(port.commands.first(), Some(MediaCommand::Create { kind: ElementKind::HubPort, .. })));
    let bad = call(
        &mut plane,
        1,
        "create",
        json!({"type": "Composite", "constructorParams": {"mediaPipeline": pipeline, "layout": "X"}}),
    );
    assert_eq!(err(&bad).code, 40001);
}
