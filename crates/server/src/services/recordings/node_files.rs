//! The remote pull of the recording service: for a node that does not share
//! the master's filesystem, its recording root comes from its
//! `ServerManager.getMetadata`, and its finished files are pulled over its
//! control port with [`RemoteFiles`] (size and SHA-256 checked, written
//! atomically, then deleted on the node).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use kurento_protocol::media::ServerManager;

use crate::cluster::service::ClusterService;
use crate::recorder::remote_files::{NodeRecordingPlace, RemoteFiles};
use crate::recorder::{PullFuture, RemotePull};

pub struct NodeFiles {
    cluster: Arc<ClusterService>,
    /// `OPENVIDU_SECRET`: the node knows it as `PLENUM_NODE_SECRET`.
    secret: String,
    /// Built at the first pull.
    http: OnceLock<reqwest::Client>,
}

impl NodeFiles {
    pub fn new(cluster: Arc<ClusterService>, secret: String) -> Self {
        Self { cluster, secret, http: OnceLock::new() }
    }

    /// No proxy from the environment, bounded waits, and the ring TLS provider named
    /// here (the master installs no process-wide one); a node's certificate is not
    /// verified, as webhook receivers' are not.
    fn http(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let tls = crate::webhooks::no_verify::client_config().map_err(|e| e.to_string())?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(std::time::Duration::from_secs(10))
            .read_timeout(std::time::Duration::from_secs(30))
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot make the HTTP client of recording pulls: {e}"))?;
        Ok(self.http.get_or_init(|| client))
    }

    async fn files_of(&self, node_id: &str) -> Result<RemoteFiles, String> {
        let client = self.cluster.client(node_id).ok_or_else(|| format!("media node {node_id} is not connected"))?;
        let uri = self
            .cluster
            .registry()
            .get(node_id)
            .ok()
            .and_then(|node| node.uri.clone())
            .ok_or_else(|| format!("media node {node_id} has no URI"))?;
        let metadata = ServerManager::new(&client)
            .metadata()
            .await
            .map_err(|e| format!("media node {node_id} did not say where it records: {e}"))?;
        RemoteFiles::of(&uri, &NodeRecordingPlace::parse(&metadata), &self.secret)
            .map_err(|e| format!("media node {node_id}: {e}"))
    }
}

impl RemotePull for NodeFiles {
    fn root<'a>(&'a self, node_id: &'a str) -> PullFuture<'a, PathBuf> {
        Box::pin(async move { Ok(self.files_of(node_id).await?.root) })
    }

    fn pull<'a>(&'a self, node_id: &'a str, files: &'a [String], into: &'a Path) -> PullFuture<'a, ()> {
        Box::pin(async move {
            let remote = self.files_of(node_id).await?;
            for file in files {
                let name = Path::new(file).file_name().ok_or_else(|| format!("{file} names no file"))?;
                let size = remote
                    .pull(self.http()?, &remote.root.join(file), &into.join(name))
                    .await
                    .map_err(|e| format!("pulling {file} from media node {node_id}: {e}"))?;
                tracing::info!(node = %node_id, %file, size, "recording file pulled from a remote media node");
            }
            Ok(())
        })
    }
}
