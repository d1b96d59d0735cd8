//! The seam for nodes that do not share the master's filesystem: they write
//! under their own `--recording-root`, and after a stop their files are pulled
//! into `OPENVIDU_RECORDING_PATH/<id>/` (`docs/recording.md`, "Files on remote
//! nodes"). `services::recordings::NodeFiles` implements it over the nodes'
//! control ports with [`super::remote_files`]; a node that serves no files
//! (no `PLENUM_NODE_SECRET`) makes its recordings fail at the start (500, naming
//! the reason) instead of pretending to work.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

pub type PullFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

pub trait RemotePull: Send + Sync {
    /// The folder under which the node `node_id` writes (its `recordingRoot`).
    fn root<'a>(&'a self, node_id: &'a str) -> PullFuture<'a, PathBuf>;

    /// Brings `files` (paths relative to the node's root, `<id>/<file>`) into `into`
    /// (`OPENVIDU_RECORDING_PATH/<id>/`), checked and atomically, then deletes the node's copies.
    fn pull<'a>(&'a self, node_id: &'a str, files: &'a [String], into: &'a Path) -> PullFuture<'a, ()>;
}
