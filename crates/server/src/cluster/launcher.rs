//! Launching and terminating media nodes, behind one trait so Docker or
//! Kubernetes launchers can be added without touching the cluster core.
//!
//! [`LocalLauncher`] (environment `local`) runs `plenum-media-node` processes
//! on this host. Each launch is recorded under
//! `<OPENVIDU_PRO_CLUSTER_PATH>/local-nodes/<pid>.json`, so a master that
//! restarts can re-adopt the nodes still alive instead of orphaning them; the
//! node's output goes to `<pid>.log` beside it ([`node_log`]).

mod node_log;
mod process;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;

use crate::config::write_atomically;

pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long a launched node may take to announce its control URI.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// How often the log is read for the announcement, and a node looked for after SIGTERM.
const POLL: Duration = Duration::from_millis(50);

/// How long a node may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot start {binary}: {reason}")]
    Spawn { binary: String, reason: String },
    #[error("the media node {environment_id} did not become ready: {reason}")]
    NotReady { environment_id: String, reason: String },
    #[error("cannot terminate media node {environment_id}: {reason}")]
    Terminate { environment_id: String, reason: String },
}

/// A launch in progress: the handle is known at once, the URI once the node is up.
pub struct Launch {
    pub environment_id: String,
    pub ready: Pending<'static, Result<String, LaunchError>>,
}

pub trait Launcher: Send + Sync {
    /// Starts a node; fails at once when it cannot even be started.
    fn launch(&self) -> Result<Launch, LaunchError>;
    fn terminate<'a>(&'a self, environment_id: &'a str) -> Pending<'a, Result<(), LaunchError>>;
    /// Nodes launched earlier (maybe by an earlier master) that are still alive: `(environmentId, uri)`.
    fn survivors(&self) -> Vec<(String, String)>;
}

pub struct LocalLauncher {
    binary: PathBuf,
    records: PathBuf,
    /// Given to the node as `--recording-root`: it writes recordings where the master keeps them.
    recording_root: Option<PathBuf>,
}

impl LocalLauncher {
    /// `binary` as configured (`PLENUM_MEDIA_NODE_BIN`), else next to the master's own executable.
    pub fn new(binary: Option<PathBuf>, cluster_path: &Path) -> Self {
        let binary = binary.unwrap_or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join("plenum-media-node")))
                .unwrap_or_else(|| PathBuf::from("plenum-media-node"))
        });
        Self::with_binary(binary, cluster_path)
    }

    pub fn with_binary(binary: PathBuf, cluster_path: &Path) -> Self {
        Self { binary, records: cluster_path.join("local-nodes"), recording_root: None }
    }

    pub fn with_recording_root(mut self, root: PathBuf) -> Self {
        self.recording_root = Some(root);
        self
    }

    fn record_path(&self, pid: &str) -> PathBuf {
        self.records.join(format!("{pid}.json"))
    }
}

impl Launcher for LocalLauncher {
    fn launch(&self) -> Result<Launch, LaunchError> {
        let spawn_error = |reason: String| LaunchError::Spawn { binary: self.binary.display().to_string(), reason };
        let in_records = |e: std::io::Error| spawn_error(format!("{}: {e}", self.records.display()));
        std::fs::create_dir_all(&self.records).map_err(in_records)?;
        let (temporary_log, log) = node_log::create(&self.records).map_err(in_records)?;
        let stdout = log.try_clone().map_err(in_records)?;
        let mut command = tokio::process::Command::new(&self.binary);
        command.args(["--listen", "127.0.0.1:0"]);
        if let Some(root) = &self.recording_root {
            command.arg("--recording-root").arg(root);
        }
        let spawned = command
            // The log is a file: no terminal colour codes in it.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log)
            .kill_on_drop(false)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_file(&temporary_log);
                return Err(spawn_error(e.to_string()));
            }
        };
        let Some(pid) = child.id().map(|p| p.to_string()) else {
            let _ = std::fs::remove_file(&temporary_log);
            return Err(spawn_error("exited at once".into()));
        };
        let log_path = match node_log::name_after(temporary_log, &self.records, &pid) {
            Ok(path) => path,
            Err((kept, error)) => {
                tracing::warn!(environment_id = %pid, log = %kept.display(), %error, "cannot name the media node's log");
                kept
            }
        };
        tracing::info!(environment_id = %pid, log = %log_path.display(), "launched a media node");
        let record = self.record_path(&pid);
        let environment_id = pid.clone();
        let ready = Box::pin(async move {
            let not_ready = |reason: String| LaunchError::NotReady { environment_id: pid.clone(), reason };
            let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
            let uri = loop {
                // Read before checking for an exit, so an announcement made just before exiting is seen.
                let text =
                    tokio::fs::read(&log_path).await.map_err(|e| not_ready(format!("{}: {e}", log_path.display())))?;
                if let Some(uri) = node_log::announced_uri(&String::from_utf8_lossy(&text)) {
                    break uri.to_string();
                }
                if let Some(status) = child.try_wait().map_err(|e| not_ready(e.to_string()))? {
                    return Err(not_ready(format!("exited before announcing its URI ({status})")));
                }
                if tokio::time::Instant::now() > deadline {
                    let _ = child.start_kill();
                    return Err(not_ready(format!("no URI announced within {} s", READY_TIMEOUT.as_secs())));
                }
                tokio::time::sleep(POLL).await;
            };
            if !uri.starts_with("ws://") {
                let _ = child.start_kill();
                return Err(not_ready(format!("unexpected announcement {uri:?}")));
            }
            let entry = json!({"pid": pid, "uri": uri});
            write_atomically(&record, entry.to_string().as_bytes())
                .map_err(|e| not_ready(format!("{}: {e}", record.display())))?;
            // Reap the process when it ends so it does not linger as a zombie.
            tokio::spawn(async move {
                let _ = child.wait().await;
            });
            Ok(uri)
        });
        Ok(Launch { environment_id, ready })
    }

    fn terminate<'a>(&'a self, environment_id: &'a str) -> Pending<'a, Result<(), LaunchError>> {
        Box::pin(async move {
            let failed = |reason: String| LaunchError::Terminate { environment_id: environment_id.into(), reason };
            if process::is_media_node(environment_id) {
                process::request_stop(environment_id).map_err(failed)?;
                let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
                while process::is_media_node(environment_id) {
                    if tokio::time::Instant::now() > deadline {
                        return Err(failed(format!("still running {} s after SIGTERM", STOP_TIMEOUT.as_secs())));
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
            let _ = std::fs::remove_file(self.record_path(environment_id));
            Ok(())
        })
    }

    fn survivors(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.records) else { return Vec::new() };
        let mut found = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            // Only launch records: the nodes' logs live beside them.
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let Some(record) =
                std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            else {
                continue;
            };
            let (Some(pid), Some(uri)) = (record["pid"].as_str(), record["uri"].as_str()) else { continue };
            if process::is_media_node(pid) {
                found.push((pid.to_string(), uri.to_string()));
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
        found.sort();
        found
    }
}
