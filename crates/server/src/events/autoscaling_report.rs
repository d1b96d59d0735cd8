//! The body of the `autoscaling` event (reference §6.1, peer-systems §1.6):
//! what one autoscaling decision does to which nodes, and the cluster figures
//! it was taken on.

use serde_json::{Value, json};

/// A node as the `autoscaling` event lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSummary {
    pub id: String,
    pub environment_id: Option<String>,
    pub ip: Option<String>,
    pub load: f64,
    pub status: &'static str,
}

/// The limits the decision worked with (`system.config`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoscalingLimits {
    pub max_nodes: i64,
    pub min_nodes: i64,
    pub max_avg_load: f64,
    pub min_avg_load: f64,
}

/// The cluster figures the decision was taken on (`system.status`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterFigures {
    /// Nodes `running` or `launching`.
    pub num_nodes: usize,
    /// CPU summed over `running` and `waiting-idle-to-terminate` nodes.
    pub total_load: f64,
    pub avg_load: f64,
    pub running_nodes: usize,
    pub launching_nodes: usize,
    pub waiting_idle_to_terminate_nodes: usize,
    pub canceled_nodes: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AutoscalingReport {
    /// A sentence saying why, as OpenVidu's `reason`.
    pub reason: String,
    /// Brand-new nodes to launch.
    pub new_nodes: usize,
    /// `waiting-idle-to-terminate` nodes put back to `running`.
    pub revived: Vec<NodeSummary>,
    /// `canceled` nodes put back to `launching`.
    pub relaunched: Vec<NodeSummary>,
    /// `running` nodes drained or terminated.
    pub drained: Vec<NodeSummary>,
    /// `launching` nodes canceled.
    pub canceled: Vec<NodeSummary>,
    pub limits: AutoscalingLimits,
    pub figures: ClusterFigures,
}

impl NodeSummary {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "environmentId": self.environment_id,
            "ip": self.ip,
            "load": self.load,
            "status": self.status,
        })
    }
}

fn list(nodes: &[NodeSummary]) -> Value {
    Value::Array(nodes.iter().map(NodeSummary::to_json).collect())
}

impl AutoscalingReport {
    /// `mediaNodes`: `launch` and `terminate`, each with its `total`.
    pub fn media_nodes(&self) -> Value {
        json!({
            "launch": {
                "total": self.new_nodes + self.revived.len() + self.relaunched.len(),
                "newNodes": self.new_nodes,
                "waitingIdleToTerminateNodes": list(&self.revived),
                "canceledNodes": list(&self.relaunched),
            },
            "terminate": {
                "total": self.drained.len() + self.canceled.len(),
                "runningNodes": list(&self.drained),
                "launchingNodes": list(&self.canceled),
            },
        })
    }

    /// `system`: `config` and `status`.
    pub fn system(&self) -> Value {
        let (limits, figures) = (&self.limits, &self.figures);
        json!({
            "config": {
                "maxNodes": limits.max_nodes,
                "minNodes": limits.min_nodes,
                "maxAvgLoad": limits.max_avg_load,
                "minAvgLoad": limits.min_avg_load,
            },
            "status": {
                "numNodes": figures.num_nodes,
                "totalLoad": figures.total_load,
                "avgLoad": figures.avg_load,
                "runningNodes": figures.running_nodes,
                "launchingNodes": figures.launching_nodes,
                "waitingIdleToTerminateNodes": figures.waiting_idle_to_terminate_nodes,
                "canceledNodes": figures.canceled_nodes,
            },
        })
    }
}
