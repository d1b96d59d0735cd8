//! Start and restart bookkeeping, served by `GET /openvidu/api/status`.
//!
//! Clients (OpenVidu's e2e suite among them) detect a finished restart by
//! watching `restartCounter` grow.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    /// When the process started, ms since the epoch.
    pub start_time: u64,
    pub restart_counter: u64,
    /// When the last restart finished; 0 if there was none.
    pub last_restart_time: u64,
}

impl ServerStatus {
    pub fn started(now: u64) -> Self {
        Self { start_time: now, restart_counter: 0, last_restart_time: 0 }
    }
}
