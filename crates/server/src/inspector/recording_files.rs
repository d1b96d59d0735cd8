//! `GET /inspector/recordings/<id>/<file>`: a recording's file for the page's
//! `<video>` player and download links, behind the Inspector's cookie (a media
//! element cannot send Basic credentials). Ranges (206) come from tower-http's
//! `ServeFile`, so the player can seek; the folder checks are the REST route's
//! (`recording::file_path`).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::guard::refuse;
use crate::recording::file_path::{inside_folder, is_plain_name};
use crate::services::AppState;

pub(super) async fn serve(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    request: Request,
) -> Response {
    if !is_plain_name(&id) || !is_plain_name(&file) || file.starts_with('.') {
        return refuse(StatusCode::BAD_REQUEST, "Recording file paths are <recordingId>/<file name>");
    }
    let root = state.config().recording_path.clone();
    let resolved = tokio::task::spawn_blocking(move || inside_folder(&root, &id, &file)).await.ok().flatten();
    let Some(path) = resolved else {
        return refuse(StatusCode::NOT_FOUND, "There is no such recording file");
    };
    match ServeFile::new(path).oneshot(request).await {
        Ok(response) => response.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}
