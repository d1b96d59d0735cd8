//! `GET /inspector/api/history`: the CDR files of `OPENVIDU_CDR_PATH`, read
//! oldest first and rebuilt into sessions by the pure [`super::history::parse`].
//!
//! At most [`MAX_BYTES`] of the newest files are read, so a month of CDR cannot
//! make one request hold the whole of it in memory.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::guard::refuse;
use super::history::parse;
use crate::events::cdr_files::day_of;
use crate::services::AppState;

/// The most CDR text read for one answer.
const MAX_BYTES: u64 = 32 * 1024 * 1024;

pub(super) async fn history(State(state): State<AppState>) -> Response {
    let dir = state.config().cdr_path.clone();
    match tokio::task::spawn_blocking(move || read_newest(&dir)).await {
        Ok(Ok(text)) => Json(parse(text.lines())).into_response(),
        Ok(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("Cannot read the CDR: {e}")),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("Cannot read the CDR: {e}")),
    }
}

/// The text of the newest CDR files (by name: day, then the master's start), oldest first.
fn read_newest(dir: &std::path::Path) -> std::io::Result<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
        Err(e) => return Err(e),
    };
    names.retain(|name| day_of(name).is_some());
    names.sort();
    let mut chosen = Vec::new();
    let mut total = 0;
    for name in names.iter().rev() {
        let size = std::fs::metadata(dir.join(name))?.len();
        if total + size > MAX_BYTES && !chosen.is_empty() {
            break;
        }
        total += size;
        chosen.push(name);
    }
    let mut text = String::new();
    for name in chosen.iter().rev() {
        text.push_str(&String::from_utf8_lossy(&std::fs::read(dir.join(name))?));
        text.push('\n');
    }
    Ok(text)
}
