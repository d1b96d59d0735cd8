//! Counts every REST request into the live metrics: its method, its route's template and
//! its status, with the time until the response head was ready.
//!
//! A layer of its own (not part of the front door): the benchmark baseline shares the front
//! door, and must not pay for what only Plenum records. It is left out of the router when
//! `PLENUM_METRICS=false`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::live_metrics::{LiveMetrics, RequestLabels};

/// The route label of requests that no route matched (404s, guard refusals before routing).
const UNMATCHED: &str = "unmatched";

pub async fn record(State(live): State<LiveMetrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_string();
    let response = next.run(request).await;
    let labels = RequestLabels { method, route, status: response.status().as_u16() };
    live.observe_request(&labels, started.elapsed().as_secs_f64());
    response
}
