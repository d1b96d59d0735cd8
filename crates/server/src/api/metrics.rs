//! `GET /metrics`: Prometheus scraping of the master (Basic auth unless
//! `PLENUM_METRICS_PUBLIC=true`).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::config::keys;
use crate::metrics_text::CONTENT_TYPE;
use crate::services::AppState;

pub async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let Some(live) = state.live_metrics() else {
        return ApiError::Message(StatusCode::NOT_FOUND, "Metrics are off (PLENUM_METRICS=false)".into())
            .into_response();
    };
    let public = state.config().settings.get(keys::PLENUM_METRICS_PUBLIC);
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !public && !state.credentials().accepts(authorization) {
        return ApiError::Message(
            StatusCode::UNAUTHORIZED,
            "Metrics need HTTP Basic authentication (or PLENUM_METRICS_PUBLIC=true)".into(),
        )
        .into_response();
    }
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], state.metrics_snapshot().render(live)).into_response()
}
