//! The CDR writer: JSON lines `{"<event>": {...}}` in
//! `<OPENVIDU_CDR_PATH>/CDR.<yyyy-MM-dd>_<startup ms>.log`, a new file each day
//! and 30 days kept ([`CdrFiles`]).
//!
//! The directory and the first file are made at startup, as OpenVidu makes them,
//! so a path that cannot be written stops the master before any event is lost.
//! Writing happens on a thread of its own that drains a bus subscription:
//! file I/O never runs on the async runtime and never delays a call.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use super::bus::{EventBus, Subscription};
use super::cdr_files::CdrFiles;
use crate::clock::civil_date;

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

/// Creates `dir` (with its parents) and `name` in it, and opens it for appending.
fn open(dir: &Path, name: &str) -> Result<(PathBuf, File), CdrError> {
    let path = dir.join(name);
    let opened = std::fs::create_dir_all(dir)
        .and_then(|()| OpenOptions::new().create(true).append(true).open(&path))
        .map_err(|source| CdrError { path: path.clone(), source })?;
    Ok((path, opened))
}

/// The file being written: today's.
struct DailyFile {
    dir: PathBuf,
    files: CdrFiles,
    day: String,
    path: PathBuf,
    out: BufWriter<File>,
}

impl DailyFile {
    fn open(dir: &Path, files: CdrFiles, at: u64) -> Result<Self, CdrError> {
        let (path, file) = open(dir, &files.name_for(at))?;
        let daily = Self { dir: dir.to_path_buf(), files, day: civil_date(at), path, out: BufWriter::new(file) };
        daily.delete_expired(at);
        Ok(daily)
    }

    /// Moves to the file of the day `at` falls on, if that day is later than the
    /// current one (an event stamped a little earlier stays in today's file).
    fn roll_to(&mut self, at: u64) {
        if civil_date(at) <= self.day {
            return;
        }
        self.flush();
        match DailyFile::open(&self.dir, self.files, at) {
            Ok(next) => {
                tracing::info!(from = %self.path.display(), to = %next.path.display(), "CDR rolled to a new day");
                *self = next;
            }
            // Not silent, and nothing lost: the lines keep going to the previous file.
            Err(error) => tracing::error!(%error, "cannot open the CDR file of a new day; still writing the old one"),
        }
    }

    fn write(&mut self, line: &str) {
        if let Err(error) = writeln!(self.out, "{line}") {
            // Not silent: the line is in the log if it cannot be in the file.
            tracing::error!(path = %self.path.display(), %error, event = %line, "cannot write a CDR line");
        }
    }

    fn flush(&mut self) {
        if let Err(error) = self.out.flush() {
            tracing::error!(path = %self.path.display(), %error, "cannot flush the CDR");
        }
    }

    /// Deletes the CDR files older than the days kept.
    fn delete_expired(&self, now: u64) {
        let names: Vec<String> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries.filter_map(Result::ok).filter_map(|e| e.file_name().into_string().ok()).collect(),
            Err(error) => {
                tracing::warn!(dir = %self.dir.display(), %error, "cannot list the CDR directory to delete old files");
                return;
            }
        };
        for name in self.files.expired(names.iter().map(String::as_str), now) {
            let path = self.dir.join(name);
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::info!(path = %path.display(), "deleted a CDR file older than 30 days"),
                Err(error) => tracing::warn!(path = %path.display(), %error, "cannot delete an old CDR file"),
            }
        }
    }
}

/// The running writer; [`CdrWriter::finish`] waits for what the closed bus still held.
pub struct CdrWriter {
    /// The file made at startup.
    pub path: PathBuf,
    thread: JoinHandle<()>,
}

impl CdrWriter {
    /// Creates today's file and starts writing every event published on `bus` from now on.
    pub fn start(dir: &Path, started_ms: u64, bus: &EventBus) -> Result<CdrWriter, CdrError> {
        let daily = DailyFile::open(dir, CdrFiles { started_ms }, started_ms)?;
        let path = daily.path.clone();
        let subscription = bus.subscribe();
        let thread = std::thread::Builder::new()
            .name("plenum-cdr".into())
            .spawn(move || write_all(subscription, daily))
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

/// Writes lines as they come, each into the file of its day, and flushes whenever
/// the queue is empty, so the file is current while the master is idle and
/// written in batches when busy.
fn write_all(mut subscription: Subscription, mut daily: DailyFile) {
    while let Some(mut record) = subscription.blocking_recv() {
        loop {
            daily.roll_to(record.timestamp);
            daily.write(&record.cdr_line());
            match subscription.try_recv() {
                Some(next) => record = next,
                None => break,
            }
        }
        daily.flush();
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
        let error = open(&blocker.join("cdr"), "CDR.x_0.log").unwrap_err().to_string();
        assert!(error.starts_with("OPENVIDU_CDR_PATH: cannot create the CDR file or directory"), "{error}");
        assert!(error.contains(&blocker.display().to_string()), "{error}");
    }

    #[test]
    fn a_new_day_opens_a_new_file_and_files_older_than_thirty_days_are_deleted() {
        const DAY: u64 = 86_400_000;
        let dir = tempfile::tempdir().unwrap();
        let started = 1_795_651_200_000 + 1_000; // 2026-11-26
        std::fs::write(dir.path().join("CDR.2026-10-27_5.log"), "old\n").unwrap();
        std::fs::write(dir.path().join("CDR.2026-10-28_5.log"), "kept\n").unwrap();
        std::fs::write(dir.path().join("CDR.2026-10-01.txt"), "not a CDR file\n").unwrap();
        let bus = EventBus::new();
        let writer = CdrWriter::start(dir.path(), started, &bus).unwrap();
        assert!(!dir.path().join("CDR.2026-10-27_5.log").exists(), "31 days old: deleted at startup");
        assert!(dir.path().join("CDR.2026-10-28_5.log").exists());
        let created = |n: u64, at: u64| {
            Event::SessionCreated { session: SessionRef { session_id: format!("s{n}"), created_at: at } }.at(at)
        };
        bus.publish(created(1, started + 10));
        bus.publish(created(2, started + DAY)); // 2026-11-27
        bus.publish(created(3, started + DAY - 5_000)); // stamped a little earlier: stays in the new file
        bus.publish(created(4, started + 2 * DAY)); // 2026-11-28: 2026-10-28 is now 31 days back
        bus.close();
        writer.finish();
        let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
        let suffix = format!("_{started}.log");
        assert_eq!(read(&format!("CDR.2026-11-26{suffix}")).lines().count(), 1);
        let second = read(&format!("CDR.2026-11-27{suffix}"));
        assert!(second.contains("\"s2\"") && second.contains("\"s3\""), "{second}");
        assert!(read(&format!("CDR.2026-11-28{suffix}")).contains("\"s4\""));
        assert!(!dir.path().join("CDR.2026-10-28_5.log").exists(), "deleted when the 28th opened");
        assert!(dir.path().join("CDR.2026-10-01.txt").exists(), "only CDR files are deleted");
    }
}
