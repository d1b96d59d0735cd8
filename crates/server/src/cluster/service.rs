//! The cluster at run time: connections to media nodes over the Kurento
//! protocol, around the pure [`Registry`]. Status changes go onto the event
//! bus (and from there into the CDR and to webhooks).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use kurento_protocol::client::{ClientOptions, KurentoClient};
use kurento_protocol::keepalive::Keepalive;
use kurento_protocol::media::ServerManager;
use serde_json::{Value, json};

use super::crash::{NodeLossHandler, watch_link};
use super::launcher::{LaunchError, Launcher, LocalLauncher};
use super::node::MediaNode;
use super::placement::{LoadStrategy, PlacementError};
use super::registry::{Registry, RegistryError, StatusChange};
use super::status::{Happening, NodeStatus};
use crate::clock::now_ms;
use crate::events::{Event, EventBus, EventRecord, NodeRef};
use crate::openvidu_enums::WireEnum;
use plenum_media_node::media::MediaConfig;
use plenum_media_node::node::{NodeConfig, RunningNode};
use plenum_media_node::transport::ControlConfig;

/// How long each CPU sample of a node lasts (`getUsedCpu {interval}`).
const CPU_SAMPLE: Duration = Duration::from_millis(500);

/// How long adding a node may take before it counts as unreachable.
pub const REACH_TIMEOUT: Duration = Duration::from_secs(4);

#[derive(Debug, Clone)]
pub struct ClusterSettings {
    /// `OPENVIDU_PRO_CLUSTER`: whether the media node API is served.
    pub enabled: bool,
    pub cluster_id: String,
    pub strategy: LoadStrategy,
    /// `OPENVIDU_PRO_CLUSTER_MODE=auto`: nodes are launched, not added by URI.
    pub auto_mode: bool,
    /// `OPENVIDU_PRO_CLUSTER_ENVIRONMENT=local`: nodes are processes on this host.
    pub local: bool,
    pub cluster_path: PathBuf,
    /// `OPENVIDU_RECORDING_PATH`: nodes on this host (embedded, launched) record straight into it.
    pub recording_path: PathBuf,
    pub kms_uris: Vec<String>,
    /// `OPENVIDU_PRO_CLUSTER_MEDIA_NODES`: launched at startup in auto mode.
    pub startup_nodes: usize,
    pub autodiscovery: bool,
    /// `PLENUM_EMBEDDED_MEDIA_NODE`.
    pub embedded: bool,
    /// `PLENUM_MEDIA_NODE_BIN`, for the local launcher.
    pub media_node_bin: Option<PathBuf>,
    /// `OPENVIDU_PRO_STATS_MONITORING_INTERVAL`: how often node CPU is sampled.
    pub monitoring_interval: Duration,
    /// Where the embedded node announces media (`MEDIA_NODES_PUBLIC_IPS`' first entry, else loopback).
    pub embedded_rtc_address: std::net::IpAddr,
    /// `OPENVIDU_PRO_CLUSTER_AUTOSCALING=true`: its limits (see `autoscaler.rs`).
    pub autoscaling: Option<super::autoscaling::AutoscalingConfig>,
    /// `OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT`: seconds a lost node has to come back; −1: forever.
    pub reconnection_timeout_s: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchFailure {
    #[error("Launching media nodes needs OPENVIDU_PRO_CLUSTER_MODE=auto with OPENVIDU_PRO_CLUSTER_ENVIRONMENT=local")]
    NoLauncher,
    #[error("{0}")]
    Launch(#[from] LaunchError),
    #[error("The launched media node did not answer: {0}")]
    Unreachable(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RetireError {
    #[error(transparent)]
    Registry(RegistryError),
    #[error("{0}")]
    Terminate(LaunchError),
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("Autodiscovery is not possible: there is no {0} script")]
    NotPossible(String),
    #[error("Autodiscovery failed: {0}")]
    Failed(String),
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
    pub(super) events: EventBus,
    launcher: Option<Arc<dyn Launcher>>,
    /// What the services do with the sessions of a lost node ([`super::crash`]).
    pub(super) loss_handler: OnceLock<Box<dyn NodeLossHandler>>,
    embedded: Mutex<Option<RunningNode>>,
    /// True once the startup nodes (discovered, launched, embedded) had their chance.
    brought_up: tokio::sync::watch::Sender<bool>,
}

impl ClusterService {
    pub fn new(settings: ClusterSettings, events: EventBus) -> Arc<Self> {
        let launcher: Option<Arc<dyn Launcher>> = settings.local.then(|| {
            let launcher = LocalLauncher::new(settings.media_node_bin.clone(), &settings.cluster_path)
                .with_recording_root(settings.recording_path.clone());
            Arc::new(launcher) as Arc<dyn Launcher>
        });
        Self::with_launcher(settings, launcher, events)
    }

    pub fn with_launcher(
        settings: ClusterSettings,
        launcher: Option<Arc<dyn Launcher>>,
        events: EventBus,
    ) -> Arc<Self> {
        let registry = Mutex::new(Registry::new(settings.strategy));
        Arc::new(Self {
            settings,
            registry,
            clients: Mutex::new(HashMap::new()),
            events,
            launcher,
            loss_handler: OnceLock::new(),
            embedded: Mutex::new(None),
            brought_up: tokio::sync::watch::channel(false).0,
        })
    }

    pub fn settings(&self) -> &ClusterSettings {
        &self.settings
    }

    /// Brings up the startup nodes in the background: discovered ones, `KMS_URIS`,
    /// launched ones (auto mode) and the embedded one.
    /// `carried` (from [`ClusterService::handover`]) are reconnected first.
    pub fn start_background(self: &Arc<Self>, carried: Vec<Carried>) -> tokio::task::JoinHandle<()> {
        let cluster = self.clone();
        tokio::spawn(async move {
            let carried_nodes = carried.len();
            for node in carried {
                let cluster = cluster.clone();
                tokio::spawn(
                    async move { cluster.add_until_reached(node.uri, node.environment_id, Some(node.id)).await },
                );
            }
            cluster.bring_up(carried_nodes).await;
            cluster.brought_up.send_replace(true);
            tokio::join!(cluster.monitor_load(), cluster.autoscale());
        })
    }

    /// Whether a session could be placed now (on `named`, if given). While the startup
    /// nodes are still coming up this waits for them, up to [`REACH_TIMEOUT`] and a bit.
    pub async fn ensure_capacity(&self, named: Option<&str>) -> Result<(), PlacementError> {
        let mut brought_up = self.brought_up.subscribe();
        let check = |registry: &Registry| registry.check_placeable(named);
        if check(&self.registry()).is_ok() || *brought_up.borrow() {
            return check(&self.registry());
        }
        let _ = tokio::time::timeout(REACH_TIMEOUT * 2, brought_up.wait_for(|done| *done)).await;
        check(&self.registry())
    }

    /// Polls every running node's CPU (`getUsedCpu`) each `OPENVIDU_PRO_STATS_MONITORING_INTERVAL`
    /// and feeds placement with the strategy's load figure.
    async fn monitor_load(self: &Arc<Self>) {
        let mut ticker = tokio::time::interval(self.settings.monitoring_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let clients: Vec<(String, Arc<KurentoClient>)> = self
                .clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .map(|(id, c)| (id.clone(), c.clone()))
                .collect();
            for (id, client) in clients {
                let Ok(cpu) = ServerManager::new(&client).used_cpu(CPU_SAMPLE).await else { continue };
                let placement_load = match self.settings.strategy {
                    LoadStrategy::Cpu => cpu,
                    LoadStrategy::Sessions | LoadStrategy::Streams => self.registry().sessions_of(&id).len() as f64,
                    LoadStrategy::MediaObjects => media_objects(&client).await.unwrap_or(0.0),
                };
                let _ = self.registry().report_load(&id, cpu, placement_load);
            }
        }
    }

    /// The nodes a restart must keep: every node but the embedded one, which the
    /// next generation starts afresh. They keep their ids.
    pub fn handover(&self) -> Vec<Carried> {
        self.registry()
            .nodes()
            .filter(|n| n.environment_id.as_deref() != Some(EMBEDDED))
            .filter_map(|n| {
                let uri = n.uri.clone()?;
                Some(Carried { id: n.id.clone(), uri, environment_id: n.environment_id.clone() })
            })
            .collect()
    }

    /// `carried` nodes (being reconnected) count towards the startup nodes.
    async fn bring_up(self: &Arc<Self>, carried: usize) {
        if self.settings.autodiscovery {
            match self.discover().await {
                Ok(found) if !found.is_empty() => tracing::info!(nodes = found.len(), "media nodes discovered"),
                Ok(_) | Err(DiscoverError::NotPossible(_)) => {}
                Err(error) => tracing::warn!(%error, "autodiscovery at startup failed"),
            }
        }
        let uris = if self.settings.enabled {
            &self.settings.kms_uris[..]
        } else {
            &self.settings.kms_uris[..1.min(self.settings.kms_uris.len())]
        };
        for uri in uris {
            let cluster = self.clone();
            let uri = uri.clone();
            tokio::spawn(async move { cluster.add_until_reached(uri, None, None).await });
        }
        if self.settings.auto_mode {
            let missing = self.settings.startup_nodes.saturating_sub(self.registry().len().max(carried));
            for _ in 0..missing {
                if let Err(error) = self.launch(true).await {
                    tracing::error!(%error, "launching a startup media node failed");
                }
            }
        } else if self.settings.embedded
            && self.settings.kms_uris.is_empty()
            && let Err(error) = self.start_embedded().await
        {
            tracing::error!(%error, "the embedded media node did not start");
        }
    }

    /// `KMS_URIS` entries: retried until reached, since nodes may start after the master.
    async fn add_until_reached(self: Arc<Self>, uri: String, environment_id: Option<String>, id: Option<String>) {
        let Ok(parsed) = url::Url::parse(&uri) else { return };
        let mut delay = Duration::from_secs(1);
        loop {
            match self.add_uri_as(&parsed, environment_id.clone(), id.clone()).await {
                Ok(_) | Err(AddError::Duplicate { .. }) => return,
                Err(error) => {
                    tracing::warn!(%error, retry_in_s = delay.as_secs(), "media node from KMS_URIS not reached yet")
                }
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }

    async fn start_embedded(self: &Arc<Self>) -> Result<(), String> {
        let config = NodeConfig {
            control: ControlConfig {
                listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                ..ControlConfig::default()
            },
            media: MediaConfig { rtc_address: self.settings.embedded_rtc_address, ..MediaConfig::default() },
        };
        let running = plenum_media_node::node::start(config).await.map_err(|e| e.to_string())?;
        let uri = url::Url::parse(&running.uri()).map_err(|e| e.to_string())?;
        *self.embedded.lock().unwrap_or_else(|p| p.into_inner()) = Some(running);
        self.add_uri(&uri, Some(EMBEDDED.to_string())).await.map_err(|e| e.to_string())?;
        Ok(())
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// Whether [`ClusterService::launch`] can start nodes (auto mode with a launcher).
    pub fn can_launch(&self) -> bool {
        self.launcher.is_some() && self.settings.auto_mode
    }

    /// The generation's event bus (the autoscaler publishes its decisions on it).
    pub(super) fn bus(&self) -> &EventBus {
        &self.events
    }

    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Connects to a node by URI, checks it answers (ping, `getInfo`) and registers it as running.
    pub async fn add_uri(
        self: &Arc<Self>,
        uri: &url::Url,
        environment_id: Option<String>,
    ) -> Result<MediaNode, AddError> {
        self.add_uri_as(uri, environment_id, None).await
    }

    /// [`ClusterService::add_uri`] keeping a known id (a node carried over a restart).
    async fn add_uri_as(
        self: &Arc<Self>,
        uri: &url::Url,
        environment_id: Option<String>,
        known_id: Option<String>,
    ) -> Result<MediaNode, AddError> {
        let text = uri.as_str().to_string();
        if let Some(existing) = self.registry().find_by_uri(&text) {
            return Err(AddError::Duplicate { uri: text, id: existing.id.clone() });
        }
        let client = reach(&text).await.map_err(|reason| AddError::Unreachable { uri: text.clone(), reason })?;
        let now = now_ms();
        let id = match (known_id, &environment_id) {
            (Some(id), _) => id,
            (None, Some(env)) => MediaNode::id_for(env),
            (None, None) => crate::ids::one_off().media_node_id(),
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
            status: NodeStatus::Launching,
            load: 0.0,
        };
        let inserted = self.registry().insert(node, now).map_err(|e| match e {
            RegistryError::Duplicate { uri, id } => AddError::Duplicate { uri, id },
            other => AddError::Unreachable { uri: text.clone(), reason: format!("{other:?}") },
        });
        let inserted = match inserted {
            Ok(change) => change,
            Err(error) => {
                client.close();
                return Err(error);
            }
        };
        self.publish(vec![inserted]);
        self.attach(&id, client);
        tracing::info!(%id, uri = %text, "media node added");
        Ok(self.registry().get(&id).cloned().expect("just inserted"))
    }

    /// A reached node goes `running` and its link is watched.
    fn attach(self: &Arc<Self>, id: &str, client: KurentoClient) {
        let now = now_ms();
        let change = {
            let mut registry = self.registry();
            let _ = registry.set_connected(id, true, now);
            registry.happened(id, Happening::LaunchSucceeded, now).ok().flatten()
        };
        let client = Arc::new(client);
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), client.clone());
        let timeout = self.settings.reconnection_timeout_s;
        tokio::spawn(watch_link(Arc::downgrade(self), id.to_string(), client, timeout));
        if let Some(change) = change {
            let canceled = change.new_status == NodeStatus::Terminating;
            self.publish(vec![change]);
            if canceled {
                let cluster = self.clone();
                let id = id.to_string();
                tokio::spawn(async move {
                    if let Err(error) = cluster.retire(&id).await {
                        tracing::error!(%id, %error, "terminating a canceled media node failed");
                    }
                });
            }
        }
    }

    /// Launches a node (auto mode). Without `wait` the `launching` record comes back at once.
    pub async fn launch(self: &Arc<Self>, wait: bool) -> Result<MediaNode, LaunchFailure> {
        let launcher = self.launcher.clone().filter(|_| self.settings.auto_mode).ok_or(LaunchFailure::NoLauncher)?;
        let launch = launcher.launch()?;
        let now = now_ms();
        let id = MediaNode::id_for(&launch.environment_id);
        let node = MediaNode {
            id: id.clone(),
            environment_id: Some(launch.environment_id.clone()),
            ip: None,
            uri: None,
            connected: false,
            connection_time: None,
            disconnection_time: None,
            launching_time: now,
            status: NodeStatus::Launching,
            load: 0.0,
        };
        let change =
            self.registry().insert(node.clone(), now).map_err(|e| LaunchFailure::Unreachable(format!("{e:?}")))?;
        self.publish(vec![change]);
        tracing::info!(%id, "media node launching");
        let cluster = self.clone();
        let finish = async move { cluster.finish_launch(&id, launch.ready).await };
        if wait {
            finish.await
        } else {
            tokio::spawn(async move {
                if let Err(error) = finish.await {
                    tracing::error!(%error, "media node launch failed");
                }
            });
            Ok(node)
        }
    }

    async fn finish_launch(
        self: &Arc<Self>,
        id: &str,
        ready: super::launcher::Pending<'static, Result<String, LaunchError>>,
    ) -> Result<MediaNode, LaunchFailure> {
        let reached = match ready.await {
            Ok(uri) => {
                let ip = url::Url::parse(&uri).ok().and_then(|u| MediaNode::ip_of(&u));
                let _ = self.registry().update_launched(id, &uri, ip);
                reach(&uri).await.map_err(LaunchFailure::Unreachable)
            }
            Err(error) => Err(LaunchFailure::Launch(error)),
        };
        match reached {
            Ok(client) => {
                self.attach(id, client);
                self.registry().get(id).cloned().map_err(|e| LaunchFailure::Unreachable(format!("{e:?}")))
            }
            Err(failure) => {
                let change = self.registry().happened(id, Happening::LaunchFailed, now_ms()).ok().flatten();
                self.publish(change.into_iter().collect());
                Err(failure)
            }
        }
    }

    /// Runs autodiscovery and adds what it finds; returns the newly added nodes.
    pub async fn discover(self: &Arc<Self>) -> Result<Vec<MediaNode>, DiscoverError> {
        let found: Vec<(String, Option<String>)> = match &self.launcher {
            Some(launcher) => launcher.survivors().into_iter().map(|(env, uri)| (uri, Some(env))).collect(),
            None => match super::discovery::run_script(&self.settings.cluster_path).await {
                Ok(Some(found)) => found.into_iter().map(|f| (f.uri, f.environment_id)).collect(),
                Ok(None) => {
                    let script = self.settings.cluster_path.join("autodiscover");
                    return Err(DiscoverError::NotPossible(script.display().to_string()));
                }
                Err(error) => return Err(DiscoverError::Failed(error)),
            },
        };
        let mut added = Vec::new();
        for (uri, environment_id) in found {
            let Ok(parsed) = url::Url::parse(&uri) else {
                tracing::warn!(%uri, "autodiscovery found something that is not a URL");
                continue;
            };
            match self.add_uri(&parsed, environment_id).await {
                Ok(node) => added.push(node),
                Err(AddError::Duplicate { .. }) => {}
                Err(error) => tracing::warn!(%error, "a discovered media node could not be added"),
            }
        }
        Ok(added)
    }

    /// Takes a node out for good: terminated through its launcher when it was launched
    /// (a failure leaves it `terminating`), then forgotten. Returns the sessions it hosted.
    pub async fn retire(&self, id: &str) -> Result<Vec<String>, RetireError> {
        let node = self.registry().get(id).cloned().map_err(RetireError::Registry)?;
        let launched = self.launcher.is_some() && node.environment_id.as_deref().is_some_and(|e| e != EMBEDDED);
        if let (true, Some(launcher), Some(environment_id)) = (launched, &self.launcher, &node.environment_id) {
            if node.status != NodeStatus::Terminating {
                let change = self.registry().request_status(id, NodeStatus::Terminating, now_ms()).ok().flatten();
                self.publish(change.into_iter().collect());
            }
            if let Some(client) = self.clients.lock().unwrap_or_else(|p| p.into_inner()).remove(id) {
                client.close();
            }
            launcher.terminate(environment_id).await.map_err(RetireError::Terminate)?;
        }
        self.remove(id).map_err(RetireError::Registry)
    }

    /// Whether a node writes into the master's filesystem: the embedded node, and nodes
    /// the `local` launcher started on this host. Nodes added by URI are remote (their
    /// recordings' files are pulled, `docs/recording.md`).
    pub fn shares_filesystem(&self, id: &str) -> bool {
        let registry = self.registry();
        let Ok(node) = registry.get(id) else { return false };
        match node.environment_id.as_deref() {
            Some(EMBEDDED) => true,
            Some(_) => self.settings.local && self.launcher.is_some(),
            None => false,
        }
    }

    /// The Kurento client of a node (to drive its media objects).
    pub fn client(&self, id: &str) -> Option<Arc<KurentoClient>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// `kurentoInfo` for `?extra-info=true`: the node's ServerManager info and memory.
    pub async fn kurento_info(&self, id: &str) -> Option<Value> {
        let client = self.clients.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()?;
        let manager = ServerManager::new(&client);
        let info = manager.info().await.ok()?;
        let memory = manager.used_memory_kib().await.ok();
        Some(json!({
            "version": info.version,
            "modules": info.modules,
            "capabilities": info.capabilities,
            "memory": memory.map(|kib| kib / 1024),
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

    /// Logs each change and puts it on the event bus.
    pub fn publish(&self, changes: Vec<StatusChange>) {
        for change in changes {
            tracing::info!(id = %change.node.id, old = ?change.old_status.map(|s| s.as_str()), new = %change.new_status, "media node status changed");
            self.events.publish(self.status_event(&change));
        }
    }

    /// The `mediaNodeStatusChanged` event of a change.
    pub fn status_event(&self, change: &StatusChange) -> EventRecord {
        Event::MediaNodeStatusChanged {
            node: NodeRef {
                id: change.node.id.clone(),
                environment_id: change.node.environment_id.clone(),
                ip: change.node.ip.clone(),
                uri: change.node.uri.clone(),
            },
            cluster_id: self.settings.cluster_id.clone(),
            old_status: change.old_status.map(|s| s.as_str()),
            new_status: change.new_status.as_str(),
        }
        .at(change.timestamp)
    }

    /// A session closed: a draining node it left idle terminates (and is let go).
    pub fn session_closed(self: &Arc<Self>, session: &str) {
        let Some(change) = self.registry().session_closed(session, now_ms()) else { return };
        let id = change.node.id.clone();
        let terminating = change.new_status == NodeStatus::Terminating;
        self.publish(vec![change]);
        if terminating {
            let cluster = self.clone();
            tokio::spawn(async move {
                if let Err(error) = cluster.retire(&id).await {
                    tracing::error!(%id, %error, "terminating a drained media node failed");
                }
            });
        }
    }

    /// Drops every node connection and stops the embedded node (shutdown).
    pub fn close_all(&self) {
        for (_, client) in self.clients.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            client.close();
        }
        if let Some(node) = self.embedded.lock().unwrap_or_else(|p| p.into_inner()).take() {
            node.stop();
        }
    }
}

/// Pipelines and their elements on a node (the `mediaObjects` load strategy).
async fn media_objects(client: &KurentoClient) -> Option<f64> {
    let pipelines = ServerManager::new(client).pipelines().await.ok()?;
    let mut count = 0.0;
    for pipeline in pipelines {
        count += 1.0 + pipeline.children().await.map(|c| c.len()).unwrap_or(0) as f64;
    }
    Some(count)
}

/// A node handed from one generation of services to the next by a restart.
#[derive(Debug, Clone)]
pub struct Carried {
    pub id: String,
    pub uri: String,
    pub environment_id: Option<String>,
}

/// The environment id of the node running inside the master.
pub const EMBEDDED: &str = "embedded";

/// Connects to a node and checks it answers as a Kurento media server should.
async fn reach(uri: &str) -> Result<KurentoClient, String> {
    let options = ClientOptions {
        connect_timeout: REACH_TIMEOUT,
        request_timeout: REACH_TIMEOUT,
        keepalive: Some(Keepalive::MASTER),
        ..Default::default()
    };
    let attempt = async {
        let client = KurentoClient::connect(uri, options).await.map_err(|e| e.to_string())?;
        client.ping().await.map_err(|e| e.to_string())?;
        ServerManager::new(&client).info().await.map_err(|e| e.to_string())?;
        Ok::<_, String>(client)
    };
    tokio::time::timeout(REACH_TIMEOUT, attempt)
        .await
        .map_err(|_| format!("no answer within {} s", REACH_TIMEOUT.as_secs()))?
}
