//! The CDR writer: JSON lines `{"<event>": {...}}` in
//! `<OPENVIDU_CDR_PATH>/CDR.<yyyy-MM-dd>_<startup ms>.log`.
//!
//! The directory and the file are made at startup, as OpenVidu makes them, so
//! a path that cannot be written stops the master before any event is lost.
//! Writing happens on a thread of its own that drains a bus subscription:
//! file I/O never runs on the async runtime and never delays a call.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use super::bus::{EventBus, Subscription};
use crate::clock::civil_date;

/// The CDR file of a master started at `started_ms`.
pub fn file_name(started_ms: u64) -> String {
    format!("CDR.{}_{started_ms}.log", civil_date(started_ms))
}

#[derive(Debug, thiserror::Error)]
#[error("OPENVIDU_CDR_PATH: cannot create the CDR file or directory {}: {source}", .path.display())]
pub struct CdrError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Creates `dir` with its parents.
pub fn create_dir(dir: &Path) -> Result<(), CdrError> {
    std::fs::create_dir_all(dir).map_err(|source| CdrError { path: dir.to_path_buf(), source })
}

/// Creates `dir` (with its parents) and the CDR file in it, and opens it for appending.
pub fn create(dir: &Path, started_ms: u64) -> Result<(PathBuf, File), CdrError> {
    let path = dir.join(file_name(started_ms));
    let opened = std::fs::create_dir_all(dir)
        .and_then(|()| OpenOptions::new().create(true).append(true).open(&path))
        .map_err(|source| CdrError { path: path.clone(), source })?;
    Ok((path, opened))
}

/// The running writer; [`CdrWriter::finish`] waits for what the closed bus still held.
pub struct CdrWriter {
    pub path: PathBuf,
    thread: JoinHandle<()>,
}

impl CdrWriter {
    /// Creates the file and starts writing every event published on `bus` from now on.
    pub fn start(dir: &Path, started_ms: u64, bus: &EventBus) -> Result<CdrWriter, CdrError> {
        let (path, file) = create(dir, started_ms)?;
        let subscription = bus.subscribe();
        let shown = path.clone();
        let thread = std::thread::Builder::new()
            .name("plenum-cdr".into())
            .spawn(move || write_all(subscription, file, &shown))
            .map_err(|source| CdrError { path: path.clone(), source })?;
        tracing::info!(path = %path.display(), "writing the CDR");
        Ok(CdrWriter { path, thread })
    }

    /// Waits until every event published before the bus closed is written.
    pub fn finish(self) {
        if self.thread.join().is_err() {
            tracing::error!(path = %self.path.display(), "the CDR writer panicked");
        }
    }
}

/// Writes lines as they come and flushes whenever the queue is empty, so the
/// file is current while the master is idle and written in batches when busy.
fn write_all(mut subscription: Subscription, file: File, path: &Path) {
    let mut out = BufWriter::new(file);
    while let Some(mut record) = subscription.blocking_recv() {
        loop {
            let line = record.cdr_line();
            if let Err(error) = writeln!(out, "{line}") {
                // Not silent: the line is in the log if it cannot be in the file.
                tracing::error!(path = %path.display(), %error, event = %line, "cannot write a CDR line");
            }
            match subscription.try_recv() {
                Some(next) => record = next,
                None => break,
            }
        }
        if let Err(error) = out.flush() {
            tracing::error!(path = %path.display(), %error, "cannot flush the CDR");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::event::{Event, SessionRef};

    #[test]
    fn the_file_and_its_missing_parents_are_made_at_start_and_every_event_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let cdr_dir = dir.path().join("a/b/cdr");
        let bus = EventBus::new();
        let writer = CdrWriter::start(&cdr_dir, 1_795_651_200_000, &bus).unwrap();
        assert_eq!(writer.path, cdr_dir.join("CDR.2026-11-26_1795651200000.log"));
        assert!(writer.path.exists(), "created before any event");
        for n in 0..100u64 {
            bus.publish(
                Event::SessionCreated { session: SessionRef { session_id: format!("s{n}"), created_at: n } }.at(n),
            );
        }
        bus.close();
        let path = writer.path.clone();
        writer.finish();
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[7], r#"{"sessionCreated":{"timestamp":7,"sessionId":"s7","uniqueSessionId":"s7_7"}}"#);
    }

    #[test]
    fn a_path_that_cannot_be_a_directory_names_the_key_and_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let error = create(&blocker.join("cdr"), 0).unwrap_err().to_string();
        assert!(error.starts_with("OPENVIDU_CDR_PATH: cannot create the CDR file or directory"), "{error}");
        assert!(error.contains(&blocker.display().to_string()), "{error}");
    }
}
