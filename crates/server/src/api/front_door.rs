//! The one middleware every request passes through: the path guard, HTTP Basic
//! authentication, and the JSON bodies of error responses.
//!
//! One layer instead of three keeps the per-request cost of the plumbing to a
//! single boxed service call; the benchmark baseline uses this same layer.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::authenticate;
use super::error::with_error_body;
use super::guard::check_path;
use crate::services::AppState;

pub async fn front_door(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Cloning the URI shares its bytes; its path is read only if the request fails.
    let uri = request.uri().clone();
    let method = request.method().clone();
    let admitted = check_path(uri.path()).and_then(|()| authenticate(state.credentials(), &request));
    let response = match admitted {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    };
    with_error_body(response, &method, uri.path())
}
