//! The recordings' files in `OPENVIDU_RECORDING_PATH`: one folder per
//! recording (`<path>/<id>/`), its `.recording.<id>` metadata (the Recording
//! JSON, rewritten atomically at each status change so a crash leaves the old
//! or the new one, never half), the INDIVIDUAL zip, and deletion.
//!
//! Blocking `std::fs` calls on small files; the zip runs on a blocking thread.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::recording::{Recording, RecordingStatus};

pub const METADATA_PREFIX: &str = ".recording.";

pub fn folder(root: &Path, id: &str) -> PathBuf {
    root.join(id)
}

/// Whether `<root>/<id>` exists (its id is then taken).
pub fn folder_exists(root: &Path, id: &str) -> bool {
    std::fs::symlink_metadata(folder(root, id)).is_ok()
}

pub fn create_folder(root: &Path, id: &str) -> std::io::Result<PathBuf> {
    let dir = folder(root, id);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes `<root>/<id>/.recording.<id>` through a temporary file and a rename.
pub fn write_metadata(root: &Path, recording: &Recording) -> std::io::Result<()> {
    let dir = create_folder(root, &recording.id)?;
    let name = format!("{METADATA_PREFIX}{}", recording.id);
    let temporary = dir.join(format!("{name}.tmp"));
    let body = serde_json::to_vec(&recording.to_json()).expect("recording JSON is serializable");
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&body)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, dir.join(name))
}

/// Every recording a previous run left under `root`. One found `starting` or
/// `started` was cut short by that run's end: it is `failed` now (and rewritten so).
pub fn load_all(root: &Path) -> Vec<Recording> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Ok(id) = entry.file_name().into_string() else { continue };
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path().join(format!("{METADATA_PREFIX}{id}"));
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let parsed = serde_json::from_slice(&bytes).ok().and_then(|json| Recording::from_json(&json));
        let Some(mut recording) = parsed.filter(|r| r.id == id) else {
            tracing::warn!(path = %path.display(), "unreadable recording metadata ignored");
            continue;
        };
        if recording.is_in_progress() {
            recording.status = RecordingStatus::Failed;
            if let Err(error) = write_metadata(root, &recording) {
                tracing::warn!(%error, id = %recording.id, "could not mark an interrupted recording failed");
            }
        }
        found.push(recording);
    }
    found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    found
}

/// Removes `<root>/<id>` and everything in it; a folder already gone is fine.
pub fn remove_folder(root: &Path, id: &str) -> std::io::Result<()> {
    match std::fs::remove_dir_all(folder(root, id)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// The size of `<dir>/<file>`, 0 when it is missing.
pub fn size_of(dir: &Path, file: &str) -> u64 {
    std::fs::metadata(dir.join(file)).map(|m| m.len()).unwrap_or(0)
}

/// Files this large (near 4 GiB) are written with ZIP64 sizes.
const ZIP64_THRESHOLD: u64 = 0xFFFF_0000;

/// Writes `<dir>/<zip>` holding `files` of `dir` (deflated), through a temporary file.
pub fn zip_files(dir: &Path, files: &[String], zip: &str) -> std::io::Result<u64> {
    let temporary = dir.join(format!(".{zip}.tmp"));
    {
        let out = std::fs::File::create(&temporary)?;
        let mut writer = zip::ZipWriter::new(out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for file in files {
            let mut input = match std::fs::File::open(dir.join(file)) {
                Ok(input) => input,
                Err(error) => {
                    tracing::warn!(folder = %dir.display(), %file, %error, "a recorded file is missing from the zip");
                    continue;
                }
            };
            // ZIP64 only where a file needs it: most unzip tools read both, some players' helpers only plain zip.
            let large = input.metadata().map(|m| m.len() >= ZIP64_THRESHOLD).unwrap_or(true);
            writer.start_file(file.as_str(), options.large_file(large)).map_err(std::io::Error::other)?;
            std::io::copy(&mut input, &mut writer)?;
        }
        writer.finish().map_err(std::io::Error::other)?.sync_all()?;
    }
    std::fs::rename(&temporary, dir.join(zip))?;
    Ok(size_of(dir, zip))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::test_recording;

    fn recording(id: &str, status: RecordingStatus) -> Recording {
        test_recording(id, "ses", status)
    }

    #[test]
    fn metadata_round_trips_and_interrupted_recordings_fail() {
        let root = tempfile::tempdir().unwrap();
        write_metadata(root.path(), &recording("ses", RecordingStatus::Ready)).unwrap();
        write_metadata(root.path(), &recording("ses~1", RecordingStatus::Started)).unwrap();
        std::fs::create_dir(root.path().join("other")).unwrap();
        std::fs::write(root.path().join("ses~1").join(".recording.wrong"), "{}").unwrap();
        let loaded = load_all(root.path());
        let statuses: Vec<_> = loaded.iter().map(|r| (r.id.as_str(), r.status)).collect();
        assert_eq!(statuses, [("ses", RecordingStatus::Ready), ("ses~1", RecordingStatus::Failed)]);
        assert_eq!(load_all(root.path())[1].status, RecordingStatus::Failed, "rewritten");
        assert!(folder_exists(root.path(), "other") && !folder_exists(root.path(), "nope"));
        remove_folder(root.path(), "ses").unwrap();
        remove_folder(root.path(), "ses").unwrap();
        assert!(!folder_exists(root.path(), "ses"));
    }

    #[test]
    fn zips_the_files_it_is_given() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.webm"), vec![7u8; 1000]).unwrap();
        std::fs::write(dir.path().join("n.json"), "{}").unwrap();
        let size = zip_files(dir.path(), &["a.webm".into(), "n.json".into(), "missing".into()], "n.zip").unwrap();
        assert!(size > 0);
        let archive = zip::ZipArchive::new(std::fs::File::open(dir.path().join("n.zip")).unwrap()).unwrap();
        let mut names: Vec<String> = archive.file_names().filter_map(Result::ok).map(|n| n.to_string()).collect();
        names.sort();
        assert_eq!(names, ["a.webm", "n.json"]);
    }
}
