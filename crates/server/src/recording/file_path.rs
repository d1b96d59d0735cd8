//! Where a recording's file is on disk: `<OPENVIDU_RECORDING_PATH>/<id>/<file>`,
//! checked so that no request reaches outside a recording's folder. Shared by the
//! REST file route and the Inspector's player, which serve the same files.

use std::path::{Path as FsPath, PathBuf};

/// One path segment that names something inside a folder.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !FsPath::new(name).is_absolute()
}

/// `<root>/<id>/<file>` with links resolved, if it is a regular file still inside `<root>/<id>`.
pub fn inside_folder(root: &FsPath, id: &str, file: &str) -> Option<PathBuf> {
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
