//! Where a new session goes: the running, connected node with the lowest
//! load, or the node the session named. Pure; the cluster feeds it node
//! states, load reports and the sessions it placed.
//!
//! Herding: load reports lag (the `cpu` strategy polls every
//! `OPENVIDU_PRO_STATS_MONITORING_INTERVAL`), so a burst of sessions would all
//! land on the node that looked idlest at the last report. Sessions placed
//! after a node's last report therefore count toward its load until the next
//! report covers them.

use std::collections::BTreeMap;

use super::status::NodeStatus;
use crate::openvidu_enums::wire_enum;

wire_enum!(
    /// `OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY`.
    #[derive(Default)]
    LoadStrategy {
        #[default]
        Streams = "streams",
        Sessions = "sessions",
        MediaObjects = "mediaObjects",
        Cpu = "cpu",
    }
);

impl LoadStrategy {
    /// What one newly placed, not yet reported session adds to a node's load in this strategy's unit.
    fn per_pending_session(self) -> f64 {
        match self {
            // A session starts with one publisher at least.
            LoadStrategy::Streams | LoadStrategy::Sessions => 1.0,
            // A pipeline, an endpoint and a PassThrough.
            LoadStrategy::MediaObjects => 3.0,
            // Percentage points; a guess that is corrected by the next poll.
            LoadStrategy::Cpu => 5.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    status: NodeStatus,
    connected: bool,
    /// The last reported load, in the strategy's unit.
    reported: f64,
    /// Sessions placed since that report.
    pending: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlacementError {
    /// No node is running and connected.
    NoNodeAvailable,
    /// The named node does not exist (OpenVidu error 900).
    UnknownNode(String),
    /// The named node exists but cannot take sessions (OpenVidu error 901).
    NodeNotRunning { id: String, status: NodeStatus, connected: bool },
}

impl PlacementError {
    /// A refusal's name in the metrics (`plenum_placements_total{outcome}`).
    pub fn outcome(&self) -> &'static str {
        match self {
            PlacementError::NoNodeAvailable => "no_node_available",
            PlacementError::UnknownNode(_) => "unknown_node",
            PlacementError::NodeNotRunning { .. } => "node_not_running",
        }
    }
}

impl std::fmt::Display for PlacementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlacementError::NoNodeAvailable => f.write_str("No media node is running and connected"),
            PlacementError::UnknownNode(id) => write!(f, "Media node '{id}' does not exist"),
            PlacementError::NodeNotRunning { id, status, connected } => {
                let link = if *connected { "connected" } else { "disconnected" };
                write!(f, "Media node '{id}' cannot host new sessions: it is {status} and {link}")
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Placement {
    strategy: LoadStrategy,
    nodes: BTreeMap<String, Candidate>,
}

impl Placement {
    pub fn new(strategy: LoadStrategy) -> Self {
        Self { strategy, nodes: BTreeMap::new() }
    }

    /// Adds or updates a node's status and link.
    pub fn set_node(&mut self, id: &str, status: NodeStatus, connected: bool) {
        let candidate =
            self.nodes.entry(id.to_string()).or_insert(Candidate { status, connected, reported: 0.0, pending: 0 });
        candidate.status = status;
        candidate.connected = connected;
    }

    pub fn remove_node(&mut self, id: &str) {
        self.nodes.remove(id);
    }

    /// A fresh load figure for a node, covering every session placed before it was taken.
    pub fn report_load(&mut self, id: &str, load: f64) {
        if let Some(candidate) = self.nodes.get_mut(id) {
            candidate.reported = if load.is_finite() { load.max(0.0) } else { 0.0 };
            candidate.pending = 0;
        }
    }

    /// The load placement sees: reported plus what pending sessions add.
    pub fn effective_load(&self, id: &str) -> Option<f64> {
        self.nodes.get(id).map(|c| c.reported + f64::from(c.pending) * self.strategy.per_pending_session())
    }

    /// Picks the node for a session and counts the session toward its load.
    pub fn place(&mut self, named: Option<&str>) -> Result<String, PlacementError> {
        let chosen = self.choose(named)?;
        if let Some(candidate) = self.nodes.get_mut(&chosen) {
            candidate.pending += 1;
        }
        Ok(chosen)
    }

    /// The node [`Placement::place`] would pick, without counting anything.
    pub fn choose(&self, named: Option<&str>) -> Result<String, PlacementError> {
        let chosen = match named {
            Some(id) => {
                let candidate = self.nodes.get(id).ok_or_else(|| PlacementError::UnknownNode(id.to_string()))?;
                if !(candidate.status.takes_new_sessions() && candidate.connected) {
                    return Err(PlacementError::NodeNotRunning {
                        id: id.to_string(),
                        status: candidate.status,
                        connected: candidate.connected,
                    });
                }
                id.to_string()
            }
            None => self
                .nodes
                .iter()
                .filter(|(_, c)| c.status.takes_new_sessions() && c.connected)
                .map(|(id, c)| (id, c.reported + f64::from(c.pending) * self.strategy.per_pending_session()))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(id, _)| id.clone())
                .ok_or(PlacementError::NoNodeAvailable)?,
        };
        Ok(chosen)
    }

    /// Whether any node could take a session now (tokens are refused otherwise).
    pub fn has_capacity(&self) -> bool {
        self.nodes.values().any(|c| c.status.takes_new_sessions() && c.connected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(strategy: LoadStrategy) -> Placement {
        let mut placement = Placement::new(strategy);
        for id in ["a", "b", "c"] {
            placement.set_node(id, NodeStatus::Running, true);
        }
        placement
    }

    #[test]
    fn picks_the_least_loaded_running_connected_node() {
        let mut placement = cluster(LoadStrategy::Cpu);
        placement.report_load("a", 50.0);
        placement.report_load("b", 10.0);
        placement.report_load("c", 30.0);
        assert_eq!(placement.place(None).unwrap(), "b");
        placement.set_node("b", NodeStatus::WaitingIdleToTerminate, true);
        assert_eq!(placement.place(None).unwrap(), "c");
        placement.set_node("c", NodeStatus::Running, false);
        assert_eq!(placement.place(None).unwrap(), "a");
    }

    #[test]
    fn a_burst_spreads_instead_of_herding() {
        let mut placement = cluster(LoadStrategy::Cpu);
        placement.report_load("a", 10.0);
        placement.report_load("b", 11.0);
        placement.report_load("c", 12.0);
        let chosen: Vec<String> = (0..6).map(|_| placement.place(None).unwrap()).collect();
        for id in ["a", "b", "c"] {
            assert!(chosen.iter().filter(|c| *c == id).count() >= 1, "{id} got nothing: {chosen:?}");
        }
        placement.report_load("a", 10.0);
        assert_eq!(placement.effective_load("a"), Some(10.0));
    }

    #[test]
    fn named_nodes_must_exist_run_and_be_connected() {
        let mut placement = cluster(LoadStrategy::Streams);
        placement.report_load("a", 100.0);
        assert_eq!(placement.place(Some("a")).unwrap(), "a");
        assert_eq!(placement.place(Some("zzz")), Err(PlacementError::UnknownNode("zzz".into())));
        placement.set_node("b", NodeStatus::Launching, true);
        assert!(matches!(placement.place(Some("b")), Err(PlacementError::NodeNotRunning { .. })));
        placement.set_node("c", NodeStatus::Running, false);
        assert!(matches!(placement.place(Some("c")), Err(PlacementError::NodeNotRunning { connected: false, .. })));
    }

    #[test]
    fn no_running_node_means_no_placement() {
        let mut placement = Placement::new(LoadStrategy::Sessions);
        assert!(!placement.has_capacity());
        assert_eq!(placement.place(None), Err(PlacementError::NoNodeAvailable));
        placement.set_node("a", NodeStatus::Failed, true);
        assert_eq!(placement.place(None), Err(PlacementError::NoNodeAvailable));
        placement.set_node("a", NodeStatus::Running, true);
        assert!(placement.has_capacity());
        placement.remove_node("a");
        assert!(!placement.has_capacity());
    }

    #[test]
    fn strategies_parse_from_their_property_values() {
        use crate::openvidu_enums::WireEnum;
        assert_eq!(LoadStrategy::parse("mediaObjects"), Some(LoadStrategy::MediaObjects));
        assert_eq!(LoadStrategy::parse("CPU"), None);
        for &strategy in LoadStrategy::ALL {
            assert_eq!(LoadStrategy::parse(strategy.as_str()), Some(strategy));
        }
        assert_eq!(LoadStrategy::default(), LoadStrategy::Streams);
    }
}
