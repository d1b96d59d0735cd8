//! The recordings known to the master: those of this run, and those a previous
//! run left in `OPENVIDU_RECORDING_PATH` (loaded at startup). The recording
//! service (`services::recordings`) changes them; the REST API reads them.

use indexmap::IndexMap;

use super::object::{Recording, RecordingStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordingStoreError {
    #[error("recording not found")]
    NotFound,
    #[error("recording is in progress")]
    InProgress,
}

#[derive(Debug, Default)]
pub struct RecordingStore {
    recordings: IndexMap<String, Recording>,
}

impl RecordingStore {
    pub fn insert(&mut self, recording: Recording) {
        self.recordings.insert(recording.id.clone(), recording);
    }

    pub fn get(&self, id: &str) -> Option<&Recording> {
        self.recordings.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Recording> {
        self.recordings.get_mut(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.recordings.contains_key(id)
    }

    /// The recording in progress of `session_id`, if any.
    pub fn active_of(&self, session_id: &str) -> Option<&Recording> {
        self.recordings.values().find(|r| r.session_id == session_id && r.is_in_progress())
    }

    /// `(id, session)` of every recording in progress.
    pub fn in_progress(&self) -> Vec<(String, String)> {
        self.recordings.values().filter(|r| r.is_in_progress()).map(|r| (r.id.clone(), r.session_id.clone())).collect()
    }

    pub fn list(&self) -> impl Iterator<Item = &Recording> {
        self.recordings.values()
    }

    /// Whether `session_id` is being recorded right now.
    pub fn is_recording(&self, session_id: &str) -> bool {
        self.active_of(session_id).is_some()
    }

    /// The recordings of `sessions` in progress.
    pub fn in_progress_of(&self, sessions: &[String]) -> Vec<String> {
        let active = |r: &&Recording| matches!(r.status, RecordingStatus::Starting | RecordingStatus::Started);
        self.recordings
            .values()
            .filter(active)
            .filter(|r| sessions.contains(&r.session_id))
            .map(|r| r.id.clone())
            .collect()
    }

    /// Their media node crashed: the recordings in progress of `sessions` are lost (`failed`).
    /// Returns their ids.
    pub fn fail_in_progress(&mut self, sessions: &[String]) -> Vec<String> {
        let failed = self.in_progress_of(sessions);
        for id in &failed {
            if let Some(recording) = self.recordings.get_mut(id) {
                recording.status = RecordingStatus::Failed;
            }
        }
        failed
    }

    /// Deletes a finished recording; one in progress must be stopped first.
    pub fn remove(&mut self, id: &str) -> Result<Recording, RecordingStoreError> {
        match self.recordings.get(id).map(|r| r.status) {
            None => Err(RecordingStoreError::NotFound),
            Some(RecordingStatus::Starting | RecordingStatus::Started) => Err(RecordingStoreError::InProgress),
            Some(_) => Ok(self.recordings.shift_remove(id).expect("present")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recording::test_recording;

    fn recording(id: &str, status: RecordingStatus) -> Recording {
        test_recording(id, "ses_A", status)
    }

    #[test]
    fn in_progress_recordings_cannot_be_deleted() {
        let mut store = RecordingStore::default();
        store.insert(recording("ses_A", RecordingStatus::Started));
        assert!(store.is_recording("ses_A"));
        assert_eq!(store.remove("ses_A").unwrap_err(), RecordingStoreError::InProgress);
        store.insert(recording("ses_A", RecordingStatus::Ready));
        assert!(!store.is_recording("ses_A"));
        assert!(store.remove("ses_A").is_ok());
        assert_eq!(store.remove("ses_A").unwrap_err(), RecordingStoreError::NotFound);
        assert_eq!(store.list().count(), 0);
    }

    #[test]
    fn a_crash_fails_only_the_recordings_in_progress_of_its_sessions() {
        let mut store = RecordingStore::default();
        store.insert(recording("ses_A", RecordingStatus::Started));
        store.insert(Recording { id: "ses_A~1".into(), ..recording("", RecordingStatus::Ready) });
        store.insert(Recording {
            id: "ses_B".into(),
            session_id: "ses_B".into(),
            ..recording("", RecordingStatus::Started)
        });
        assert_eq!(store.fail_in_progress(&["ses_A".into()]), ["ses_A"]);
        assert_eq!(store.get("ses_A").unwrap().status, RecordingStatus::Failed);
        assert_eq!(store.get("ses_A~1").unwrap().status, RecordingStatus::Ready);
        assert_eq!(store.get("ses_B").unwrap().status, RecordingStatus::Started);
        assert!(store.fail_in_progress(&["ses_A".into()]).is_empty());
    }
}
