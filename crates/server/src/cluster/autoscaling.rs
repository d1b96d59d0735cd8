//! Autoscaling decisions, OpenVidu Pro 2.15+ semantics (peer-systems §1.6).
//! Pure: one look at the nodes and the limits gives at most one [`Decision`],
//! the `autoscaling` event's report and the status changes and launches that
//! carry it out. The loop that samples and applies it is `autoscaler.rs`.
//!
//! The arithmetic is OpenVidu's: `totalLoad` sums the CPU of `running` and
//! `waiting-idle-to-terminate` nodes, `numNodes` counts `running` and
//! `launching` ones, and `avgLoad = totalLoad / numNodes`. A launching node is
//! in the divisor but adds no load, so the average drops as soon as a launch
//! starts and the next round does not launch again for the same load.

use std::time::Duration;

use super::autoscaling_reason;
use super::node::MediaNode;
use super::status::NodeStatus;
use crate::config::{Config, keys};
use crate::events::{AutoscalingLimits, AutoscalingReport, ClusterFigures, NodeSummary};
use crate::openvidu_enums::WireEnum;

/// The five `OPENVIDU_PRO_CLUSTER_AUTOSCALING_*` limits and how often they are applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoscalingConfig {
    pub max_nodes: usize,
    pub min_nodes: usize,
    /// Average CPU percent above which nodes are added.
    pub max_load: f64,
    /// Average CPU percent below which nodes are removed.
    pub min_load: f64,
    /// `OPENVIDU_PRO_CLUSTER_AUTOSCALING_INTERVAL`.
    pub interval: Duration,
}

/// The limits when `OPENVIDU_PRO_CLUSTER_AUTOSCALING=true`, else `None`.
pub fn config_from(config: &Config) -> Option<AutoscalingConfig> {
    let settings = &config.settings;
    settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING).then(|| AutoscalingConfig {
        max_nodes: settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES).max(0) as usize,
        min_nodes: settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES).max(0) as usize,
        max_load: settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD) as f64,
        min_load: settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD) as f64,
        interval: Duration::from_secs(settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_INTERVAL).max(1) as u64),
    })
}

impl AutoscalingConfig {
    fn limits(&self) -> AutoscalingLimits {
        AutoscalingLimits {
            max_nodes: self.max_nodes as i64,
            min_nodes: self.min_nodes as i64,
            max_avg_load: self.max_load,
            min_avg_load: self.min_load,
        }
    }
}

/// A node as a decision sees it: its record and how many sessions it hosts
/// (an idle node stops at once, a busy one drains).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeState {
    pub node: MediaNode,
    pub sessions: usize,
}

/// One step of carrying out a decision.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A status change, always one an operator could ask for too.
    SetStatus { id: String, to: NodeStatus },
    /// Brand-new nodes, launched after the status changes.
    Launch(usize),
}

/// What one autoscaling round does, and the event that announces it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub report: AutoscalingReport,
    /// In order: status changes first, then launches.
    pub actions: Vec<Action>,
    /// When it was decided (the event's timestamp).
    pub at: u64,
}

/// Why the cluster is resized: the reason sentence names one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
    /// Fewer nodes than `MIN_NODES`.
    BelowMinNodes,
    /// More nodes than `MAX_NODES`.
    AboveMaxNodes,
    /// Average load above `MAX_LOAD`.
    Overloaded,
    /// Average load below `MIN_LOAD`.
    Underloaded,
}

/// Decides whether the cluster grows or shrinks now; `None` leaves it as it is
/// (and no event is sent).
pub fn decide(nodes: &[NodeState], config: AutoscalingConfig, now: u64) -> Option<Decision> {
    let figures = figures(nodes);
    let target = target(&figures, &config);
    let (cause, plan) = if target > figures.num_nodes {
        let cause = if figures.num_nodes < config.min_nodes { Cause::BelowMinNodes } else { Cause::Overloaded };
        (cause, grow(nodes, target - figures.num_nodes))
    } else if target < figures.num_nodes {
        let cause = if figures.num_nodes > config.max_nodes { Cause::AboveMaxNodes } else { Cause::Underloaded };
        (cause, shrink(nodes, figures.num_nodes - target))
    } else {
        return None;
    };
    let mut report = AutoscalingReport {
        reason: String::new(),
        new_nodes: plan.new_nodes,
        revived: plan.revived,
        relaunched: plan.relaunched,
        drained: plan.drained,
        canceled: plan.canceled,
        limits: config.limits(),
        figures: rounded(figures),
    };
    report.reason = autoscaling_reason::sentence(cause, &report, &plan.waiting);
    let mut actions = plan.status_changes;
    if plan.new_nodes > 0 {
        actions.push(Action::Launch(plan.new_nodes));
    }
    Some(Decision { report, actions, at: now })
}

/// OpenVidu's `system.status` figures, unrounded.
fn figures(nodes: &[NodeState]) -> ClusterFigures {
    let count = |status: NodeStatus| nodes.iter().filter(|n| n.node.status == status).count();
    let running_nodes = count(NodeStatus::Running);
    let launching_nodes = count(NodeStatus::Launching);
    let total_load: f64 = nodes
        .iter()
        .filter(|n| matches!(n.node.status, NodeStatus::Running | NodeStatus::WaitingIdleToTerminate))
        .map(|n| n.node.load)
        .sum();
    let num_nodes = running_nodes + launching_nodes;
    // No node counted: the load of draining nodes (if any) is all on "one" node.
    let avg_load = total_load / num_nodes.max(1) as f64;
    ClusterFigures {
        num_nodes,
        total_load,
        avg_load,
        running_nodes,
        launching_nodes,
        waiting_idle_to_terminate_nodes: count(NodeStatus::WaitingIdleToTerminate),
        canceled_nodes: count(NodeStatus::Canceled),
    }
}

fn rounded(figures: ClusterFigures) -> ClusterFigures {
    let two = |x: f64| (x * 100.0).round() / 100.0;
    ClusterFigures { total_load: two(figures.total_load), avg_load: two(figures.avg_load), ..figures }
}

/// How many nodes (`running` + `launching`) the cluster should have.
///
/// Overloaded: enough that the projected average is at most `MAX_LOAD`, and at
/// least one more. Underloaded: the fewest that bring the average up to
/// `MIN_LOAD`, but never so few that it would pass `MAX_LOAD` (that would only
/// launch them again next round). Then `[MIN_NODES, MAX_NODES]` bound it, the
/// upper bound winning should a configuration ever invert them.
fn target(figures: &ClusterFigures, config: &AutoscalingConfig) -> usize {
    let (num, total) = (figures.num_nodes, figures.total_load);
    let needed_below_max = if config.max_load > 0.0 { (total / config.max_load).ceil() as usize } else { num + 1 };
    let by_load = if figures.avg_load > config.max_load {
        needed_below_max.max(num + 1)
    } else if figures.avg_load < config.min_load {
        let reaching_min = if config.min_load > 0.0 { (total / config.min_load).floor() as usize } else { num };
        reaching_min.max(needed_below_max).min(num)
    } else {
        num
    };
    by_load.max(config.min_nodes).min(config.max_nodes)
}

/// The nodes and steps of one growth or shrink.
#[derive(Debug, Default)]
struct Plan {
    new_nodes: usize,
    revived: Vec<NodeSummary>,
    relaunched: Vec<NodeSummary>,
    drained: Vec<NodeSummary>,
    canceled: Vec<NodeSummary>,
    /// Drained nodes that keep sessions and so wait idle instead of terminating.
    waiting: Vec<String>,
    status_changes: Vec<Action>,
}

impl Plan {
    fn set(&mut self, node: &MediaNode, to: NodeStatus) {
        self.status_changes.push(Action::SetStatus { id: node.id.clone(), to });
    }
}

fn summary(node: &MediaNode) -> NodeSummary {
    NodeSummary {
        id: node.id.clone(),
        environment_id: node.environment_id.clone(),
        ip: node.ip.clone(),
        load: (node.load * 100.0).round() / 100.0,
        status: node.status.as_str(),
    }
}

fn with_status(nodes: &[NodeState], status: NodeStatus) -> Vec<&NodeState> {
    nodes.iter().filter(|n| n.node.status == status).collect()
}

/// Adds `count` nodes: revives draining nodes (instant, and they may still hold
/// sessions), then relaunches canceled ones (oldest first, their launch is
/// furthest along), and only then launches new ones.
fn grow(nodes: &[NodeState], count: usize) -> Plan {
    let mut plan = Plan::default();
    let mut waiting = with_status(nodes, NodeStatus::WaitingIdleToTerminate);
    // The busiest first: it is the one that would otherwise drain for longest.
    waiting.sort_by(|a, b| b.node.load.total_cmp(&a.node.load).then(b.sessions.cmp(&a.sessions)));
    let mut canceled = with_status(nodes, NodeStatus::Canceled);
    canceled.sort_by_key(|n| (n.node.launching_time, n.node.id.clone()));
    let mut left = count;
    for state in waiting.into_iter().take(left) {
        plan.revived.push(summary(&state.node));
        plan.set(&state.node, NodeStatus::Running);
        left -= 1;
    }
    for state in canceled.into_iter().take(left) {
        plan.relaunched.push(summary(&state.node));
        plan.set(&state.node, NodeStatus::Launching);
        left -= 1;
    }
    plan.new_nodes = left;
    plan
}

/// Removes `count` nodes: cancels launching ones (newest first, they are the
/// least far along), then stops running ones, least loaded first. A running
/// node without sessions terminates at once; one with sessions waits idle.
fn shrink(nodes: &[NodeState], count: usize) -> Plan {
    let mut plan = Plan::default();
    let mut launching = with_status(nodes, NodeStatus::Launching);
    launching.sort_by(|a, b| b.node.launching_time.cmp(&a.node.launching_time).then(b.node.id.cmp(&a.node.id)));
    let mut running = with_status(nodes, NodeStatus::Running);
    running.sort_by(|a, b| {
        a.node
            .load
            .total_cmp(&b.node.load)
            .then(a.sessions.cmp(&b.sessions))
            .then(b.node.launching_time.cmp(&a.node.launching_time))
            .then(b.node.id.cmp(&a.node.id))
    });
    let mut left = count;
    for state in launching.into_iter().take(left) {
        plan.canceled.push(summary(&state.node));
        plan.set(&state.node, NodeStatus::Canceled);
        left -= 1;
    }
    for state in running.into_iter().take(left) {
        plan.drained.push(summary(&state.node));
        if state.sessions == 0 {
            plan.set(&state.node, NodeStatus::Terminating);
        } else {
            plan.waiting.push(state.node.id.clone());
            plan.set(&state.node, NodeStatus::WaitingIdleToTerminate);
        }
    }
    plan
}

#[cfg(test)]
#[path = "autoscaling_tests.rs"]
mod tests;
