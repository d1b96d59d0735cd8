//! `GET /openvidu/recordings/<id>/<file>` (`/recordings/<id>/<file>` on the
//! 2.13 family): a recording's files, with ranges (206) and a Content-Type
//! from the extension, through tower-http's `ServeFile`.
//!
//! Basic authentication unless `OPENVIDU_RECORDING_PUBLIC_ACCESS=true`. Both
//! path parts must be plain names (no separator, no `.`/`..`, no dot-file such
//! as the `.recording.<id>` metadata), and the file, once its links are
//! resolved, must still be inside `<OPENVIDU_RECORDING_PATH>/<id>/`: nothing
//! outside a recording's folder can be reached.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::ApiError;
use crate::config::keys;
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

/// One path segment that names something inside a folder.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !FsPath::new(name).is_absolute()
}

/// `<root>/<id>/<file>` with links resolved, if it is a regular file still inside `<root>/<id>`.
fn inside_folder(root: &FsPath, id: &str, file: &str) -> Option<PathBuf> {
    let folder = root.join(id).canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    if !folder.starts_with(&root) || folder.parent() != Some(root.as_path()) {
        return None;
    }
    let path = folder.join(file).canonicalize().ok()?;
    (path.parent() == Some(folder.as_path()) && path.is_file()).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_inside_the_folder() {
        for bad in ["", ".", "..", "a/b", "a\\b", "/etc"] {
            assert!(!is_plain_name(bad), "{bad:?}");
        }
        assert!(is_plain_name("ses~1") && is_plain_name("n.mp4"));
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("r")).unwrap();
        std::fs::write(root.path().join("r").join("a.mp4"), "x").unwrap();
        std::fs::write(outside.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("r").join("link")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
        assert!(inside_folder(root.path(), "r", "a.mp4").is_some());
        assert!(inside_folder(root.path(), "r", "link").is_none(), "a link out of the folder");
        assert!(inside_folder(root.path(), "out", "secret").is_none(), "a linked folder");
        assert!(inside_folder(root.path(), "r", "missing").is_none());
    }
}
