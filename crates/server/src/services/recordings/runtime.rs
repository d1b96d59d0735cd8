//! The recording service's own state, beside the store: the node objects of
//! each recording in progress, the stops a closing session's pipeline waits
//! for, the automatic-stop rule and the remote pull.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use tokio::task::JoinHandle;

use crate::recorder::{ActiveRecording, RemotePull};
use crate::recording::Autostop;

/// The node objects of one recording, behind an async lock: the start holds it
/// while it builds them, so a stream published meanwhile is added after.
pub(super) type Slot = Arc<tokio::sync::Mutex<Option<ActiveRecording>>>;

#[derive(Clone)]
pub(super) struct Live {
    pub slot: Slot,
    /// `uniqueSessionId` of its events is `<sessionId>_<created at>`.
    pub session_created_at: u64,
    pub node: String,
    /// Whether the node writes straight into `OPENVIDU_RECORDING_PATH`.
    pub local: bool,
    /// The recording's folder as the node sees it.
    pub node_folder: PathBuf,
}

pub struct RecordingRuntime {
    live: Mutex<HashMap<String, Live>>,
    /// session → the stop its pipeline's release must wait for
    closing: Mutex<HashMap<String, JoinHandle<()>>>,
    pull: RwLock<Arc<dyn RemotePull>>,
    autostop: Mutex<Autostop>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl RecordingRuntime {
    pub fn new(autostop_timeout_s: u64, pull: Arc<dyn RemotePull>) -> Self {
        Self {
            live: Mutex::default(),
            closing: Mutex::default(),
            pull: RwLock::new(pull),
            autostop: Mutex::new(Autostop::new(autostop_timeout_s)),
        }
    }

    pub(super) fn set_pull(&self, pull: Arc<dyn RemotePull>) {
        *self.pull.write().unwrap_or_else(|p| p.into_inner()) = pull;
    }

    pub(super) fn pull(&self) -> Arc<dyn RemotePull> {
        self.pull.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(super) fn insert(&self, id: &str, live: Live) {
        lock(&self.live).insert(id.to_string(), live);
    }

    pub(super) fn get(&self, id: &str) -> Option<Live> {
        lock(&self.live).get(id).cloned()
    }

    pub(super) fn take(&self, id: &str) -> Option<Live> {
        lock(&self.live).remove(id)
    }

    pub(super) fn set_closing(&self, session: &str, stop: JoinHandle<()>) {
        lock(&self.closing).insert(session.to_string(), stop);
    }

    pub(super) fn take_closing(&self, session: &str) -> Option<JoinHandle<()>> {
        lock(&self.closing).remove(session)
    }

    pub(super) fn autostop(&self) -> MutexGuard<'_, Autostop> {
        lock(&self.autostop)
    }
}
