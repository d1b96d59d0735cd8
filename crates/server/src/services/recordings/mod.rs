//! The recording service: starts and stops recordings on the session's node
//! (through [`crate::recorder`]), keeps the store, the `.recording.<id>` files,
//! the `recordingStatusChanged` events and the participants' notifications in
//! step, and follows the session (publishers coming and going, its close, its
//! node's loss, `recordingMode: ALWAYS`, the automatic stop).
//!
//! Status: `starting` (REST start in progress) → `started` → `stopped` (the stop
//! call or the session's end) → `ready` (files complete in
//! `OPENVIDU_RECORDING_PATH`) or `failed`. Lock order: conference, then the
//! recording store, then this service's own maps; node calls are never made
//! with a lock held.

mod announce;
mod autostop;
mod finish;
mod node_files;
mod observe;
mod runtime;
pub use node_files::NodeFiles;
mod start;
mod stop;

pub use autostop::run_recording_autostop;
pub use runtime::RecordingRuntime;
pub use start::StartFailure;
pub use stop::StopFailure;

use super::AppState;
use crate::recorder::{RemotePull, disk};
use crate::recording::RecordingStoreError;

impl AppState {
    /// Replaces how files of remote nodes are pulled (by default over their control port).
    pub fn set_remote_pull(&self, pull: std::sync::Arc<dyn RemotePull>) {
        self.shared.recorder.set_pull(pull);
    }

    /// Deletes a finished recording and its folder; one in progress is refused.
    pub async fn delete_recording(&self, id: &str) -> Result<(), RecordingStoreError> {
        self.recordings().remove(id)?;
        let root = self.config().recording_path.clone();
        let id = id.to_string();
        let removed = tokio::task::spawn_blocking(move || disk::remove_folder(&root, &id)).await;
        if let Ok(Err(error)) = removed {
            tracing::warn!(%error, "recording folder could not be removed");
        }
        Ok(())
    }

    /// Loads what a previous run left in `OPENVIDU_RECORDING_PATH` (startup).
    pub(super) fn load_recordings(&self) {
        if !self.config().recording {
            return;
        }
        let found = disk::load_all(&self.config().recording_path);
        if !found.is_empty() {
            tracing::info!(count = found.len(), "recordings of a previous run loaded");
        }
        let mut store = self.recordings();
        for recording in found {
            store.insert(recording);
        }
    }

    /// The URL a ready recording's file is served at.
    fn recording_url(&self, id: &str, file: &str) -> String {
        format!("{}/openvidu/recordings/{id}/{file}", self.public().http_url)
    }
}
