//! Webhooks over real HTTP on loopback: a master with `OPENVIDU_WEBHOOK=true`
//! and a real axum receiver in the test that records every request.
//!
//! Every wait polls for its condition with a deadline; nothing sleeps in place
//! of waiting.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{SECRET, TestServer, keys, sorted, start};
use hmac::{Hmac, KeyInit, Mac};
use plenum::webhooks::WebhookCounters;
use serde_json::{Value, json};
use tokio::sync::watch;

/// Generous: the conditions hold within milliseconds on an idle machine.
const DEADLINE: Duration = Duration::from_secs(20);

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Answer {
    Status(u16),
    /// Holds every request until the answer changes.
    Hang,
}

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    raw: Bytes,
    body: Value,
}

impl Received {
    fn event(&self) -> &str {
        self.body["event"].as_str().unwrap_or_default()
    }
}

/// What the receiver's handler shares with the test: the requests so far, and how to answer.
type ReceiverState = (Arc<Mutex<Vec<Received>>>, Arc<watch::Sender<Answer>>);

#[derive(Clone)]
struct Receiver {
    url: String,
    requests: Arc<Mutex<Vec<Received>>>,
    answer: Arc<watch::Sender<Answer>>,
}

impl Receiver {
    async fn start(answer: Answer) -> Receiver {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(watch::channel(answer).0);
        let state = (requests.clone(), answer.clone());
        let app = Router::new().fallback(
            |State((requests, answer)): State<ReceiverState>, headers: HeaderMap, raw: Bytes| async move {
                let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
                requests.lock().unwrap().push(Received { headers, raw, body });
                let mut watching = answer.subscribe();
                let Ok(now) = watching.wait_for(|a| *a != Answer::Hang).await.map(|a| *a) else {
                    return StatusCode::SERVICE_UNAVAILABLE;
                };
                match now {
                    Answer::Status(code) => StatusCode::from_u16(code).unwrap(),
                    Answer::Hang => unreachable!("waited for another answer"),
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app.with_state(state)).await });
        Receiver { url: format!("http://{addr}/webhook"), requests, answer }
    }

    fn received(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    fn answer(&self, answer: Answer) {
        self.answer.send_replace(answer);
    }

    /// Waits until `n` requests arrived; returns them all.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let now = self.received();
            if now.len() >= n {
                return now;
            }
            let names: Vec<String> = now.iter().map(|r| r.event().to_string()).collect();
            assert!(Instant::now() < deadline, "only {} of {n} webhook requests arrived: {names:?}", now.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A loopback port where nothing listens.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/webhook")
}

/// A master that sends webhooks to `endpoint`, without the embedded media node (its status events) unless asked.
async fn master(endpoint: &str, extra: &[(&str, &str)]) -> TestServer {
    let mut settings = vec![
        ("OPENVIDU_WEBHOOK", "true"),
        ("OPENVIDU_WEBHOOK_ENDPOINT", endpoint),
        ("PLENUM_EMBEDDED_MEDIA_NODE", "false"),
    ];
    settings.extend_from_slice(extra);
    start(&settings).await
}

fn counters(server: &TestServer) -> WebhookCounters {
    server.server.as_ref().unwrap().current_state().webhook_stats().expect("webhooks are on")
}

/// Waits until the counters satisfy `done`.
async fn wait_for_counters(server: &TestServer, done: impl Fn(&WebhookCounters) -> bool) -> WebhookCounters {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = counters(server);
        if done(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "webhook counters never got there: {now:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn create_and_delete(server: &TestServer, id: &str) {
    server.session(id).await;
    let reply = server.call("DELETE", &format!("/openvidu/api/sessions/{id}"), None).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
}

#[tokio::test]
async fn rest_events_arrive_with_their_fields_the_configured_headers_and_the_content_type() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let headers = r#"["Authorization: Basic dGVzdDp0ZXN0", "X-Custom: one two"]"#;
    let server = master(&receiver.url, &[("OPENVIDU_WEBHOOK_HEADERS", headers)]).await;
    create_and_delete(&server, "billing").await;
    let received = receiver.wait_for(2).await;
    let names: Vec<&str> = received.iter().map(Received::event).collect();
    assert_eq!(names, ["sessionCreated", "sessionDestroyed"]);
    assert_eq!(keys(&received[0].body), sorted(&["event", "timestamp", "sessionId", "uniqueSessionId"]));
    assert_eq!(
        keys(&received[1].body),
        sorted(&["event", "timestamp", "sessionId", "uniqueSessionId", "startTime", "duration", "reason"])
    );
    assert_eq!(received[1].body["reason"], "sessionClosedByServer");
    assert_eq!(received[1].body["sessionId"], "billing");
    for request in &received {
        assert_eq!(request.headers["content-type"], "application/json");
        assert_eq!(request.headers["authorization"], "Basic dGVzdDp0ZXN0");
        assert_eq!(request.headers["x-custom"], "one two");
        assert!(request.headers.get("x-plenum-signature").is_none(), "unsigned unless PLENUM_WEBHOOK_SIGNING");
    }
    let done = wait_for_counters(&server, |c| c.sent == 2).await;
    assert_eq!(done, WebhookCounters { sent: 2, failed_attempts: 0, dropped: 0, queued: 0 });
    server.stop().await;
}

#[tokio::test]
async fn a_websocket_participant_and_a_signal_arrive_with_openvidus_keys() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let events = r#"["sessionCreated","participantJoined","signalSent","participantLeft","sessionDestroyed"]"#;
    let server = start(&[
        ("OPENVIDU_WEBHOOK", "true"),
        ("OPENVIDU_WEBHOOK_ENDPOINT", &receiver.url),
        ("OPENVIDU_WEBHOOK_EVENTS", events),
    ])
    .await;
    common::scripted_call::alice_joins_signals_and_leaves(&server).await;
    let received = receiver.wait_for(5).await;
    let names: Vec<&str> = received.iter().map(Received::event).collect();
    assert_eq!(names, ["sessionCreated", "participantJoined", "signalSent", "participantLeft", "sessionDestroyed"]);
    let participant =
        ["event", "timestamp", "sessionId", "uniqueSessionId", "participantId", "connectionId", "location", "ip"];
    let participant = [&participant[..], &["platform", "clientData", "serverData"]].concat();
    assert_eq!(keys(&received[1].body), sorted(&participant));
    let left = [&participant[..], &["startTime", "duration", "reason"]].concat();
    assert_eq!(keys(&received[3].body), sorted(&left));
    assert_eq!(received[3].body["reason"], "disconnect");
    assert_eq!(
        keys(&received[2].body),
        sorted(&["event", "timestamp", "sessionId", "uniqueSessionId", "from", "to", "type", "data"])
    );
    assert_eq!(received[2].body["type"], "signal:chat");
    server.stop().await;
}

#[tokio::test]
async fn only_the_events_openvidu_webhook_events_names_are_sent() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let server = master(&receiver.url, &[("OPENVIDU_WEBHOOK_EVENTS", r#"["sessionDestroyed"]"#)]).await;
    create_and_delete(&server, "first").await;
    create_and_delete(&server, "second").await;
    let received = receiver.wait_for(2).await;
    let seen: Vec<(&str, &str)> =
        received.iter().map(|r| (r.event(), r.body["sessionId"].as_str().unwrap_or_default())).collect();
    assert_eq!(seen, [("sessionDestroyed", "first"), ("sessionDestroyed", "second")]);
    let done = wait_for_counters(&server, |c| c.queued == 0).await;
    assert_eq!(done.sent, 2, "filtered events are not queued: {done:?}");
    assert_eq!(receiver.received().len(), 2);
    server.stop().await;
}

#[tokio::test]
async fn each_sessions_events_arrive_in_the_order_they_happened() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let server = master(&receiver.url, &[]).await;
    let ids: Vec<String> = (0..10).map(|n| format!("s{n}")).collect();
    for id in &ids {
        server.session(id).await;
    }
    for id in ids.iter().rev() {
        let reply = server.call("DELETE", &format!("/openvidu/api/sessions/{id}"), None).await;
        assert_eq!(reply.status, 204);
    }
    let received = receiver.wait_for(20).await;
    for id in &ids {
        let mine: Vec<&str> =
            received.iter().filter(|r| r.body["sessionId"] == id.as_str()).map(Received::event).collect();
        assert_eq!(mine, ["sessionCreated", "sessionDestroyed"], "{id}");
    }
    // One sender per endpoint: the whole stream is in the order it was decided.
    let order: Vec<String> = received.iter().map(|r| format!("{} {}", r.event(), r.body["sessionId"])).collect();
    let mut expected: Vec<String> = ids.iter().map(|id| format!("sessionCreated \"{id}\"")).collect();
    expected.extend(ids.iter().rev().map(|id| format!("sessionDestroyed \"{id}\"")));
    assert_eq!(order, expected);
    let stamps: Vec<u64> = received.iter().map(|r| r.body["timestamp"].as_u64().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_receiver_answering_500_gets_5_attempts_then_the_event_is_dropped_and_counted() {
    let receiver = Receiver::start(Answer::Status(500)).await;
    let server = master(&receiver.url, &[("OPENVIDU_WEBHOOK_EVENTS", r#"["sessionCreated"]"#)]).await;
    server.session("refused").await;
    // 0.5 + 1 + 2 + 4 s between the attempts.
    let done = wait_for_counters(&server, |c| c.dropped == 1).await;
    assert_eq!(done, WebhookCounters { sent: 0, failed_attempts: 5, dropped: 1, queued: 0 });
    let received = receiver.received();
    assert_eq!(received.len(), 5, "OpenVidu's 5 tries, no more");
    assert!(received.iter().all(|r| r.body == received[0].body), "the same event each time");
    assert_eq!(received[0].body["sessionId"], "refused");
    server.stop().await;
}

/// 30 REST calls that each publish an event, all complete within a generous bound.
async fn rest_calls_complete_promptly(server: &TestServer) {
    let began = Instant::now();
    for n in 0..15 {
        create_and_delete(server, &format!("prompt{n}")).await;
    }
    let took = began.elapsed();
    assert!(took < Duration::from_secs(8), "30 REST calls took {took:?}: the call path waited for the webhook");
}

#[tokio::test]
async fn a_hanging_receiver_does_not_slow_rest_calls() {
    let receiver = Receiver::start(Answer::Hang).await;
    let server = master(&receiver.url, &[]).await;
    rest_calls_complete_promptly(&server).await;
    receiver.wait_for(1).await;
    // One in flight, held by the receiver, the rest waiting behind it.
    let now = wait_for_counters(&server, |c| c.queued == 30).await;
    assert_eq!(now.sent, 0, "{now:?}");
    receiver.answer(Answer::Status(200));
    wait_for_counters(&server, |c| c.sent == 30).await;
    server.stop().await;
}

#[tokio::test]
async fn an_absent_receiver_does_not_slow_rest_calls() {
    let server = master(&closed_port_url(), &[]).await;
    rest_calls_complete_promptly(&server).await;
    let now = wait_for_counters(&server, |c| c.failed_attempts >= 2).await;
    assert_eq!(now.sent, 0, "{now:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_full_queue_drops_the_oldest_events_counts_them_and_keeps_the_newest() {
    let receiver = Receiver::start(Answer::Hang).await;
    let server = master(
        &receiver.url,
        &[("OPENVIDU_WEBHOOK_EVENTS", r#"["sessionCreated"]"#), ("PLENUM_WEBHOOK_QUEUE_CAPACITY", "3")],
    )
    .await;
    server.session("first").await;
    receiver.wait_for(1).await; // in flight, held by the receiver: the queue is empty again
    for n in 0..10 {
        server.session(&format!("n{n}")).await;
    }
    let full = wait_for_counters(&server, |c| c.dropped == 7).await;
    assert_eq!(full, WebhookCounters { sent: 0, failed_attempts: 0, dropped: 7, queued: 4 });
    receiver.answer(Answer::Status(200));
    let done = wait_for_counters(&server, |c| c.sent == 4).await;
    assert_eq!(done, WebhookCounters { sent: 4, failed_attempts: 0, dropped: 7, queued: 0 });
    let sessions: Vec<Value> = receiver.received().iter().map(|r| r.body["sessionId"].clone()).collect();
    assert_eq!(sessions, [json!("first"), json!("n7"), json!("n8"), json!("n9")]);
    server.stop().await;
}

#[tokio::test]
async fn signed_webhooks_carry_an_hmac_the_receiver_can_verify() {
    let receiver = Receiver::start(Answer::Status(200)).await;
    let server = master(&receiver.url, &[("PLENUM_WEBHOOK_SIGNING", "true")]).await;
    server.session("signed").await;
    let request = receiver.wait_for(1).await.remove(0);
    let timestamp = request.headers["x-plenum-timestamp"].to_str().unwrap().to_string();
    let signature = request.headers["x-plenum-signature"].to_str().unwrap().to_string();

    // What a receiver does: HMAC-SHA256 over "<timestamp>.<raw body>" keyed by OPENVIDU_SECRET.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(&request.raw);
    let hex = signature.strip_prefix("v1=").expect("versioned signature");
    let given: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
    mac.verify_slice(&given).expect("the signature verifies with the secret");

    let sent_at: u64 = timestamp.parse().unwrap();
    let now = plenum::clock::now_ms();
    assert!(now.abs_diff(sent_at) < 5 * 60 * 1000, "a fresh timestamp: {sent_at} vs {now}");
    let mut wrong = Hmac::<sha2::Sha256>::new_from_slice(b"not the secret").unwrap();
    wrong.update(format!("{timestamp}.").as_bytes());
    wrong.update(&request.raw);
    assert!(wrong.verify_slice(&given).is_err());
    server.stop().await;
}

#[tokio::test]
async fn after_a_restart_events_go_to_the_new_endpoint_and_the_old_one_gets_what_was_queued() {
    let old = Receiver::start(Answer::Status(200)).await;
    let new = Receiver::start(Answer::Status(200)).await;
    let server = master(&old.url, &[]).await;
    let first = server.server.as_ref().unwrap().state.clone();
    server.session("before").await;
    old.wait_for(1).await;

    let body = json!({"OPENVIDU_WEBHOOK": true, "OPENVIDU_WEBHOOK_ENDPOINT": new.url});
    let reply = server.post("/openvidu/api/restart", &body.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    server.session("after").await;

    let at_new = new.wait_for(1).await;
    assert_eq!((at_new[0].event(), &at_new[0].body["sessionId"]), ("sessionCreated", &json!("after")));
    // The old generation closed "before" as it retired, and its sender delivered that too, then ended.
    let at_old = old.wait_for(2).await;
    let seen: Vec<(&str, &Value)> = at_old.iter().map(|r| (r.event(), &r.body["sessionId"])).collect();
    assert_eq!(seen, [("sessionCreated", &json!("before")), ("sessionDestroyed", &json!("before"))]);
    assert_eq!(at_old[1].body["reason"], "openviduServerStopped");
    let deadline = Instant::now() + DEADLINE;
    while !first.webhooks_finished() {
        assert!(Instant::now() < deadline, "the old generation's webhook sender never ended");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(first.webhook_stats().map(|c| (c.sent, c.queued)), Some((2, 0)));
    assert_eq!(old.received().len(), 2, "nothing of the new generation went to the old endpoint");
    server.stop().await;
}

#[test]
fn an_enabled_webhook_without_an_endpoint_fails_config_loading() {
    let lookup = |key: &str| (key == "OPENVIDU_WEBHOOK").then(|| "true".to_string());
    let Err(error) = plenum::config::Config::load(None, &lookup) else { panic!("refused") };
    let error = error.to_string();
    assert!(error.contains("OPENVIDU_WEBHOOK_ENDPOINT"), "{error}");
}
