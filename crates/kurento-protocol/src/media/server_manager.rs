//! `manager_ServerManager`: what a node is and how loaded it is (reference §6).
//! The master reads `getInfo` when it registers a node, `getUsedCpu` for
//! placement, `getUsedMemory` for `kurentoInfo`, and `getPipelines` with each
//! pipeline's `getChildren` for the media-objects load strategy.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{MediaResult, Step, unexpected};
use super::object::MediaObject;
use super::pipeline::{MediaPipeline, ids};
use crate::client::KurentoClient;
use crate::object_id::SERVER_MANAGER_ID;

/// `getInfo`'s `ServerInfo`. Fields a node leaves out read as empty, so that an
/// odd node is still registered and the master decides what it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServerInfo {
    /// Kurento's version (`7.3.0`); `openvidu/mediasoup-controller…` marks OpenVidu's mediasoup node.
    pub version: String,
    /// `KMS`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `["transactions"]`.
    pub capabilities: Vec<String>,
    pub modules: Vec<ModuleInfo>,
}

/// One module a node has loaded (`core`, `elements`, `filters`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ModuleInfo {
    pub name: String,
    pub version: String,
    /// When the module was built, as C's `__DATE__ " " __TIME__`.
    pub generation_time: String,
    /// The classes it can create.
    pub factories: Vec<String>,
}

/// The node's singleton; needs no `create` (its id is fixed).
#[derive(Debug, Clone)]
pub struct ServerManager {
    object: MediaObject,
}

impl ServerManager {
    pub fn new(client: &KurentoClient) -> Self {
        Self { object: MediaObject::new(client, SERVER_MANAGER_ID) }
    }

    /// `getInfo`.
    pub async fn info(&self) -> MediaResult<ServerInfo> {
        let value = self.object.invoke(Step::GetInfo, json!({})).await?;
        ServerInfo::deserialize(&value).map_err(|_| unexpected(Step::GetInfo, value))
    }

    /// `getUsedCpu {interval}`: the machine's CPU use in percent, averaged over
    /// `interval` (the node answers only after it has passed).
    pub async fn used_cpu(&self, interval: Duration) -> MediaResult<f64> {
        let millis = i32::try_from(interval.as_millis()).unwrap_or(i32::MAX);
        let value = self.object.invoke(Step::GetUsedCpu, json!({"interval": millis})).await?;
        value.as_f64().ok_or_else(|| unexpected(Step::GetUsedCpu, value))
    }

    /// `getUsedMemory`, in KiB.
    pub async fn used_memory_kib(&self) -> MediaResult<u64> {
        let value = self.object.invoke(Step::GetUsedMemory, json!({})).await?;
        value.as_u64().ok_or_else(|| unexpected(Step::GetUsedMemory, value))
    }

    /// `getMetadata`: free text; Plenum's nodes put JSON there saying where they
    /// keep recordings (`docs/recording.md`), Kurento answers `""`.
    pub async fn metadata(&self) -> MediaResult<String> {
        let value = self.object.invoke(Step::GetMetadata, json!({})).await?;
        value.as_str().map(str::to_string).ok_or_else(|| unexpected(Step::GetMetadata, value))
    }

    /// `getPipelines`: every pipeline on the node, whichever session made it.
    pub async fn pipelines(&self) -> MediaResult<Vec<MediaPipeline>> {
        let value: Value = self.object.invoke(Step::GetPipelines, json!({})).await?;
        let client = self.object.client();
        Ok(ids(Step::GetPipelines, value)?.iter().map(|id| MediaPipeline::from_id(client, id)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kurento_server_info_and_ignores_the_type_tags() {
        let wire = json!({
            "__module__": "kurento", "__type__": "ServerInfo",
            "version": "7.3.0", "type": "KMS", "capabilities": ["transactions"],
            "modules": [{"__module__": "kurento", "__type__": "ModuleInfo", "name": "core", "version": "7.3.0",
                         "generationTime": "Mar 19 2025 10:00:00", "factories": ["PassThrough"]}],
        });
        let info = ServerInfo::deserialize(&wire).unwrap();
        assert_eq!((info.version.as_str(), info.kind.as_str()), ("7.3.0", "KMS"));
        assert_eq!(info.capabilities, ["transactions"]);
        assert_eq!(info.modules[0].generation_time, "Mar 19 2025 10:00:00");
        assert_eq!(info.modules[0].factories, ["PassThrough"]);
        let sparse = ServerInfo::deserialize(&json!({"version": "7.3.0"})).unwrap();
        assert!(sparse.modules.is_empty());
        assert!(ServerInfo::deserialize(&json!({"version": 7})).is_err());
        assert!(ServerInfo::deserialize(&json!("7.3.0")).is_err());
    }
}
