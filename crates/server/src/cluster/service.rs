//! The cluster at run time: connections to media nodes over the Kurento
//! protocol, around the pure [`Registry`]. Status changes are written to the
//! CDR (when on) and published on an event bus for webhooks.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kurento_protocol::client::{ClientOptions, ConnectionState, KurentoClient};
use kurento_protocol::object_id::SERVER_MANAGER_ID;
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::node::MediaNode;
use super::placement::LoadStrategy;
use super::registry::{Registry, RegistryError, StatusChange};
use super::status::Happening;
use crate::clock::now_ms;

/// How long adding a node may take before it counts as unreachable.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(4);

#[derive(Debug, Clone)]
pub struct ClusterSettings {
    pub enabled: bool,
    pub cluster_id: String,
    pub strategy: LoadStrategy,
    /// The CDR file, when `OPENVIDU_CDR=true`.
    pub cdr_file: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum ClusterEvent {
    StatusChanged(StatusChange),
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("Media node {uri} is registered already as {id}")]
    Duplicate { uri: String, id: String },
    #[error("Media node {uri} is not reachable: {reason}")]
    Unreachable { uri: String, reason: String },
}

pub struct ClusterService {
    settings: ClusterSettings,
    registry: Mutex<Registry>,
    clients: Mutex<HashMap<String, Arc<KurentoClient>>>,
    bus: broadcast::Sender<ClusterEvent>,
}

impl ClusterService {
    pub fn new(settings: ClusterSettings) -> Arc<Self> {
        let registry = Mutex::new(Registry::new(settings.strategy));
        Arc::new(Self { settings, registry, clients: Mutex::new(HashMap::new()), bus: broadcast::channel(256).0 })
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn events(&self) -> broadcast::Receiver<ClusterEvent> {
        self.bus.subscribe()
    }

    /// Connects to a node by URI, checks it answers (ping, `getInfo`) and registers it as running.
    pub async fn add_uri(
        self: &Arc<Self>,
        uri: &url::Url,
        environment_id: Option<String>,
    ) -> Result<MediaNode, AddError> {
        let text = uri.as_str().to_string();
        if let Some(existing) = self.registry().find_by_uri(&text) {
            return Err(AddError::Duplicate { uri: text, id: existing.id.clone() });
        }
        let unreachable = |reason: String| AddError::Unreachable { uri: text.clone(), reason };
        let options =
            ClientOptions { connect_timeout: REACH_TIMEOUT, request_timeout: REACH_TIMEOUT, ..Default::default() };
        let reach = async {
            let client = KurentoClient::connect(&text, options).await.map_err(|e| e.to_string())?;
            client.ping().await.map_err(|e| e.to_string())?;
            client.invoke(SERVER_MANAGER_ID, "getInfo", json!({})).await.map_err(|e| e.to_string())?;
            Ok::<_, String>(client)
        };
        let client = tokio::time::timeout(REACH_TIMEOUT, reach)
            .await
            .map_err(|_| unreachable(format!("no answer within {} s", REACH_TIMEOUT.as_secs())))?
            .map_err(unreachable)?;
        let now = now_ms();
        let id = match &environment_id {
            Some(env) => MediaNode::id_for(env),
            None => format!("media_{}", crate::session::ids::random_node_suffix()),
        };
        let node = MediaNode {
            id: id.clone(),
            environment_id,
            ip: MediaNode::ip_of(uri),
            uri: Some(text.clone()),
            connected: false,
            connection_time: None,
            disconnection_time: None,
            launching_time: now,
            status: super::status::NodeStatus::Launching,
            load: 0.0,
        };
        let changes = {
            let mut registry = self.registry();
            let inserted = registry.insert(node, now).map_err(|e| match e {
                RegistryError::Duplicate { uri, id } => AddError::Duplicate { uri, id },
                other => unreachable(format!("{other:?}")),
            })?;
            let _ = registry.set_connected(&id, true, now);
            let running = registry.happened(&id, Happening::LaunchSucceeded, now).ok().flatten();
            [Some(inserted), running].into_iter().flatten().collect::<Vec<_>>()
        };
        self.publish(changes);
        let client = Arc::new(client);
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).insert(id.clone(), client.clone());
        tokio::spawn(watch_link(Arc::downgrade(self), id.clone(), client));
        tracing::info!(%id, uri = %text, "media node added");
        Ok(self.registry().get(&id).cloned().expect("just inserted"))
    }

    /// `kurentoInfo` for `?extra-info=true`: the node's ServerManager info and memory.
    pub async fn kurento_info(&self, id: &str) -> Option<Value> {
        let client = self.clients.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()?;
        let info = client.invoke(SERVER_MANAGER_ID, "getInfo", json!({})).await.ok()?;
        let memory = client.invoke(SERVER_MANAGER_ID, "getUsedMemory", json!({})).await.ok();
        Some(json!({
            "version": info.get("version").cloned().unwrap_or(Value::Null),
            "modules": info.get("modules").cloned().unwrap_or(json!([])),
            "capabilities": info.get("capabilities").cloned().unwrap_or(json!([])),
            "memory": memory.and_then(|m| m.as_u64()).map(|kib| kib / 1024),
        }))
    }

    /// Forgets a node and drops its connection; returns the sessions that were on it.
    pub fn remove(&self, id: &str) -> Result<Vec<String>, RegistryError> {
        let removal = self.registry().remove(id, now_ms())?;
        if let Some(client) = self.clients.lock().unwrap_or_else(|p| p.into_inner()).remove(id) {
            client.close();
        }
        self.publish(removal.changes);
        tracing::info!(%id, sessions = removal.sessions.len(), "media node removed");
        Ok(removal.sessions)
    }

    /// Writes each change to the CDR and the event bus.
    pub fn publish(&self, changes: Vec<StatusChange>) {
        for change in changes {
            tracing::info!(id = %change.node.id, old = ?change.old_status.map(|s| s.as_str()), new = %change.new_status, "media node status changed");
            if let Some(path) = &self.settings.cdr_file {
                let line = json!({"mediaNodeStatusChanged": self.status_event(&change)});
                let written = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut file| writeln!(file, "{line}"));
                if let Err(error) = written {
                    tracing::warn!(path = %path.display(), %error, "cannot write the CDR");
                }
            }
            let _ = self.bus.send(ClusterEvent::StatusChanged(change));
        }
    }

    /// The `mediaNodeStatusChanged` fields.
    pub fn status_event(&self, change: &StatusChange) -> Value {
        json!({
            "timestamp": change.timestamp,
            "id": change.node.id,
            "environmentId": change.node.environment_id,
            "ip": change.node.ip,
            "uri": change.node.uri,
            "clusterId": self.settings.cluster_id,
            "oldStatus": change.old_status.map(|s| s.as_str()),
            "newStatus": change.new_status.as_str(),
        })
    }

    /// Drops every node connection (shutdown or restart).
    pub fn close_all(&self) {
        for (_, client) in self.clients.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            client.close();
        }
    }
}

/// Mirrors a node's websocket state into the registry; the client reconnects by itself with backoff.
async fn watch_link(cluster: std::sync::Weak<ClusterService>, id: String, client: Arc<KurentoClient>) {
    let mut state = client.connection_state();
    while state.changed().await.is_ok() {
        let current = state.borrow().clone();
        let Some(cluster) = cluster.upgrade() else { return };
        let connected = match current {
            ConnectionState::Connected | ConnectionState::Reconnected { .. } => true,
            ConnectionState::Disconnected => false,
            ConnectionState::Closed => return,
        };
        if cluster.registry().set_connected(&id, connected, now_ms()).is_err() {
            return;
        }
        if connected {
            tracing::info!(%id, "media node reconnected");
        } else {
            tracing::warn!(%id, "media node disconnected; reconnecting");
        }
    }
}
