//! `GET /openvidu/recordings/<id>/<file>` (`/recordings/<id>/<file>` on the
//! 2.13 family): a recording's files, with ranges (206) and a Content-Type
//! from the extension, through tower-http's `ServeFile`.
//!
//! Basic authentication unless `OPENVIDU_RECORDING_PUBLIC_ACCESS=true`. Both
//! path parts must be plain names (no separator, no `.`/`..`, no dot-file such
//! as the `.recording.<id>` metadata), and the file, once its links are
//! resolved, must still be inside `<OPENVIDU_RECORDING_PATH>/<id>/`: nothing
//! outside a recording's folder can be reached.

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::ApiError;
use crate::config::keys;
use crate::recording::file_path::{inside_folder, is_plain_name};
use crate::services::AppState;

pub async fn serve(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    request: Request,
) -> Response {
    let public = state.config().settings.get(keys::OPENVIDU_RECORDING_PUBLIC_ACCESS);
    let authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !public && !state.credentials().accepts(authorization) {
        return ApiError::Message(StatusCode::UNAUTHORIZED, "Recording files need HTTP Basic authentication".into())
            .into_response();
    }
    if !is_plain_name(&id) || !is_plain_name(&file) || file.starts_with('.') {
        return ApiError::bad_request("Recording file paths are <recordingId>/<file name>").into_response();
    }
    let root = state.config().recording_path.clone();
    let resolved = tokio::task::spawn_blocking(move || inside_folder(&root, &id, &file)).await.ok().flatten();
    let Some(path) = resolved else {
        return ApiError::Message(StatusCode::NOT_FOUND, "There is no such recording file".into()).into_response();
    };
    match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}
