//! `GET /metrics` on the control port: the node's figures in the Prometheus
//! text format. With a node secret (`PLENUM_NODE_SECRET`) it needs
//! `Authorization: Bearer <secret>`, like `/plenum/files`; without one it is
//! open, as the Kurento websocket on the same port is.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::bearer;
use crate::metrics::NodeFigures;
use crate::metrics::render::CONTENT_TYPE;

/// The path of the route.
pub const METRICS_PATH: &str = "/metrics";

/// Reads the node's figures at scrape time.
pub type FigureSource = Arc<dyn Fn() -> NodeFigures + Send + Sync>;

#[derive(Clone)]
struct MetricsService {
    secret: Option<String>,
    figures: FigureSource,
}

pub fn router(secret: Option<String>, figures: FigureSource) -> Router {
    Router::new().route(METRICS_PATH, get(scrape)).with_state(Arc::new(MetricsService { secret, figures }))
}

/// What `/metrics` answers on a node started with metrics off: a plain 404 that says so
/// (a bare HTTP request would otherwise reach the websocket handshake and get no answer).
pub fn turned_off_router() -> Router {
    let refusal =
        || async { (StatusCode::NOT_FOUND, "metrics are turned off on this node (PLENUM_NODE_METRICS=false)") };
    Router::new().route(METRICS_PATH, get(refusal))
}

async fn scrape(State(service): State<Arc<MetricsService>>, headers: HeaderMap) -> Response {
    if let Some(secret) = &service.secret
        && !bearer::matches(&headers, secret)
    {
        return (StatusCode::UNAUTHORIZED, "a Bearer token equal to the node secret is required").into_response();
    }
    let text = (service.figures)().render();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}
