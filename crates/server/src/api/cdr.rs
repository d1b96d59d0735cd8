//! `GET /openvidu/cdr` (`/cdr` in 2.13): the names of the CDR files, and
//! `GET /openvidu/cdr/<file>`: one of them (authenticated, as every CDR path).

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::ApiError;
use super::respond::ok_json;
use crate::services::AppState;

pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let path = state.config().cdr_path.clone();
    let names = tokio::task::spawn_blocking(move || list_files(&path))
        .await
        .map_err(|e| ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, format!("CDR listing failed: {e}")))?
        .map_err(|e| ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(ok_json(json!(names)))
}

/// The file `name` of the CDR directory, as a download (ranges and `HEAD` included).
/// Only a plain file name that is listed can be fetched: no path reaches outside.
pub async fn download(State(state): State<AppState>, Path(name): Path<String>, request: Request) -> Response {
    let dir = state.config().cdr_path.clone();
    let listed = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || list_files(&dir)).await
    };
    let names = match listed {
        Ok(Ok(names)) => names,
        Ok(Err(message)) => return ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, message).into_response(),
        Err(e) => {
            let message = format!("CDR listing failed: {e}");
            return ApiError::Message(StatusCode::INTERNAL_SERVER_ERROR, message).into_response();
        }
    };
    if !names.contains(&name) {
        return ApiError::Message(StatusCode::NOT_FOUND, format!("There is no CDR file '{name}'")).into_response();
    }
    let served = ServeFile::new(dir.join(&name)).oneshot(request).await;
    let mut response = match served {
        Ok(response) => response.map(axum::body::Body::new),
        Err(e) => match e {},
    };
    if response.status().is_success() {
        // JSON lines, served as UTF-8 text so they open in a browser too.
        let text = HeaderValue::from_static("text/plain; charset=utf-8");
        response.headers_mut().insert(header::CONTENT_TYPE, text);
    }
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, disposition);
    }
    response
}

/// Regular files of `path`, sorted; a directory that does not exist yet has none.
fn list_files(path: &std::path::Path) -> Result<Vec<String>, String> {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read CDR directory {}: {e}", path.display())),
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_only_and_tolerates_a_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("CDR.b.log"), "").unwrap();
        std::fs::write(dir.path().join("CDR.a.log"), "").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(list_files(dir.path()).unwrap(), vec!["CDR.a.log", "CDR.b.log"]);
        assert!(list_files(&dir.path().join("missing")).unwrap().is_empty());
    }
}
