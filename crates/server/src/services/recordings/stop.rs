//! Stopping a recording: by REST (`recordingStoppedByServer`), by the session's
//! end (its reason), by the automatic stop (`automaticStop`). The status turns
//! `stopped` at once (so a second stop is a 409) and the event and the
//! participants' `recordingStopped` go out; the node's files are then finished
//! in a task ([`super::finish`]) that always ends, `ready` or `failed`.

use tokio::task::JoinHandle;

use crate::conference::Conference;
use crate::events::EndReason;
use crate::recording::{Recording, RecordingStatus};
use crate::services::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopFailure {
    /// 404
    NotFound,
    /// 406: still `starting`.
    Starting,
    /// 409: not in progress.
    NotInProgress,
}

impl AppState {
    /// Stops recording `id` and answers once its files are finished (`ready` or `failed`).
    pub async fn stop_recording(&self, id: &str, reason: EndReason) -> Result<Recording, StopFailure> {
        let finishing = {
            let conference = self.conference();
            self.begin_stop(id, reason, &conference)?
        };
        match finishing.await {
            Ok(recording) => Ok(recording),
            // The finishing task panicked: the recording cannot become ready any more.
            Err(error) => {
                tracing::error!(%id, %error, "finishing the recording failed");
                let failed = {
                    let mut recordings = self.recordings();
                    let recording = recordings.get_mut(id).ok_or(StopFailure::NotFound)?;
                    recording.status = RecordingStatus::Failed;
                    recording.clone()
                };
                self.persist(&failed);
                Ok(failed)
            }
        }
    }

    /// The synchronous half of a stop: `stopped`, announced, the finishing task spawned.
    /// `conference` is the locked conference (the caller holds it).
    pub(super) fn begin_stop(
        &self,
        id: &str,
        reason: EndReason,
        conference: &Conference,
    ) -> Result<JoinHandle<Recording>, StopFailure> {
        let recording = {
            let mut store = self.recordings();
            let recording = store.get_mut(id).ok_or(StopFailure::NotFound)?;
            match recording.status {
                RecordingStatus::Starting => return Err(StopFailure::Starting),
                RecordingStatus::Started => {}
                _ => return Err(StopFailure::NotInProgress),
            }
            recording.status = RecordingStatus::Stopped;
            recording.duration = crate::clock::now_ms().saturating_sub(recording.created_at) as f64 / 1000.0;
            recording.clone()
        };
        let live = self.shared.recorder.take(id);
        let created = live.as_ref().map_or(0, |l| l.session_created_at);
        tracing::info!(%id, reason = %crate::openvidu_enums::WireEnum::as_str(reason), "recording stopping");
        self.announce(&recording, created, "stopped", Some(reason));
        self.notify_participants(conference, &recording, Some(reason));
        self.persist(&recording);
        let state = self.clone();
        Ok(tokio::spawn(async move { state.finish(recording, live, reason).await }))
    }

    /// The recordings in progress of `sessions` are lost with their node (`nodeCrashed`,
    /// `mediaServerReconnect`): `failed` at once, nothing asked of the node. Returns their ids.
    pub(crate) fn fail_recordings_of(&self, sessions: &[String], reason: EndReason) -> Vec<String> {
        let mut conference = self.conference();
        let failed: Vec<Recording> = {
            let mut store = self.recordings();
            let ids = store.fail_in_progress(sessions);
            ids.iter().filter_map(|id| store.get(id).cloned()).collect()
        };
        for recording in &failed {
            conference.set_recording(&recording.session_id, false);
        }
        drop(conference);
        for recording in &failed {
            let live = self.shared.recorder.take(&recording.id);
            self.announce(recording, live.map_or(0, |l| l.session_created_at), "failed", Some(reason));
            self.persist(recording);
        }
        failed.into_iter().map(|r| r.id).collect()
    }
}
