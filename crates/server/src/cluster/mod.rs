//! The Pro cluster: media nodes, their statuses, load and session placement.
//! Pure cores here; the HTTP handlers and node connections are adapters.

pub mod node;
pub mod placement;
pub mod registry;
pub mod service;
pub mod status;

use crate::config::Config;

/// The cluster's settings from the configuration; `started_ms` names the CDR file of this run.
pub fn settings_from(config: &Config, started_ms: u64) -> service::ClusterSettings {
    let settings = &config.settings;
    service::ClusterSettings {
        enabled: settings.bool("OPENVIDU_PRO_CLUSTER"),
        cluster_id: config.cluster_id.clone(),
        strategy: placement::LoadStrategy::parse(settings.text("OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY"))
            .unwrap_or_default(),
        cdr_file: settings
            .bool("OPENVIDU_CDR")
            .then(|| config.cdr_path.join(format!("CDR.{}_{started_ms}.log", crate::clock::civil_date(started_ms)))),
    }
}
