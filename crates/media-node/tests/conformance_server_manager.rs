//! Conformance over the wire: the `manager_ServerManager` singleton
//! (reference §6; checklist §11 item 10).

mod common;

use common::{Node, SERVER_MANAGER, assert_kurento_error};
use serde_json::{Value, json};

#[tokio::test]
async fn get_info_describes_a_kurento_7_server_with_the_three_modules() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let result = wire.ok("invoke", json!({"object": SERVER_MANAGER, "operation": "getInfo"})).await;
    assert!(result["sessionId"].is_string(), "a fresh socket got a session: {result}");
    let info = &result["value"];
    assert_eq!(info["__module__"], "kurento", "{info}");
    assert_eq!(info["__type__"], "ServerInfo", "{info}");
    assert_eq!(info["type"], "KMS");
    let version = info["version"].as_str().unwrap_or_else(|| panic!("version is a string: {info}"));
    assert!(
        version.starts_with("7.") || version.starts_with("openvidu/mediasoup-controller"),
        "a deliberate version (Kurento 7 or OpenVidu's mediasoup mode): {version}"
    );
    assert!(info["capabilities"].as_array().unwrap().contains(&json!("transactions")), "{info}");

    let modules = info["modules"].as_array().unwrap_or_else(|| panic!("modules is a list: {info}"));
    let module = |name: &str| {
        modules
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("module {name} is listed (kurento-client-js strict mode needs it): {info}"))
    };
    for name in ["core", "elements", "filters"] {
        let module = module(name);
        assert_eq!(module["__module__"], "kurento");
        assert_eq!(module["__type__"], "ModuleInfo");
        assert!(module["version"].as_str().is_some_and(|v| !v.is_empty()), "{module}");
        assert!(module["generationTime"].is_string(), "{module}");
        assert!(module["factories"].is_array(), "{module}");
    }
    let factories = |name: &str| module(name)["factories"].as_array().unwrap().clone();
    for class in ["MediaPipeline", "PassThrough"] {
        assert!(factories("core").contains(&json!(class)), "core lists {class}");
    }
    assert!(factories("elements").contains(&json!("WebRtcEndpoint")));
    for factory in modules.iter().flat_map(|m| m["factories"].as_array().unwrap()) {
        let factory = factory.as_str().unwrap();
        assert!(!factory.contains('.'), "factories are bare class names: {factory}");
    }
}

#[tokio::test]
async fn load_figures() {
    let node = Node::start();
    let mut wire = node.wire().await;

    let cpu = wire.invoke_ok(SERVER_MANAGER, "getUsedCpu", json!({})).await;
    let cpu = cpu.as_f64().unwrap_or_else(|| panic!("getUsedCpu is a number: {cpu}"));
    assert!((0.0..=100.0).contains(&cpu), "a percentage: {cpu}");
    let cpu = wire.invoke_ok(SERVER_MANAGER, "getUsedCpu", json!({"interval": 100})).await;
    assert!(cpu.as_f64().is_some_and(|c| (0.0..=100.0).contains(&c)), "with an interval: {cpu}");

    let count = wire.invoke_ok(SERVER_MANAGER, "getCpuCount", json!({})).await;
    let expected = std::thread::available_parallelism().unwrap().get() as i64;
    assert_eq!(count, json!(expected), "usable logical cores");

    // getUsedMemory is the node's memory in KiB: compare with the process's VmRSS.
    let used = wire.invoke_ok(SERVER_MANAGER, "getUsedMemory", json!({})).await;
    let used = used.as_i64().unwrap_or_else(|| panic!("getUsedMemory is an integer: {used}"));
    let pid = i32::try_from(node.pid()).expect("a pid");
    let status = procfs::process::Process::new(pid).and_then(|p| p.status()).expect("the node's /proc status");
    let rss_kib = i64::try_from(status.vmrss.expect("VmRSS in kB")).expect("VmRSS fits");
    assert!(
        used > rss_kib / 4 && used < rss_kib * 4,
        "getUsedMemory {used} should be in KiB like the node's VmRSS ({rss_kib} kB)"
    );
}

#[tokio::test]
async fn pipelines_and_sessions_span_every_client() {
    let node = Node::start();
    let mut first = node.wire().await;
    let mut second = node.wire().await;
    assert_eq!(first.invoke_ok(SERVER_MANAGER, "getPipelines", json!({})).await, json!([]));
    let a = first.pipeline().await;
    let b = second.pipeline().await;
    first.passthrough(&a).await;
    let mut pipelines = first.pipelines().await;
    pipelines.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(pipelines, expected, "only pipelines, from every session");

    let sessions = first.invoke_ok(SERVER_MANAGER, "getSessions", json!({})).await;
    let sessions: Vec<&str> = sessions.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for wire in [&mut first, &mut second] {
        let session = wire.ok("ping", json!({})).await["sessionId"].as_str().unwrap().to_string();
        assert!(sessions.contains(&session.as_str()), "{session} in {sessions:?}");
    }

    second.release(&b).await;
    assert_eq!(first.pipelines().await, vec![a]);
}

#[tokio::test]
async fn metadata_kmd_and_inherited_getters() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let metadata = wire.invoke_ok(SERVER_MANAGER, "getMetadata", json!({})).await;
    assert!(metadata.is_string(), "getMetadata is a string: {metadata}");
    let error = wire.invoke_err(SERVER_MANAGER, "getKmd", json!({"moduleName": "nope"})).await;
    assert_kurento_error(&error, 40500, "SERVER_MANAGER_ERROR_KMD_NOT_FOUND");
    let error = wire.invoke_err(SERVER_MANAGER, "frobnicate", json!({})).await;
    assert_kurento_error(&error, 40008, "MALFORMED_TRANSACTION");

    // "Inherited MediaObject getters also work (getName, getId, ...)" (reference §6).
    assert_eq!(wire.invoke_ok(SERVER_MANAGER, "getId", json!({})).await, SERVER_MANAGER);
    assert!(wire.invoke_ok(SERVER_MANAGER, "getName", json!({})).await.is_string());
}

#[tokio::test]
async fn server_manager_events_and_describe() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let described = wire.ok("describe", json!({"object": SERVER_MANAGER})).await;
    assert_eq!(described["type"], "ServerManager");
    assert_eq!(described["qualifiedType"], "kurento.ServerManager");
    assert_eq!(described["hierarchy"], json!(["kurento.MediaObject"]));
    for event in ["ObjectCreated", "ObjectDestroyed", "Error"] {
        let id = wire.subscribe(SERVER_MANAGER, event).await;
        assert!(common::is_uuid(&id));
    }
    let error = wire.err("subscribe", json!({"object": SERVER_MANAGER, "type": "Bogus"})).await;
    assert_kurento_error(&error, 40106, "MEDIA_OBJECT_EVENT_NOT_SUPPORTED");

    let pipeline = wire.pipeline().await;
    let created = wire.wait_event_of(SERVER_MANAGER, "ObjectCreated").await;
    assert_eq!(created["params"]["value"]["data"]["object"], json!(pipeline));
    wire.release(&pipeline).await;
    let destroyed = wire.wait_event_of(SERVER_MANAGER, "ObjectDestroyed").await;
    assert_eq!(destroyed["params"]["value"]["data"]["objectId"], json!(pipeline));
    let remaining: Vec<Value> = wire.events_until_barrier().await;
    assert!(remaining.is_empty(), "one event each: {remaining:?}");
}
