//! The master's metrics snapshot, counted when `/metrics` is scraped.

use super::AppState;
use crate::metrics_text::{MasterSnapshot, WebhookFigures};
use crate::openvidu_enums::WireEnum;

impl AppState {
    pub fn metrics_snapshot(&self) -> MasterSnapshot {
        let mut snapshot = MasterSnapshot::default();
        {
            let conference = self.conference();
            for session in conference.store().sessions() {
                snapshot.sessions += 1;
                for connection in session.connections.values() {
                    let state = if connection.participant.is_some() { "active" } else { "pending" };
                    *snapshot.connections.entry(state).or_default() += 1;
                    if let Some(participant) = &connection.participant {
                        snapshot.publishers += participant.publishers.len() as u64;
                        snapshot.subscribers += participant.subscribers.len() as u64;
                    }
                }
            }
        }
        for recording in self.recordings().list() {
            *snapshot.recordings.entry(recording.status.as_str().to_string()).or_default() += 1;
        }
        for node in self.cluster().registry().nodes() {
            *snapshot.media_nodes.entry(node.status.as_str().to_string()).or_default() += 1;
        }
        snapshot.webhooks = self.webhook_stats().map(|c| WebhookFigures {
            queued: c.queued,
            sent: c.sent,
            failed_attempts: c.failed_attempts,
            dropped: c.dropped,
        });
        snapshot
    }
}
