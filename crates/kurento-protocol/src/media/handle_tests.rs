//! The handles' requests and typed answers, against a scripted node.

use std::time::Duration;

use serde_json::{Value, json};

use super::fake_node::{FakeNode, Request};
use super::*;
use crate::client::ClientError;
use crate::error::RpcError;

fn operation(request: &Request) -> &str {
    request.params.get("operation").and_then(Value::as_str).unwrap_or_default()
}

fn server_manager_script(request: &Request) -> Result<Value, RpcError> {
    Ok(match operation(request) {
        "getInfo" => json!({"__module__": "kurento", "__type__": "ServerInfo", "version": "7.3.0", "type": "KMS",
                            "capabilities": ["transactions"], "modules": []}),
        "getUsedCpu" => json!(12.5),
        "getUsedMemory" => json!(20480),
        "getPipelines" => json!(["a_kurento.MediaPipeline", "b_kurento.MediaPipeline"]),
        "getChildren" => json!(["a_kurento.MediaPipeline/c_kurento.WebRtcEndpoint"]),
        _ => Value::Null,
    })
}

#[tokio::test]
async fn server_manager_calls_are_typed() {
    let node = FakeNode::start(0, server_manager_script).await;
    let client = node.client().await;
    let manager = ServerManager::new(&client);
    let info = manager.info().await.unwrap();
    assert_eq!(
        (info.version.as_str(), info.capabilities.as_slice()),
        ("7.3.0", ["transactions".to_string()].as_slice())
    );
    assert_eq!(manager.used_cpu(Duration::from_millis(500)).await.unwrap(), 12.5);
    assert_eq!(manager.used_memory_kib().await.unwrap(), 20480);
    let pipelines = manager.pipelines().await.unwrap();
    let ids: Vec<&str> = pipelines.iter().map(MediaPipeline::id).collect();
    assert_eq!(ids, ["a_kurento.MediaPipeline", "b_kurento.MediaPipeline"]);
    assert_eq!(pipelines[0].children().await.unwrap(), ["a_kurento.MediaPipeline/c_kurento.WebRtcEndpoint"]);

    let requests = node.requests();
    assert!(requests.iter().take(4).all(|r| r.params["object"] == "manager_ServerManager"));
    assert_eq!(requests[1].params["operationParams"], json!({"interval": 500}));
    assert_eq!(requests[4].params["object"], "a_kurento.MediaPipeline");
}

#[tokio::test]
async fn answers_of_the_wrong_shape_name_their_step() {
    let node = FakeNode::start(0, |_: &Request| Ok(json!("?"))).await;
    let client = node.client().await;
    let manager = ServerManager::new(&client);
    for (error, step) in [
        (manager.info().await.unwrap_err(), Step::GetInfo),
        (manager.used_cpu(Duration::ZERO).await.unwrap_err(), Step::GetUsedCpu),
        (manager.used_memory_kib().await.unwrap_err(), Step::GetUsedMemory),
        (manager.pipelines().await.unwrap_err(), Step::GetPipelines),
    ] {
        assert_eq!(error.step, step);
        assert!(matches!(error.source, ClientError::UnexpectedAnswer { .. }), "{error}");
    }
}

#[tokio::test]
async fn endpoint_operations_send_kurentos_shapes() {
    let node = FakeNode::start(0, |_: &Request| Ok(Value::Null)).await;
    let client = node.client().await;
    let endpoint = WebRtcEndpoint::from_id(&client, "p/e_kurento.WebRtcEndpoint");
    let passthrough = PassThrough::from_id(&client, "p/t_kurento.PassThrough");
    let candidate = IceCandidate {
        candidate: "candidate:1 1 UDP 1 192.0.2.1 9 typ host".into(),
        sdp_mid: "0".into(),
        sdp_m_line_index: 0,
    };
    endpoint.add_ice_candidate(&candidate).await.unwrap();
    endpoint.set_max_video_send_bandwidth(0).await.unwrap();
    passthrough.connect(&endpoint).await.unwrap();
    endpoint.release().await.unwrap();
    let requests = node.requests();
    assert_eq!(requests[0].params["operationParams"]["candidate"], candidate.to_wire());
    assert_eq!(requests[1].params["operationParams"], json!({"maxVideoSendBandwidth": 0}));
    assert_eq!(requests[2].params["object"], "p/t_kurento.PassThrough");
    assert_eq!(requests[2].params["operationParams"], json!({"sink": "p/e_kurento.WebRtcEndpoint"}));
    assert_eq!((requests[3].method.as_str(), &requests[3].params["object"]), ("release", &json!(endpoint.id())));
    // A subscription id that is not a string is the client's UnexpectedAnswer, tagged with the step.
    let error = endpoint.subscribe("Error").await.unwrap_err();
    assert_eq!(error.step, Step::Subscribe);
}

fn recording_script(request: &Request) -> Result<Value, RpcError> {
    Ok(match (request.method.as_str(), operation(request)) {
        ("create", _) => {
            let kind = request.params.get("type").and_then(Value::as_str).unwrap_or_default();
            json!(format!("p/x_kurento.{kind}"))
        }
        (_, "getStats") => json!({"framesWritten": 10, "bytes": 2048, "durationMs": 400, "startedAtMs": 7}),
        _ => Value::Null,
    })
}

#[tokio::test]
async fn recorder_and_composite_send_the_contracts_shapes() {
    let node = FakeNode::start(0, recording_script).await;
    let client = node.client().await;
    let pipeline = MediaPipeline::from_id(&client, "p_kurento.MediaPipeline");
    let passthrough = PassThrough::from_id(&client, "p/t_kurento.PassThrough");
    let recorder = RecorderEndpoint::create(&pipeline, "file:///r/a.webm", MediaProfile::WebmAudioOnly).await.unwrap();
    let options = CompositeOptions { layout: "PICTURE_IN_PICTURE".into(), ..CompositeOptions::default() };
    let composite = Composite::create(&pipeline, &options).await.unwrap();
    let port = composite.create_port().await.unwrap();
    passthrough.connect(&port).await.unwrap();
    port.connect(&recorder).await.unwrap();
    recorder.record().await.unwrap();
    let stats = recorder.stats().await.unwrap();
    recorder.stop_and_wait().await.unwrap();
    assert_eq!((stats.bytes, stats.duration_ms, stats.frames_dropped), (2048, 400, 0));

    let requests = node.requests();
    let summaries: Vec<String> = requests.iter().map(Request::summary).collect();
    assert_eq!(
        summaries,
        [
            "create RecorderEndpoint",
            "create Composite",
            "create HubPort",
            "invoke connect",
            "invoke connect",
            "invoke record",
            "invoke getStats",
            "invoke stopAndWait"
        ]
    );
    let recorder_params = &requests[0].params["constructorParams"];
    assert_eq!(recorder_params["uri"], "file:///r/a.webm");
    assert_eq!(recorder_params["mediaProfile"], "WEBM_AUDIO_ONLY");
    assert_eq!(recorder_params["mediaPipeline"], "p_kurento.MediaPipeline");
    assert_eq!(requests[1].params["constructorParams"]["layout"], "PICTURE_IN_PICTURE");
    assert_eq!(requests[2].params["constructorParams"]["hub"], composite.id());
    assert_eq!(requests[3].params["operationParams"], json!({"sink": port.id()}));
    assert_eq!(MediaProfile::webm_for(true, true), MediaProfile::Webm);
    assert_eq!(MediaProfile::webm_for(false, true).as_str(), "WEBM_VIDEO_ONLY");
}
