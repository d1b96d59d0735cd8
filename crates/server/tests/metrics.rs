//! `GET /metrics` of the master, parsed as Prometheus text, against a known
//! scenario: one session on the embedded node, one participant publishing real
//! media and one pending connection.

mod common;

use std::collections::HashMap;

use common::media_publisher::MediaPublisher;
use common::*;

/// The samples of the scrape: `name{label="v",...}` → value.
fn samples(text: &str) -> HashMap<String, f64> {
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("the text format parses");
    scrape
        .samples
        .into_iter()
        .map(|sample| {
            let mut labels: Vec<String> = sample.labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
            labels.sort();
            let key =
                if labels.is_empty() { sample.metric } else { format!("{}{{{}}}", sample.metric, labels.join(",")) };
            let value = match sample.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                // A histogram's samples are keyed by their count (`…_count{…}` is not kept apart).
                prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
                _ => f64::NAN,
            };
            (key, value)
        })
        .collect()
}

/// The sum of the samples of metric `name` whose labels include every one of `labels`.
fn total(values: &HashMap<String, f64>, name: &str, labels: &[&str]) -> f64 {
    let prefix = format!("{name}{{");
    values.iter().filter(|(k, _)| k.starts_with(&prefix) && labels.iter().all(|l| k.contains(l))).map(|(_, v)| v).sum()
}

#[tokio::test]
async fn metrics_count_sessions_connections_streams_and_nodes() {
    let server = start(&[]).await;
    assert_eq!(server.raw("GET", "/metrics", None, None).await.status, 401, "private by default");

    server.session("m").await;
    server.connection("m", "{}").await;
    let publisher = MediaPublisher::start(&server, "m", "{}").await;
    let scrape = server.get("/metrics").await;
    assert_eq!(scrape.status, 200, "{}", scrape.text);
    assert!(scrape.headers["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let values = samples(&scrape.text);
    for (key, expected) in [
        ("plenum_sessions", 1.0),
        ("plenum_connections{state=\"active\"}", 1.0),
        ("plenum_connections{state=\"pending\"}", 1.0),
        ("plenum_publishers", 1.0),
        ("plenum_subscribers", 0.0),
        ("plenum_media_nodes{status=\"running\"}", 1.0),
    ] {
        assert_eq!(values.get(key).copied(), Some(expected), "{key} in\n{}", scrape.text);
    }
    assert!(!values.keys().any(|k| k.contains("webhook")), "webhooks are off");
    // What happened so far: one refused scrape, one session and one connection created by REST,
    // one joinRoom (the publisher's), and the session's placement on the embedded node.
    let requests = "plenum_http_request_duration_seconds_count";
    let route = |r: &str| format!("route=\"{r}\"");
    let create = route("/openvidu/api/sessions");
    assert_eq!(total(&values, requests, &["method=\"POST\"", &create, "status=\"200\""]), 1.0, "{}", scrape.text);
    assert_eq!(total(&values, requests, &[&route("/metrics"), "status=\"401\""]), 1.0, "{}", scrape.text);
    assert_eq!(total(&values, "plenum_join_duration_seconds_count", &["outcome=\"joined\""]), 1.0, "{}", scrape.text);
    assert_eq!(total(&values, "plenum_placements_total", &["outcome=\"placed\""]), 1.0, "{}", scrape.text);
    // The next scrape counts this one.
    let again = samples(&server.get("/metrics").await.text);
    assert_eq!(total(&again, requests, &[&route("/metrics"), "status=\"200\""]), 1.0);

    publisher.leave().await;
    server.call("DELETE", "/openvidu/api/sessions/m", None).await;
    let values = samples(&server.get("/metrics").await.text);
    assert_eq!(values.get("plenum_sessions").copied(), Some(0.0));
    assert_eq!(values.get("plenum_publishers").copied(), Some(0.0));
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let server = start(&[("PLENUM_METRICS", "false")]).await;
    let scrape = server.get("/metrics").await;
    assert_eq!(scrape.status, 404, "{}", scrape.text);
    assert!(scrape.text.contains("PLENUM_METRICS=false"), "{}", scrape.text);
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_be_public_and_show_webhook_figures() {
    let server = start(&[
        ("PLENUM_METRICS_PUBLIC", "true"),
        ("OPENVIDU_WEBHOOK", "true"),
        // Nothing listens there: events wait, are retried, and are counted.
        ("OPENVIDU_WEBHOOK_ENDPOINT", "http://127.0.0.1:9/webhook"),
    ])
    .await;
    server.session("w").await;
    let scrape = server.raw("GET", "/metrics", None, None).await;
    assert_eq!(scrape.status, 200);
    let values = samples(&scrape.text);
    let queued = values.get("plenum_webhook_queue_depth").copied().expect("the queue depth");
    let failed = values.get("plenum_webhook_attempts_failed_total").copied().unwrap_or(0.0);
    assert!(queued + failed >= 1.0, "sessionCreated is waiting or being retried:\n{}", scrape.text);
    assert_eq!(values.get("plenum_webhook_events_sent_total").copied(), Some(0.0));
    server.stop().await;
}
