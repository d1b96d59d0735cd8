//! The I/O side of a node's link ([`super::link_watch`] decides): one task per
//! node follows its client's connection state and the reconnection timeout, and
//! carries out recoveries and crashes (peer study §1.7, reference §6.1).
//!
//! A crash runs, in this order on the event bus: `nodeCrashed`; the sessions it
//! hosted closed with `nodeCrashed` (by the services, through the [`NodeLoss`]
//! handler, since the cluster may not use them); `mediaNodeStatusChanged` to
//! `terminating` and `terminated` as the node is retired (its client closed, its
//! process terminated when launched here) and forgotten.

use std::sync::{Arc, Weak};
use std::time::Duration;

use kurento_protocol::client::{ConnectionState, KurentoClient};

use super::link_watch::{Decision, Link, LinkWatch};
use super::node::MediaNode;
use super::service::ClusterService;
use crate::clock::now_ms;
use crate::events::{Event, EventRecord, NodeRef};

/// What the services must do about the sessions of a node the cluster lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeLoss {
    /// The node crashed (`nodeCrashed` is on the bus): close these sessions with `nodeCrashed`.
    Crashed { node: String, sessions: Vec<String> },
    /// The node came back without our media objects (it restarted; `nodeRecovered` is on
    /// the bus): their streams are gone (`mediaServerReconnect`) but the sessions stay.
    MediaLost { node: String, sessions: Vec<String> },
}

/// Installed by the services; called on the link's task, before the cluster goes on.
pub trait NodeLossHandler: Send + Sync {
    /// The recordings in progress of these sessions (listed in `nodeCrashed`).
    fn recordings_of(&self, sessions: &[String]) -> Vec<String>;
    /// Deal with the sessions of a lost node.
    fn node_lost(&self, loss: NodeLoss);
}

/// The four fields node events carry.
pub fn node_ref(node: &MediaNode) -> NodeRef {
    NodeRef {
        id: node.id.clone(),
        environment_id: node.environment_id.clone(),
        ip: node.ip.clone(),
        uri: node.uri.clone(),
    }
}

/// Follows a node's link until its client closes or the node is given up.
pub(super) async fn watch_link(cluster: Weak<ClusterService>, id: String, client: Arc<KurentoClient>, timeout_s: i64) {
    let mut state = client.connection_state();
    let mut watch = LinkWatch::new(timeout_s);
    loop {
        let wait = watch.deadline().map(|deadline| Duration::from_millis(deadline.saturating_sub(now_ms())));
        let decision = tokio::select! {
            changed = state.changed() => {
                if changed.is_err() {
                    return;
                }
                let link = match *state.borrow_and_update() {
                    ConnectionState::Connected => Link::Up { same_session: true },
                    ConnectionState::Reconnected { same_session } => Link::Up { same_session },
                    ConnectionState::Disconnected => Link::Down,
                    ConnectionState::Closed => return,
                };
                watch.link(link, now_ms())
            }
            _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() => watch.tick(now_ms()),
        };
        let Some(cluster) = cluster.upgrade() else { return };
        match decision {
            Decision::Nothing => {}
            Decision::Lost => cluster.link_lost(&id),
            Decision::Recovered { objects_lost } => cluster.link_recovered(&id, objects_lost),
            Decision::Crashed { lost_at } => {
                cluster.crashed(&id, lost_at).await;
                return;
            }
        }
    }
}

impl ClusterService {
    /// Installs what the services do with a lost node's sessions (once per generation).
    pub fn on_node_loss(&self, handler: Box<dyn NodeLossHandler>) {
        if self.loss_handler.set(handler).is_err() {
            tracing::warn!("a node loss handler was installed already");
        }
    }

    fn report_loss(&self, loss: NodeLoss) {
        match self.loss_handler.get() {
            Some(handler) => handler.node_lost(loss),
            None => tracing::warn!(?loss, "no node loss handler: the sessions are left as they are"),
        }
    }

    fn publish_event(&self, event: EventRecord) {
        tracing::info!(subject = %event.event.subject(), "{}", event.event.name());
        self.events.publish(event);
    }

    /// The link dropped: no new sessions on the node while the client retries.
    fn link_lost(&self, id: &str) {
        if self.registry().set_connected(id, false, now_ms()).is_ok() {
            tracing::warn!(%id, timeout_s = self.settings().reconnection_timeout_s, "media node lost; reconnecting");
        }
    }

    /// Back within the timeout: `nodeRecovered`, then (after a restart) its streams reset.
    fn link_recovered(&self, id: &str, objects_lost: bool) {
        let (node, sessions) = {
            let mut registry = self.registry();
            if registry.set_connected(id, true, now_ms()).is_err() {
                return;
            }
            let Ok(node) = registry.get(id) else { return };
            (node_ref(node), registry.sessions_of(id))
        };
        tracing::info!(%id, objects_lost, "media node recovered");
        self.publish_event(Event::NodeRecovered { node, cluster_id: self.settings().cluster_id.clone() }.at(now_ms()));
        if objects_lost && !sessions.is_empty() {
            self.report_loss(NodeLoss::MediaLost { node: id.to_string(), sessions });
        }
    }

    /// Given up: `nodeCrashed`, its sessions closed, and the node retired and forgotten.
    async fn crashed(self: &Arc<Self>, id: &str, lost_at: u64) {
        let (node, sessions) = {
            let registry = self.registry();
            let Ok(node) = registry.get(id) else { return };
            (node_ref(node), registry.sessions_of(id))
        };
        tracing::error!(%id, sessions = sessions.len(), "media node crashed: not back within the reconnection timeout");
        let crashed = Event::NodeCrashed {
            node,
            cluster_id: self.settings().cluster_id.clone(),
            session_ids: sessions.clone(),
            recording_ids: self.loss_handler.get().map(|h| h.recordings_of(&sessions)).unwrap_or_default(),
            broadcasts: Vec::new(),
            time_of_disconnection: lost_at,
        };
        self.publish_event(crashed.at(now_ms()));
        self.report_loss(NodeLoss::Crashed { node: id.to_string(), sessions });
        if let Err(error) = self.retire(id).await {
            tracing::error!(%id, %error, "terminating a crashed media node failed; forgetting it anyway");
            let _ = self.remove(id);
        }
    }
}
