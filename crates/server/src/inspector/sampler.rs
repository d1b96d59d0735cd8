//! Samples every media node's load into the generation's [`NodeLoad`] and
//! pushes each sample onto the live feed; `GET /inspector/api/node-load`
//! answers the last hour of them (the chart's first fill).

use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Map, Value, json};

use super::Inspector;
use crate::clock::now_ms;
use crate::services::AppState;

/// How often a sample is taken: the cluster's load values change about as often.
pub(super) const INTERVAL: Duration = Duration::from_secs(2);
/// The chart's window: the last hour.
pub(super) const WINDOW_MS: u64 = 3_600_000;
/// One hour of samples.
pub(super) const CAPACITY: usize = (WINDOW_MS / 2_000) as usize;

pub(super) async fn run(state: AppState, inspector: Arc<Inspector>) {
    let mut tick = tokio::time::interval(INTERVAL);
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
        let _ = inspector.load_feed.send(json!({"t": now, "loads": loads}));
    }
}

pub(super) async fn series(Extension(inspector): Extension<Arc<Inspector>>) -> Response {
    let series = inspector.load.lock().unwrap_or_else(PoisonError::into_inner).series(now_ms());
    Json(json!({"windowMs": WINDOW_MS, "intervalMs": INTERVAL.as_millis() as u64, "nodes": series})).into_response()
}
