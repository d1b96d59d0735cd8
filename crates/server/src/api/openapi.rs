//! `GET /openvidu/api/openapi.json`: the OpenAPI 3.1 description of the whole REST API,
//! behind the same HTTP Basic authentication as the rest of `/openvidu/api` (the front door).
//!
//! The spec is a committed document (`openapi.json` beside this file), embedded in the
//! binary. It cannot drift silently: `tests/openapi.rs` checks that every operation it
//! lists is routed, that every path [`super::registered_paths`] returns is in it, and that
//! real responses of a running master match its schemas; `scripts/test-all.sh` runs a
//! standard validator (`openapi-spec-validator`) on it.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The spec's text, as served.
pub const SPEC: &str = include_str!("openapi.json");

pub async fn serve() -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], SPEC).into_response()
}
