//! Writing the config file so that a crash leaves either the old file or the
//! new one, never a mix.
//!
//! The new content goes to a temporary file in the same directory (so the
//! rename cannot cross file systems), which is flushed to disk before it is
//! renamed over the target; the directory is then flushed so the rename itself
//! survives a power loss. If any step fails, the temporary file is removed and
//! the target is untouched.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT_TEMP: AtomicU32 = AtomicU32::new(0);

/// Replaces the file at `path` with `contents`, atomically. A symbolic link is
/// followed, so the file it points to is replaced and the link stays. A new
/// file is created readable by its owner only (it holds secrets); an existing
/// one keeps its permissions.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    write_with(path, |file| file.write_all(contents))
}

/// [`write_atomically`] with the writing step given by the caller (tests inject failures through it).
fn write_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let target = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(error) if error.kind() == io::ErrorKind::NotFound => path.to_path_buf(),
        Err(error) => return Err(error),
    };
    let directory = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{} does not name a file", path.display()))
    })?;
    let existing_permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());

    let (temp_path, mut file) = create_temp(&directory, &name.to_string_lossy())?;
    let written = (|| {
        if let Some(permissions) = existing_permissions {
            file.set_permissions(permissions)?;
        }
        fill(&mut file)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp_path, &target)
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temp_path);
        return Err(error);
    }
    sync_directory(&directory)
}

/// Creates `.<name>.tmp-<pid>-<n>` next to the target; never reuses an existing file.
fn create_temp(directory: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let mut attempt = 0u32;
    loop {
        let serial = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
        let candidate = directory.join(format!(".{name}.tmp-{}-{serial}", std::process::id()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&candidate) {
            Ok(file) => return Ok((candidate, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(error) => return Err(error),
        }
    }
}

#[cfg(unix)]
fn sync_directory(directory: &Path) -> io::Result<()> {
    File::open(directory)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_directory: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(directory: &Path) -> Vec<String> {
        std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().to_string())
            .filter(|name| name.contains(".tmp-"))
            .collect()
    }

    #[test]
    fn replaces_the_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plenum.env");
        std::fs::write(&path, "A=1\n").unwrap();
        write_atomically(&path, b"A=2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "A=2\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn creates_a_missing_file_private_to_its_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.env");
        write_atomically(&path, b"A=1\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "A=1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_permissions_of_an_existing_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plenum.env");
        std::fs::write(&path, "A=1\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"A=2\n").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_keeps_pointing_at_the_updated_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.env");
        let link = dir.path().join("link.env");
        std::fs::write(&real, "A=1\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_atomically(&link, b"A=2\n").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "A=2\n");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plenum.env");
        std::fs::write(&path, "# comment\nA=1\n").unwrap();
        let error = write_with(&path, |file| {
            file.write_all(b"# comment\nA=")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# comment\nA=1\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory where the file should be: the rename fails (even for root).
        let path = dir.path().join("plenum.env");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), "x").unwrap();
        assert!(write_atomically(&path, b"A=1\n").is_err());
        assert!(path.join("inside").exists());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_directory_is_an_error_and_the_file_is_unchanged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plenum.env");
        std::fs::write(&path, "A=1\n").unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        // Root ignores directory permissions; the test then has nothing to check.
        let enforced = File::create(dir.path().join("probe")).is_err();
        let result = write_atomically(&path, b"A=2\n");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        if enforced {
            assert_eq!(result.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
            assert_eq!(std::fs::read_to_string(&path).unwrap(), "A=1\n");
            assert!(leftovers(dir.path()).is_empty());
        }
    }
}
