//! The master's record of its media nodes: their REST records, which sessions
//! each hosts, and the placement view. Pure: every method takes `now`, and
//! status changes come back as [`StatusChange`]s for the caller to publish
//! (`mediaNodeStatusChanged` in the CDR and on the event bus).

use std::collections::{BTreeMap, BTreeSet};

use super::node::{Extras, MediaNode};
use super::placement::{LoadStrategy, Placement, PlacementError};
use super::status::{self, Happening, ManualChange, NodeStatus};

/// One status transition, with the node as it is after it.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub node: MediaNode,
    pub old_status: Option<NodeStatus>,
    pub new_status: NodeStatus,
    pub timestamp: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error("Media node '{0}' not found")]
    NotFound(String),
    /// A node with this URI is registered already.
    #[error("Media node {uri} is registered already as {id}")]
    Duplicate { uri: String, id: String },
    /// The node hosts sessions (or recordings) and the operation needs it idle.
    #[error("Media node '{id}' hosts {sessions} session(s)")]
    Busy { id: String, sessions: usize },
    #[error("{0}")]
    Refused(String),
}

#[derive(Debug)]
struct Entry {
    node: MediaNode,
    sessions: BTreeSet<String>,
}

#[derive(Debug)]
pub struct Registry {
    nodes: BTreeMap<String, Entry>,
    /// Which node hosts each placed session.
    host_of: BTreeMap<String, String>,
    placement: Placement,
}

/// What removing a node's sessions requires of the caller.
#[derive(Debug, Default, PartialEq)]
pub struct Removal {
    pub changes: Vec<StatusChange>,
    /// Sessions that were on the node (closed with `mediaServerDisconnect` by the caller).
    pub sessions: Vec<String>,
}

impl Registry {
    pub fn new(strategy: LoadStrategy) -> Self {
        Self { nodes: BTreeMap::new(), host_of: BTreeMap::new(), placement: Placement::new(strategy) }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn get(&self, id: &str) -> Result<&MediaNode, RegistryError> {
        self.nodes.get(id).map(|e| &e.node).ok_or_else(|| RegistryError::NotFound(id.to_string()))
    }

    pub fn nodes(&self) -> impl Iterator<Item = &MediaNode> {
        self.nodes.values().map(|e| &e.node)
    }

    pub fn sessions_of(&self, id: &str) -> Vec<String> {
        self.nodes.get(id).map(|e| e.sessions.iter().cloned().collect()).unwrap_or_default()
    }

    pub fn host_of(&self, session: &str) -> Option<&str> {
        self.host_of.get(session).map(String::as_str)
    }

    pub fn find_by_uri(&self, uri: &str) -> Option<&MediaNode> {
        self.nodes().find(|n| n.uri.as_deref() == Some(uri))
    }

    /// Registers a node; it enters `launching` (a `StatusChange` with no old status).
    pub fn insert(&mut self, node: MediaNode, now: u64) -> Result<StatusChange, RegistryError> {
        if let Some(uri) = &node.uri
            && let Some(existing) = self.find_by_uri(uri)
        {
            return Err(RegistryError::Duplicate { uri: uri.clone(), id: existing.id.clone() });
        }
        if self.nodes.contains_key(&node.id) {
            return Err(RegistryError::Duplicate { uri: node.uri.clone().unwrap_or_default(), id: node.id.clone() });
        }
        let mut node = node;
        node.status = NodeStatus::Launching;
        self.placement.set_node(&node.id, node.status, node.connected);
        let change = StatusChange { node: node.clone(), old_status: None, new_status: node.status, timestamp: now };
        self.nodes.insert(node.id.clone(), Entry { node, sessions: BTreeSet::new() });
        Ok(change)
    }

    /// Fills in what a launch learned (URI, IP) before the node runs.
    pub fn update_launched(&mut self, id: &str, uri: &str, ip: Option<String>) -> Result<(), RegistryError> {
        let entry = self.entry_mut(id)?;
        entry.node.uri = Some(uri.to_string());
        entry.node.ip = ip;
        Ok(())
    }

    pub fn set_connected(&mut self, id: &str, connected: bool, now: u64) -> Result<(), RegistryError> {
        let entry = self.entry_mut(id)?;
        if entry.node.connected != connected {
            entry.node.connected = connected;
            if connected {
                entry.node.connection_time = Some(now);
                entry.node.disconnection_time = None;
            } else {
                entry.node.disconnection_time = Some(now);
            }
        }
        let status = entry.node.status;
        self.placement.set_node(id, status, connected);
        Ok(())
    }

    pub fn report_load(&mut self, id: &str, cpu_percent: f64, placement_load: f64) -> Result<(), RegistryError> {
        let entry = self.entry_mut(id)?;
        entry.node.load = cpu_percent.clamp(0.0, 100.0);
        self.placement.report_load(id, placement_load);
        Ok(())
    }

    /// An operator's `PATCH {"status"}`. `Ok(None)` means unchanged.
    pub fn request_status(
        &mut self,
        id: &str,
        to: NodeStatus,
        now: u64,
    ) -> Result<Option<StatusChange>, RegistryError> {
        let from = self.get(id)?.status;
        match status::manual(from, to) {
            ManualChange::Unchanged => Ok(None),
            ManualChange::Refused(why) => Err(RegistryError::Refused(why)),
            ManualChange::Changed(to) => Ok(Some(self.set_status(id, to, now)?)),
        }
    }

    /// A launch ended, a termination finished, and so on.
    pub fn happened(
        &mut self,
        id: &str,
        happening: Happening,
        now: u64,
    ) -> Result<Option<StatusChange>, RegistryError> {
        let from = self.get(id)?.status;
        match status::automatic(from, happening) {
            Some(to) => Ok(Some(self.set_status(id, to, now)?)),
            None => Ok(None),
        }
    }

    fn set_status(&mut self, id: &str, to: NodeStatus, now: u64) -> Result<StatusChange, RegistryError> {
        let entry = self.entry_mut(id)?;
        let old = entry.node.status;
        entry.node.status = to;
        let change = StatusChange { node: entry.node.clone(), old_status: Some(old), new_status: to, timestamp: now };
        let connected = entry.node.connected;
        self.placement.set_node(id, to, connected);
        Ok(change)
    }

    /// Places a session on a node (least loaded, or the one named) and records it there.
    pub fn place_session(&mut self, session: &str, named: Option<&str>) -> Result<String, PlacementError> {
        if let Some(host) = self.host_of.get(session) {
            return Ok(host.clone());
        }
        let id = self.placement.place(named)?;
        if let Some(entry) = self.nodes.get_mut(&id) {
            entry.sessions.insert(session.to_string());
        }
        self.host_of.insert(session.to_string(), id.clone());
        Ok(id)
    }

    pub fn has_capacity(&self) -> bool {
        self.placement.has_capacity()
    }

    /// Whether [`Registry::place_session`] would succeed, without placing anything.
    pub fn check_placeable(&self, named: Option<&str>) -> Result<(), PlacementError> {
        self.placement.choose(named).map(|_| ())
    }

    /// A session closed: a draining node that just became idle starts terminating.
    pub fn session_closed(&mut self, session: &str, now: u64) -> Option<StatusChange> {
        let id = self.host_of.remove(session)?;
        let entry = self.nodes.get_mut(&id)?;
        entry.sessions.remove(session);
        if entry.sessions.is_empty() {
            return self.happened(&id, Happening::LastSessionClosed, now).ok().flatten();
        }
        None
    }

    /// `DELETE` with `if-no-sessions`: refused while the node hosts sessions.
    pub fn ensure_idle(&self, id: &str) -> Result<(), RegistryError> {
        let count = self.nodes.get(id).ok_or_else(|| RegistryError::NotFound(id.to_string()))?.sessions.len();
        if count > 0 { Err(RegistryError::Busy { id: id.to_string(), sessions: count }) } else { Ok(()) }
    }

    /// Takes a node out: it goes through `terminating` to `terminated` and is forgotten.
    pub fn remove(&mut self, id: &str, now: u64) -> Result<Removal, RegistryError> {
        let mut removal = Removal { sessions: self.sessions_of(id), ..Removal::default() };
        let status = self.get(id)?.status;
        if status != NodeStatus::Terminating && status != NodeStatus::Terminated {
            removal.changes.push(self.set_status(id, NodeStatus::Terminating, now)?);
        }
        if let Some(change) = self.happened(id, Happening::TerminationDone, now)? {
            removal.changes.push(change);
        }
        for session in &removal.sessions {
            self.host_of.remove(session);
        }
        self.nodes.remove(id);
        self.placement.remove_node(id);
        Ok(removal)
    }

    pub fn json(&self, id: &str, extras: Extras) -> Result<serde_json::Value, RegistryError> {
        Ok(self.get(id)?.json(extras))
    }

    fn entry_mut(&mut self, id: &str) -> Result<&mut Entry, RegistryError> {
        self.nodes.get_mut(id).ok_or_else(|| RegistryError::NotFound(id.to_string()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn node(id: &str, uri: &str) -> MediaNode {
        MediaNode {
            id: id.into(),
            environment_id: None,
            ip: Some("127.0.0.1".into()),
            uri: Some(uri.into()),
            connected: false,
            connection_time: None,
            disconnection_time: None,
            launching_time: 1,
            status: NodeStatus::Running,
            load: 0.0,
        }
    }

    /// Registers `id` and brings it to `running`, as a reached node goes.
    pub(crate) fn running(registry: &mut Registry, id: &str, uri: &str) {
        let change = registry.insert(node(id, uri), 1).unwrap();
        assert_eq!((change.old_status, change.new_status), (None, NodeStatus::Launching));
        registry.set_connected(id, true, 2).unwrap();
        registry.happened(id, Happening::LaunchSucceeded, 3).unwrap().unwrap();
    }

    #[test]
    fn a_uri_registers_once() {
        let mut registry = Registry::new(LoadStrategy::Streams);
        running(&mut registry, "a", "ws://127.0.0.1:1/kurento");
        assert!(matches!(
            registry.insert(node("b", "ws://127.0.0.1:1/kurento"), 4),
            Err(RegistryError::Duplicate { .. })
        ));
    }

    #[test]
    fn a_draining_node_terminates_when_its_last_session_closes() {
        let mut registry = Registry::new(LoadStrategy::Sessions);
        running(&mut registry, "a", "ws://a/kurento");
        registry.place_session("s1", None).unwrap();
        registry.place_session("s2", None).unwrap();
        assert!(matches!(registry.ensure_idle("a"), Err(RegistryError::Busy { sessions: 2, .. })));
        registry.request_status("a", NodeStatus::WaitingIdleToTerminate, 5).unwrap().unwrap();
        assert_eq!(registry.place_session("s3", None), Err(PlacementError::NoNodeAvailable));
        assert_eq!(registry.session_closed("s1", 6), None);
        let change = registry.session_closed("s2", 7).unwrap();
        assert_eq!(change.new_status, NodeStatus::Terminating);
    }

    #[test]
    fn disconnection_is_recorded_and_blocks_placement() {
        let mut registry = Registry::new(LoadStrategy::Streams);
        running(&mut registry, "a", "ws://a/kurento");
        registry.set_connected("a", false, 10).unwrap();
        let node = registry.get("a").unwrap();
        assert_eq!((node.connected, node.disconnection_time), (false, Some(10)));
        assert!(!registry.has_capacity());
        registry.set_connected("a", true, 11).unwrap();
        assert_eq!(registry.get("a").unwrap().disconnection_time, None);
        assert_eq!(registry.get("a").unwrap().connection_time, Some(11));
    }

    #[test]
    fn removal_reports_sessions_and_both_final_transitions() {
        let mut registry = Registry::new(LoadStrategy::Streams);
        running(&mut registry, "a", "ws://a/kurento");
        registry.place_session("s1", Some("a")).unwrap();
        let removal = registry.remove("a", 20).unwrap();
        assert_eq!(removal.sessions, vec!["s1".to_string()]);
        let steps: Vec<_> = removal.changes.iter().map(|c| c.new_status).collect();
        assert_eq!(steps, vec![NodeStatus::Terminating, NodeStatus::Terminated]);
        assert!(registry.get("a").is_err());
        assert_eq!(registry.host_of("s1"), None);
    }

    #[test]
    fn refused_manual_changes_name_both_statuses() {
        let mut registry = Registry::new(LoadStrategy::Streams);
        running(&mut registry, "a", "ws://a/kurento");
        match registry.request_status("a", NodeStatus::Failed, 5) {
            Err(RegistryError::Refused(why)) => assert!(why.contains("running") && why.contains("failed")),
            other => panic!("{other:?}"),
        }
        assert_eq!(registry.request_status("a", NodeStatus::Running, 5), Ok(None));
    }
}
