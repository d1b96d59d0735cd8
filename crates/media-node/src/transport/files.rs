//! `/plenum/files/<path>` on the control port: the finished recordings of a
//! remote node, for the master to pull (`GET`, with `X-Plenum-Sha256`) and then
//! remove (`DELETE`). See `docs/recording.md`.
//!
//! Served only when the node has a secret (`PLENUM_NODE_SECRET`), and only
//! files inside the recording root: a path with `..`, an absolute path or a
//! symlink leading out of the root is refused.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeFile;

/// The URL prefix of the file route.
pub const FILES_PATH: &str = "/plenum/files";
/// The header carrying the hex SHA-256 of the served file.
pub const SHA256_HEADER: &str = "x-plenum-sha256";

/// What the file route serves, and who may use it.
#[derive(Debug, Clone)]
pub struct FileService {
    pub root: PathBuf,
    pub secret: String,
}

pub fn router(service: FileService) -> Router {
    Router::new().route(&format!("{FILES_PATH}/{{*path}}"), get(download).delete(remove)).with_state(Arc::new(service))
}

fn authorized(service: &FileService, headers: &HeaderMap) -> bool {
    super::bearer::matches(headers, &service.secret)
}

/// The file `relative` names inside `root`, if it exists and stays inside it.
pub fn resolve(root: &Path, relative: &str) -> Option<PathBuf> {
    let relative = Path::new(relative);
    if relative.as_os_str().is_empty() || !relative.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let root = root.canonicalize().ok()?;
    let file = root.join(relative).canonicalize().ok()?;
    (file.starts_with(&root) && file.is_file()).then_some(file)
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, message.to_string()).into_response()
}

async fn download(
    State(service): State<Arc<FileService>>,
    UrlPath(relative): UrlPath<String>,
    request: Request<Body>,
) -> Response {
    if !authorized(&service, request.headers()) {
        return refusal(StatusCode::UNAUTHORIZED, "a Bearer token equal to the node secret is required");
    }
    let Some(file) = resolve(&service.root, &relative) else {
        return refusal(StatusCode::NOT_FOUND, "no such file under the recording root");
    };
    let hashed = file.clone();
    let digest = match tokio::task::spawn_blocking(move || sha256_of(&hashed)).await {
        Ok(Ok(digest)) => digest,
        Ok(Err(error)) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, &format!("cannot read the file: {error}")),
        Err(_) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, "hashing the file failed"),
    };
    let mut response = match ServeFile::new(&file).oneshot(request).await {
        Ok(response) => response.map(Body::new),
        Err(error) => return refusal(StatusCode::INTERNAL_SERVER_ERROR, &format!("cannot serve the file: {error}")),
    };
    if let Ok(value) = HeaderValue::from_str(&digest) {
        response.headers_mut().insert(SHA256_HEADER, value);
    }
    response
}

async fn remove(
    State(service): State<Arc<FileService>>,
    UrlPath(relative): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&service, &headers) {
        return refusal(StatusCode::UNAUTHORIZED, "a Bearer token equal to the node secret is required");
    }
    let Some(file) = resolve(&service.root, &relative) else {
        return refusal(StatusCode::NOT_FOUND, "no such file under the recording root");
    };
    if let Err(error) = std::fs::remove_file(&file) {
        return refusal(StatusCode::INTERNAL_SERVER_ERROR, &format!("cannot delete the file: {error}"));
    }
    // The recording's folder goes with its last file; a folder still holding files stays.
    if let (Some(folder), Ok(root)) = (file.parent(), service.root.canonicalize())
        && folder != root
    {
        let _ = std::fs::remove_dir(folder);
    }
    tracing::info!(file = %file.display(), "recording file pulled by the master and deleted here");
    StatusCode::NO_CONTENT.into_response()
}

/// The hex SHA-256 of a file, read in blocks.
pub fn sha256_of(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut block)?;
        if read == 0 {
            break;
        }
        hasher.update(&block[..read]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_inside_the_root_resolve() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("rec")).unwrap();
        std::fs::write(root.path().join("rec/a.webm"), b"x").unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"s").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("rec/link")).unwrap();

        assert!(resolve(root.path(), "rec/a.webm").is_some());
        for bad in ["rec/../rec/a.webm", "../x", "/etc/passwd", "", "rec", "rec/link", "rec/missing"] {
            assert!(resolve(root.path(), bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_checksum_is_the_sha256_of_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, b"abc").unwrap();
        assert_eq!(sha256_of(&file).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
