//! Samples every media node's load into the generation's [`NodeLoad`] and
//! pushes each sample onto the live feed, with every stream's WebRTC figures
//! while a page listens; `GET /inspector/api/node-load`
//! answers the last hour of them (the chart's first fill).

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Map, Value, json};

use super::Inspector;
use super::stream_stats::StreamRates;
use crate::clock::now_ms;
use crate::services::AppState;

/// How often a sample is taken: the cluster's load values change about as often.
pub(super) const INTERVAL: Duration = Duration::from_secs(2);
/// The chart's window: the last hour.
pub(super) const WINDOW_MS: u64 = 3_600_000;
/// How long one endpoint's `getStats` may take before its sample is skipped.
const STATS_TIMEOUT: Duration = Duration::from_secs(1);
/// One hour of samples.
pub(super) const CAPACITY: usize = (WINDOW_MS / 2_000) as usize;

pub(super) async fn run(state: AppState, inspector: Arc<Inspector>) {
    let mut tick = tokio::time::interval(INTERVAL);
    let mut rates = StreamRates::default();
    loop {
        tick.tick().await;
        let now = now_ms();
        let loads: Vec<(String, f64)> = state.cluster().registry().nodes().map(|n| (n.id.clone(), n.load)).collect();
        inspector
            .load
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(now, loads.iter().map(|(id, load)| (id.as_str(), *load)));
        let loads: Map<String, Value> = loads.into_iter().map(|(id, load)| (id, json!(load))).collect();
        // No reader is no error: nobody has the page open.
        let _ = inspector.feed.send(("load", json!({"t": now, "loads": loads})));
        // The nodes are asked for stream stats only while a page is listening.
        if inspector.feed.receiver_count() > 0 {
            let streams = sample_streams(&state, &mut rates).await;
            let _ = inspector.feed.send(("stats", json!({"t": now_ms(), "streams": streams})));
        }
    }
}

/// Every endpoint's figures, asked of the nodes at once (each answer bounded by [`STATS_TIMEOUT`]).
async fn sample_streams(state: &AppState, rates: &mut StreamRates) -> Vec<Value> {
    let endpoints = state.media().endpoints();
    let asked = endpoints.iter().map(|e| tokio::time::timeout(STATS_TIMEOUT, e.endpoint.stats()));
    let answers = futures_util::future::join_all(asked).await;
    let now = now_ms();
    let mut streams = Vec::new();
    for (endpoint, answer) in endpoints.iter().zip(answers) {
        let Ok(Ok(stats)) = answer else { continue };
        let figures = rates.update(endpoint.endpoint.id(), &stats, now);
        streams.push(json!({
            "sessionId": endpoint.session, "connectionId": endpoint.connection, "streamId": endpoint.stream_id,
            "receivingFrom": endpoint.publisher, "endpoint": endpoint.endpoint.id(), "media": figures,
        }));
    }
    let alive: Vec<&str> = endpoints.iter().map(|e| e.endpoint.id()).collect();
    rates.retain(&alive);
    streams
}

pub(super) async fn series(Extension(inspector): Extension<Arc<Inspector>>) -> Response {
    let series = inspector.load.lock().unwrap_or_else(PoisonError::into_inner).series(now_ms());
    Json(json!({"windowMs": WINDOW_MS, "intervalMs": INTERVAL.as_millis() as u64, "nodes": series})).into_response()
}
