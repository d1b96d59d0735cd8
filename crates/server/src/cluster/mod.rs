//! The Pro cluster: media nodes, their statuses, load and session placement.
//! Pure cores here; the HTTP handlers and node connections are adapters.

pub mod autoscaler;
pub mod autoscaling;
mod autoscaling_reason;
pub mod crash;
pub mod deletion;
pub mod discovery;
pub mod launcher;
pub mod link_watch;
pub mod node;
pub mod placement;
pub mod registry;
pub mod service;
pub mod status;

use std::path::PathBuf;

use crate::config::{Config, keys};
use crate::openvidu_enums::WireEnum;

/// The cluster's settings from the configuration.
pub fn settings_from(config: &Config) -> service::ClusterSettings {
    let settings = &config.settings;
    let autoscaling = autoscaling::config_from(config);
    service::ClusterSettings {
        enabled: settings.get(keys::OPENVIDU_PRO_CLUSTER),
        cluster_id: config.cluster_id.clone(),
        strategy: placement::LoadStrategy::parse(settings.get(keys::OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY))
            .unwrap_or_default(),
        auto_mode: settings.get(keys::OPENVIDU_PRO_CLUSTER_MODE) == "auto",
        local: settings.get(keys::OPENVIDU_PRO_CLUSTER_ENVIRONMENT) == "local",
        cluster_path: PathBuf::from(settings.get(keys::OPENVIDU_PRO_CLUSTER_PATH)),
        recording_path: config.recording_path.clone(),
        kms_uris: settings.get(keys::KMS_URIS).to_vec(),
        // With autoscaling on, MIN_NODES replaces MEDIA_NODES (OpenVidu 2.15+).
        startup_nodes: match &autoscaling {
            Some(autoscaling) => autoscaling.min_nodes,
            None => settings.get(keys::OPENVIDU_PRO_CLUSTER_MEDIA_NODES).max(0) as usize,
        },
        autodiscovery: settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTODISCOVERY),
        embedded: settings.get(keys::PLENUM_EMBEDDED_MEDIA_NODE),
        monitoring_interval: std::time::Duration::from_secs(
            settings.get(keys::OPENVIDU_PRO_STATS_MONITORING_INTERVAL).max(1) as u64,
        ),
        media_node_bin: Some(settings.get(keys::PLENUM_MEDIA_NODE_BIN)).filter(|p| !p.is_empty()).map(PathBuf::from),
        embedded_rtc_address: settings
            .get(keys::MEDIA_NODES_PUBLIC_IPS)
            .first()
            .and_then(|ip| ip.parse().ok())
            .unwrap_or(std::net::IpAddr::from([127, 0, 0, 1])),
        autoscaling,
        reconnection_timeout_s: settings.get(keys::OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT),
    }
}
