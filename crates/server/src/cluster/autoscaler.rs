//! The autoscaling loop of one generation: every
//! `OPENVIDU_PRO_CLUSTER_AUTOSCALING_INTERVAL` it takes the registry as it is,
//! asks [`decide`] and carries the decision out. The `autoscaling` event goes
//! onto the bus first, then the `mediaNodeStatusChanged` of each change, then
//! the launches (each publishes its own `launching`), as OpenVidu orders them.
//!
//! The loop runs inside the generation's background task, so a restart (which
//! aborts that task) stops it, and the next generation starts its own with the
//! limits it was configured with.

use std::sync::Arc;

use super::autoscaling::{Action, AutoscalingConfig, Decision, NodeState, decide};
use super::registry::{Registry, StatusChange};
use super::service::ClusterService;
use super::status::NodeStatus;
use crate::clock::now_ms;
use crate::events::{AutoscalingReport, Event};

impl ClusterService {
    /// Runs forever when autoscaling is on and nodes can be launched; returns at once otherwise.
    pub(super) async fn autoscale(self: &Arc<Self>) {
        let Some(config) = self.settings().autoscaling else { return };
        if !self.can_launch() {
            tracing::warn!(
                "OPENVIDU_PRO_CLUSTER_AUTOSCALING needs OPENVIDU_PRO_CLUSTER_MODE=auto with a launcher \
                 (OPENVIDU_PRO_CLUSTER_ENVIRONMENT=local); autoscaling is off"
            );
            return;
        }
        tracing::info!(
            max_nodes = config.max_nodes,
            min_nodes = config.min_nodes,
            max_load = config.max_load,
            min_load = config.min_load,
            interval_s = config.interval.as_secs(),
            "autoscaling on"
        );
        // The first round waits one interval: the startup nodes and the CPU samples come first.
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + config.interval, config.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            self.autoscale_once(config).await;
        }
    }

    /// One round: decides on the registry as it is and carries the decision out.
    /// Returns the report of what was decided, if anything.
    pub async fn autoscale_once(self: &Arc<Self>, config: AutoscalingConfig) -> Option<AutoscalingReport> {
        // Deciding and changing statuses under one lock: a session placed meanwhile
        // cannot land on a node that is being terminated for having none.
        let (decision, changes) = {
            let mut registry = self.registry();
            let decision = decide(&snapshot(&registry), config, now_ms())?;
            let changes = set_statuses(&mut registry, &decision);
            (decision, changes)
        };
        let Decision { report, actions, at } = decision;
        tracing::info!(reason = %report.reason, "autoscaling");
        let event = Event::Autoscaling { cluster_id: self.settings().cluster_id.clone(), report: report.clone() };
        self.bus().publish(event.at(at));
        let terminating: Vec<String> =
            changes.iter().filter(|c| c.new_status == NodeStatus::Terminating).map(|c| c.node.id.clone()).collect();
        self.publish(changes);
        for id in terminating {
            let cluster = self.clone();
            tokio::spawn(async move {
                if let Err(error) = cluster.retire(&id).await {
                    tracing::error!(%id, %error, "terminating a media node stopped by autoscaling failed");
                }
            });
        }
        let launches: usize = actions.iter().map(|a| if let Action::Launch(n) = a { *n } else { 0 }).sum();
        for _ in 0..launches {
            if let Err(error) = self.launch(false).await {
                tracing::error!(%error, "autoscaling could not launch a media node");
            }
        }
        Some(report)
    }
}

/// Every node with the number of sessions it hosts.
fn snapshot(registry: &Registry) -> Vec<NodeState> {
    registry
        .nodes()
        .map(|node| NodeState { node: node.clone(), sessions: registry.sessions_of(&node.id).len() })
        .collect()
}

/// Applies the decision's status changes; one refused (the node changed since) is skipped.
fn set_statuses(registry: &mut Registry, decision: &Decision) -> Vec<StatusChange> {
    let mut changes = Vec::new();
    for action in &decision.actions {
        let Action::SetStatus { id, to } = action else { continue };
        match registry.request_status(id, *to, now_ms()) {
            Ok(Some(change)) => changes.push(change),
            Ok(None) => {}
            Err(error) => tracing::warn!(%id, %error, "autoscaling skipped a status change"),
        }
    }
    changes
}
