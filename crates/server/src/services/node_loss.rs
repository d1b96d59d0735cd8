//! What the services do when the cluster loses a media node
//! ([`crate::cluster::crash`]): the cluster may not use the services, so it
//! reports through the [`NodeLossHandler`] installed here.
//!
//! A crashed node's sessions close with `nodeCrashed` (participants evicted,
//! end events, media and placements released) and their recordings in
//! progress are marked `failed`; a node that came back restarted has its
//! sessions' streams ended with `mediaServerReconnect`.

use std::sync::{Arc, Weak};

use super::{AppState, Shared};
use crate::cluster::crash::{NodeLoss, NodeLossHandler};
use crate::events::EndReason;

/// Holds the services weakly: the cluster is theirs, and must not keep them alive.
struct Handler(Weak<Shared>);

impl Handler {
    fn state(&self) -> Option<AppState> {
        self.0.upgrade().map(|shared| AppState { shared })
    }
}

impl NodeLossHandler for Handler {
    fn recordings_of(&self, sessions: &[String]) -> Vec<String> {
        self.state().map(|state| state.recordings().in_progress_of(sessions)).unwrap_or_default()
    }

    fn node_lost(&self, loss: NodeLoss) {
        let Some(state) = self.state() else { return };
        match loss {
            NodeLoss::Crashed { node, sessions } => {
                // The recordings fail first: their events come before the sessions' end events.
                let failed = state.fail_recordings_of(&sessions, EndReason::NodeCrashed);
                state.decide(|conference, now| (conference.close_sessions(&sessions, EndReason::NodeCrashed, now), ()));
                tracing::warn!(%node, ?sessions, ?failed, reason = "nodeCrashed", "sessions of a crashed media node closed");
            }
            NodeLoss::MediaLost { node, sessions } => {
                // The node restarted: the recorders went with its objects.
                let failed = state.fail_recordings_of(&sessions, EndReason::MediaServerReconnect);
                if !failed.is_empty() {
                    tracing::warn!(%node, ?failed, reason = "mediaServerReconnect", "recordings of a restarted media node failed");
                }
                state.decide(|conference, now| (conference.media_server_reconnected(&sessions, now), ()));
                tracing::warn!(%node, ?sessions, reason = "mediaServerReconnect", "streams of a restarted media node ended");
            }
        }
    }
}

/// Makes `state` the one that deals with its cluster's lost nodes.
pub(super) fn install(state: &AppState) {
    let handler = Handler(Arc::downgrade(&state.shared));
    state.cluster().on_node_loss(Box::new(handler));
}
