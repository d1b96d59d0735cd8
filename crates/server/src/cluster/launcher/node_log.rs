//! Each launched node writes its standard output and standard error to
//! `<cluster path>/local-nodes/<pid>.log`, so what a node said before it
//! failed or was terminated can still be read, and so the node does not
//! depend on the master that started it: a pipe to the master would break
//! when that master restarts, while the file stays.
//!
//! The pid is only known once the node runs, so the file is opened under a
//! temporary name, handed to the node, and renamed; the node keeps writing to
//! the same file. The master learns the node's URI from the announcement line
//! in this file (`plenum-media-node listening on ws://…`, printed once on
//! standard output).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// What the node prints once it listens, before its control URI.
const ANNOUNCEMENT: &str = "plenum-media-node listening on ";

static NEXT_LOG: AtomicU32 = AtomicU32::new(0);

/// The log file of the node `pid` in the records directory.
pub fn log_path(records: &Path, pid: &str) -> PathBuf {
    records.join(format!("{pid}.log"))
}

/// A new, empty log under a temporary name, opened for appending (the node's
/// standard output and standard error share it without overwriting each other).
pub fn create(records: &Path) -> io::Result<(PathBuf, File)> {
    let serial = NEXT_LOG.fetch_add(1, Ordering::Relaxed);
    let path = records.join(format!(".launching-{}-{serial}.log", std::process::id()));
    let file = OpenOptions::new().append(true).create(true).open(&path)?;
    file.set_len(0)?;
    Ok((path, file))
}

/// Gives the log of a started node its final name, replacing the log of an
/// earlier node that had the same pid. On failure the log keeps its temporary
/// name, which is returned.
pub fn name_after(temporary: PathBuf, records: &Path, pid: &str) -> Result<PathBuf, (PathBuf, io::Error)> {
    let path = log_path(records, pid);
    match std::fs::rename(&temporary, &path) {
        Ok(()) => Ok(path),
        Err(error) => Err((temporary, error)),
    }
}

/// The control URI of the first announcement line in a log's text, once the line is complete.
pub fn announced_uri(log: &str) -> Option<&str> {
    let mut lines = log.split_inclusive('\n').filter(|line| line.ends_with('\n'));
    let uri = lines.find_map(|line| line.trim_end().strip_prefix(ANNOUNCEMENT))?;
    Some(uri.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_announcement_among_log_lines() {
        let log = "2025-01-01T00:00:00Z  INFO media node control listening local_addr=127.0.0.1:4000\n\
                   plenum-media-node listening on ws://127.0.0.1:4000/kurento\n\
                   2025-01-01T00:00:00Z  INFO media worker started worker=0\n";
        assert_eq!(announced_uri(log), Some("ws://127.0.0.1:4000/kurento"));
        assert_eq!(announced_uri(""), None);
        assert_eq!(announced_uri("INFO starting\n"), None);
        // A line still being written is not read yet.
        assert_eq!(announced_uri("plenum-media-node listening on ws://127.0"), None);
    }

    #[test]
    fn a_log_is_created_empty_then_named_after_its_node() {
        let dir = tempfile::tempdir().unwrap();
        let (temporary, file) = create(dir.path()).unwrap();
        assert_eq!(file.metadata().unwrap().len(), 0);
        std::fs::write(log_path(dir.path(), "42"), "an older node's log").unwrap();
        let named = name_after(temporary.clone(), dir.path(), "42").unwrap();
        assert_eq!(named, dir.path().join("42.log"));
        assert!(!temporary.exists());
        assert_eq!(std::fs::read_to_string(&named).unwrap(), "");
        let missing = dir.path().join("gone.log");
        let (kept, _) = name_after(missing.clone(), dir.path(), "43").unwrap_err();
        assert_eq!(kept, missing);
    }
}
