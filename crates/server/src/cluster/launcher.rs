//! Launching and terminating media nodes, behind one trait so Docker or
//! Kubernetes launchers can be added without touching the cluster core.
//!
//! [`LocalLauncher`] (environment `local`) runs `plenum-media-node` processes
//! on this host. Each launch is recorded under
//! `<OPENVIDU_PRO_CLUSTER_PATH>/local-nodes/<pid>.json`, so a master that
//! restarts can re-adopt the nodes still alive instead of orphaning them.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long a launched node may take to announce its control URI.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

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
        Self { binary, records: cluster_path.join("local-nodes") }
    }

    fn record_path(&self, pid: &str) -> PathBuf {
        self.records.join(format!("{pid}.json"))
    }
}

/// Whether a process is alive and is a media node (not a recycled pid).
fn is_media_node(pid: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| String::from_utf8_lossy(&cmdline).contains("plenum-media-node"))
        .unwrap_or(false)
}

impl Launcher for LocalLauncher {
    fn launch(&self) -> Result<Launch, LaunchError> {
        let spawn_error = |reason: String| LaunchError::Spawn { binary: self.binary.display().to_string(), reason };
        std::fs::create_dir_all(&self.records).map_err(|e| spawn_error(format!("{}: {e}", self.records.display())))?;
        let mut child = tokio::process::Command::new(&self.binary)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(false)
            .spawn()
            .map_err(|e| spawn_error(e.to_string()))?;
        let pid = child.id().map(|p| p.to_string()).ok_or_else(|| spawn_error("exited at once".into()))?;
        let stdout = child.stdout.take();
        let record = self.record_path(&pid);
        let environment_id = pid.clone();
        let ready = Box::pin(async move {
            let not_ready = |reason: String| LaunchError::NotReady { environment_id: pid.clone(), reason };
            let stdout = stdout.ok_or_else(|| not_ready("no standard output".into()))?;
            let mut line = String::new();
            let read = tokio::time::timeout(READY_TIMEOUT, BufReader::new(stdout).read_line(&mut line)).await;
            match read {
                Err(_) => {
                    let _ = child.start_kill();
                    return Err(not_ready(format!("no URI announced within {} s", READY_TIMEOUT.as_secs())));
                }
                Ok(Err(e)) => return Err(not_ready(e.to_string())),
                Ok(Ok(0)) => {
                    let status = child.wait().await.map(|s| s.to_string()).unwrap_or_default();
                    return Err(not_ready(format!("exited before announcing its URI ({status})")));
                }
                Ok(Ok(_)) => {}
            }
            let uri = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
            if !uri.starts_with("ws://") {
                let _ = child.start_kill();
                return Err(not_ready(format!("unexpected first line {line:?}")));
            }
            let entry = json!({"pid": pid, "uri": uri});
            std::fs::write(&record, entry.to_string()).map_err(|e| not_ready(format!("{}: {e}", record.display())))?;
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
            if is_media_node(environment_id) {
                let status = tokio::process::Command::new("kill")
                    .arg(environment_id)
                    .status()
                    .await
                    .map_err(|e| failed(e.to_string()))?;
                if !status.success() {
                    return Err(failed(format!("kill exited with {status}")));
                }
                let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                while is_media_node(environment_id) {
                    if tokio::time::Instant::now() > deadline {
                        return Err(failed("still running 10 s after SIGTERM".into()));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
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
            let Some(record) =
                std::fs::read_to_string(&path).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            else {
                continue;
            };
            let (Some(pid), Some(uri)) = (record["pid"].as_str(), record["uri"].as_str()) else { continue };
            if is_media_node(pid) {
                found.push((pid.to_string(), uri.to_string()));
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
        found.sort();
        found
    }
}
