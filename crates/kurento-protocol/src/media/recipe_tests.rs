//! The recipe's calls, their order and its failures, against a scripted node.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::fake_node::{FakeNode, Request, obliging};
use super::*;
use crate::error::{ErrorCode, RpcError};

const BANDWIDTH: VideoBandwidth = VideoBandwidth { max_kbps: 1000, min_kbps: 300 };

fn subscriptions() -> Vec<String> {
    subscribed_events().map(|event| format!("subscribe {event}")).collect()
}

/// The calls of a recipe that went through, after the PassThrough's create.
fn expected(setters: [&str; 2], tail: [&str; 3]) -> Vec<String> {
    let mut calls = vec!["create WebRtcEndpoint".to_string()];
    calls.extend(setters.iter().map(|s| format!("invoke {s}")));
    calls.extend(subscriptions());
    calls.extend(tail.iter().map(|s| s.to_string()));
    calls
}

async fn set_up(node: &FakeNode) -> (MediaPipeline, PassThrough) {
    let client = node.client().await;
    let pipeline = MediaPipeline::create(&client).await.unwrap();
    let passthrough = pipeline.create_passthrough().await.unwrap();
    (pipeline, passthrough)
}

/// The calls made after the first `before`.
fn calls_of(node: &FakeNode, before: usize) -> Vec<String> {
    node.summaries().split_off(before)
}

#[tokio::test]
async fn a_publisher_follows_openvidus_order_and_learns_its_id_first() {
    let node = FakeNode::start(0, obliging).await;
    let (pipeline, passthrough) = set_up(&node).await;
    let before = node.summaries().len();
    let seen = Arc::new(Mutex::new(None));
    let hook = seen.clone();
    let requests_at_hook = Arc::new(Mutex::new(0));
    let count = requests_at_hook.clone();
    let node_ref = &node;
    let negotiated = EndpointRecipe::publisher(&passthrough, "offer-sdp", BANDWIDTH)
        .run(&pipeline, |endpoint| {
            *hook.lock().unwrap() = Some(endpoint.id().to_string());
            *count.lock().unwrap() = node_ref.requests().len();
        })
        .await
        .unwrap();
    assert_eq!(negotiated.answer, "answer-sdp");
    assert_eq!(seen.lock().unwrap().as_deref(), Some(negotiated.endpoint.id()));
    assert_eq!(*requests_at_hook.lock().unwrap(), before + 1, "the hook runs right after create");
    assert_eq!(
        calls_of(&node, before),
        expected(
            ["setMaxVideoRecvBandwidth", "setMinVideoRecvBandwidth"],
            ["invoke processOffer", "invoke connect", "invoke gatherCandidates"]
        )
    );
    let requests = node.requests();
    let of = |summary: &str| requests.iter().find(|r| r.summary() == summary).unwrap().params.clone();
    assert_eq!(of("invoke setMaxVideoRecvBandwidth")["operationParams"], json!({"maxVideoRecvBandwidth": 1000}));
    assert_eq!(of("invoke setMinVideoRecvBandwidth")["operationParams"], json!({"minVideoRecvBandwidth": 300}));
    assert_eq!(of("invoke processOffer")["operationParams"], json!({"offer": "offer-sdp"}));
    let connect = of("invoke connect");
    assert_eq!(connect["object"], json!(negotiated.endpoint.id()));
    assert_eq!(connect["operationParams"], json!({"sink": passthrough.id()}));
    assert_eq!(of("create WebRtcEndpoint")["constructorParams"], json!({"mediaPipeline": pipeline.id()}));
}

#[tokio::test]
async fn a_subscriber_gathers_then_is_fed_from_the_passthrough() {
    let node = FakeNode::start(0, obliging).await;
    let (pipeline, passthrough) = set_up(&node).await;
    let before = node.summaries().len();
    let negotiated =
        EndpointRecipe::subscriber(&passthrough, "offer-sdp", BANDWIDTH).run(&pipeline, |_| {}).await.unwrap();
    assert_eq!(
        calls_of(&node, before),
        expected(
            ["setMaxVideoSendBandwidth", "setMinVideoSendBandwidth"],
            ["invoke processOffer", "invoke gatherCandidates", "invoke connect"]
        )
    );
    let connect = node.requests().into_iter().find(|r| r.summary() == "invoke connect").unwrap();
    assert_eq!(connect.params["object"], json!(passthrough.id()));
    assert_eq!(connect.params["operationParams"], json!({"sink": negotiated.endpoint.id()}));
}

#[tokio::test]
async fn setters_and_subscriptions_take_one_round_trip() {
    // The node answers no subscription before all of them arrived: a recipe that
    // waited for each answer before sending the next would time out.
    let node = FakeNode::start(subscribed_events().count(), obliging).await;
    let (pipeline, passthrough) = set_up(&node).await;
    let negotiated = EndpointRecipe::publisher(&passthrough, "o", BANDWIDTH).run(&pipeline, |_| {}).await;
    assert!(negotiated.is_ok(), "{negotiated:?}");
}

fn failing_at(operation: &'static str) -> impl Fn(&Request) -> Result<Value, RpcError> + Send + Sync + 'static {
    move |request| {
        let is = |key: &str| request.params.get(key).and_then(Value::as_str) == Some(operation);
        if is("operation") || (request.method == "subscribe" && is("type")) {
            return Err(RpcError::new(ErrorCode::SdpEndPointProcessOfferError, "refused"));
        }
        obliging(request)
    }
}

#[tokio::test]
async fn a_failed_step_releases_the_endpoint_and_is_named() {
    for (operation, step) in [
        ("processOffer", Step::ProcessOffer),
        ("MediaTranscodingStateChanged", Step::Subscribe),
        ("setMinVideoRecvBandwidth", Step::SetMinVideoRecvBandwidth),
        ("connect", Step::Connect),
        ("gatherCandidates", Step::GatherCandidates),
    ] {
        let node = FakeNode::start(0, failing_at(operation)).await;
        let (pipeline, passthrough) = set_up(&node).await;
        let created = Arc::new(Mutex::new(String::new()));
        let hook = created.clone();
        let error = EndpointRecipe::publisher(&passthrough, "o", BANDWIDTH)
            .run(&pipeline, |endpoint| *hook.lock().unwrap() = endpoint.id().to_string())
            .await
            .unwrap_err();
        assert_eq!(error.step, step, "{operation}");
        assert_eq!(error.rpc_code(), Some(40205));
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("media node: {step} failed: ")) && message.contains("refused"),
            "{message}"
        );
        let last = node.requests().pop().unwrap();
        assert_eq!(last.method, "release", "{operation}");
        assert_eq!(last.params["object"], json!(*created.lock().unwrap()));
        if matches!(step, Step::Subscribe | Step::SetMinVideoRecvBandwidth) {
            assert!(!node.summaries().contains(&"invoke processOffer".to_string()), "no offer after {operation}");
        }
    }
}

#[tokio::test]
async fn a_failed_create_calls_no_hook_and_releases_nothing() {
    let node = FakeNode::start(0, |request: &Request| match request.params.get("type").and_then(Value::as_str) {
        Some("WebRtcEndpoint") => Err(RpcError::new(ErrorCode::NotEnoughResources, "full")),
        _ => obliging(request),
    })
    .await;
    let (pipeline, passthrough) = set_up(&node).await;
    let error = EndpointRecipe::subscriber(&passthrough, "o", BANDWIDTH)
        .run(&pipeline, |_| panic!("no endpoint was created"))
        .await
        .unwrap_err();
    assert_eq!(error.step, Step::CreateWebRtcEndpoint);
    assert_eq!(node.summaries().last().map(String::as_str), Some("create WebRtcEndpoint"));
}

#[tokio::test]
async fn an_answer_that_is_not_sdp_is_an_error_of_process_offer() {
    let node = FakeNode::start(0, |request: &Request| {
        if request.params.get("operation").and_then(Value::as_str) == Some("processOffer") {
            return Ok(json!(42));
        }
        obliging(request)
    })
    .await;
    let (pipeline, passthrough) = set_up(&node).await;
    let error = EndpointRecipe::publisher(&passthrough, "o", BANDWIDTH).run(&pipeline, |_| {}).await.unwrap_err();
    assert_eq!(error.step, Step::ProcessOffer);
    assert_eq!(node.requests().pop().unwrap().method, "release");
}
