//! `GET /openvidu/cdr` (`/cdr` in 2.13): the names of the CDR files.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

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
