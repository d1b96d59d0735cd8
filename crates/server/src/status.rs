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

    /// The status after one more restart, finished at `now`. The start time stays
    /// the process's: a restart rebuilds the services, not the process.
    pub fn restarted(&self, now: u64) -> Self {
        Self { start_time: self.start_time, restart_counter: self.restart_counter + 1, last_restart_time: now }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_counts_and_keeps_the_start_time() {
        let started = ServerStatus::started(1_000);
        let once = started.restarted(2_000);
        assert_eq!(once, ServerStatus { start_time: 1_000, restart_counter: 1, last_restart_time: 2_000 });
        assert_eq!(once.restarted(3_000).restart_counter, 2);
        assert_eq!(
            serde_json::to_value(once).unwrap(),
            serde_json::json!({"startTime": 1_000, "restartCounter": 1, "lastRestartTime": 2_000})
        );
    }
}
