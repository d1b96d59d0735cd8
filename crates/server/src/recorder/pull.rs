//! The seam for nodes that do not share the master's filesystem: they write
//! under their own `--recording-root`, and after a stop their files are pulled
//! into `OPENVIDU_RECORDING_PATH/<id>/` (`docs/recording.md`, "Files on remote
//! nodes"). The implementation lives in `recording/remote_pull.rs`; until it is
//! installed, [`NoRemotePull`] refuses, and a recording on a remote node is
//! refused at its start (500, with that message) instead of pretending to work.

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

/// No remote pull installed.
pub struct NoRemotePull;

impl RemotePull for NoRemotePull {
    fn root<'a>(&'a self, node_id: &'a str) -> PullFuture<'a, PathBuf> {
        Box::pin(async move { Err(format!("media node {node_id} does not share the master's filesystem")) })
    }

    fn pull<'a>(&'a self, node_id: &'a str, _files: &'a [String], _into: &'a Path) -> PullFuture<'a, ()> {
        Box::pin(async move { Err(format!("files of remote media node {node_id} cannot be pulled yet")) })
    }
}
