//! The configuration as `GET /openvidu/api/config` (and `/pro/config`) shows it.
//!
//! The key set is the superset of what OpenVidu versions print: the 2.32 CE
//! keys (with their conditional groups), the 2.32 Pro keys, and the 2.13-2.15
//! Pro cluster keys (`OPENVIDU_PRO_CLUSTER`, `_MODE`, `_AUTODISCOVERY`,
//! `_LOAD_STRATEGY`), in the documented key style.

use serde_json::{Map, Value as Json};

use super::catalog::{OPENVIDU_VERSION, keys};
use super::key::Property;
use super::resolved::{Config, PublicEndpoint};
use super::settings::Settings;

pub fn config_json(config: &Config, public: &PublicEndpoint) -> Json {
    let s = &config.settings;
    let mut report = Report { settings: s, json: Map::new() };

    report.put("VERSION", OPENVIDU_VERSION.into());
    report.put("OPENVIDU_SERVER_DEPENDENCY_VERSION", OPENVIDU_VERSION.into());
    report.copy(&[keys::OPENVIDU_EDITION.into()]);
    let domain = match s.get(keys::DOMAIN_OR_PUBLIC_IP) {
        "" => public.host.clone(),
        configured => configured.to_string(),
    };
    report.put("DOMAIN_OR_PUBLIC_IP", domain.into());
    report.put("HTTPS_PORT", public.port.into());
    report.put("OPENVIDU_PUBLICURL", public.http_url.clone().into());
    report.copy(&[keys::OPENVIDU_CDR.into()]);
    if s.get(keys::OPENVIDU_CDR) {
        report.copy(&[keys::OPENVIDU_CDR_PATH.into()]);
    }
    report.copy(&[
        keys::OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH.into(),
        keys::OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH.into(),
        keys::OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH.into(),
        keys::OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH.into(),
        keys::OPENVIDU_STREAMS_FORCED_VIDEO_CODEC.into(),
        keys::OPENVIDU_STREAMS_ALLOW_TRANSCODING.into(),
        keys::OPENVIDU_WEBRTC_SIMULCAST.into(),
        keys::OPENVIDU_SESSIONS_GARBAGE_INTERVAL.into(),
        keys::OPENVIDU_SESSIONS_GARBAGE_THRESHOLD.into(),
        keys::OPENVIDU_RECORDING.into(),
    ]);
    if s.get(keys::OPENVIDU_RECORDING) {
        report.copy(&[
            keys::OPENVIDU_RECORDING_VERSION.into(),
            keys::OPENVIDU_RECORDING_PATH.into(),
            keys::OPENVIDU_RECORDING_PUBLIC_ACCESS.into(),
            keys::OPENVIDU_RECORDING_NOTIFICATION.into(),
            keys::OPENVIDU_RECORDING_CUSTOM_LAYOUT.into(),
            keys::OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT.into(),
        ]);
        if !s.get(keys::OPENVIDU_RECORDING_COMPOSED_URL).is_empty() {
            report.copy(&[keys::OPENVIDU_RECORDING_COMPOSED_URL.into()]);
        }
    }
    report.copy(&[keys::OPENVIDU_WEBHOOK.into()]);
    if s.get(keys::OPENVIDU_WEBHOOK) {
        report.copy(&[
            keys::OPENVIDU_WEBHOOK_ENDPOINT.into(),
            keys::OPENVIDU_WEBHOOK_HEADERS.into(),
            keys::OPENVIDU_WEBHOOK_EVENTS.into(),
        ]);
    }
    report.copy(&[
        keys::KMS_URIS.into(),
        keys::OPENVIDU_PRO_STATS_SESSION_INTERVAL.into(),
        keys::OPENVIDU_PRO_STATS_SERVER_INTERVAL.into(),
        keys::OPENVIDU_PRO_STATS_MONITORING_INTERVAL.into(),
        keys::OPENVIDU_PRO_STATS_WEBRTC_INTERVAL.into(),
        keys::OPENVIDU_PRO_CLUSTER.into(),
    ]);
    report.put("OPENVIDU_PRO_CLUSTER_ID", config.cluster_id.clone().into());
    report.copy(&[
        keys::OPENVIDU_PRO_CLUSTER_MODE.into(),
        keys::OPENVIDU_PRO_CLUSTER_ENVIRONMENT.into(),
        keys::OPENVIDU_PRO_CLUSTER_AUTODISCOVERY.into(),
        keys::OPENVIDU_PRO_CLUSTER_MEDIA_NODES.into(),
        keys::OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY.into(),
        keys::OPENVIDU_PRO_CLUSTER_PATH.into(),
        keys::OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT.into(),
        keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING.into(),
    ]);
    if s.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING) {
        report.copy(&[
            keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES.into(),
            keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES.into(),
            keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD.into(),
            keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD.into(),
        ]);
    }
    report.copy(&[
        keys::OPENVIDU_PRO_ELASTICSEARCH.into(),
        keys::OPENVIDU_PRO_ELASTICSEARCH_VERSION.into(),
        keys::OPENVIDU_PRO_ELASTICSEARCH_HOST.into(),
        keys::OPENVIDU_PRO_KIBANA.into(),
        keys::OPENVIDU_PRO_KIBANA_VERSION.into(),
        keys::OPENVIDU_PRO_KIBANA_HOST.into(),
        keys::OPENVIDU_PRO_RECORDING_STORAGE.into(),
        keys::OPENVIDU_PRO_NETWORK_QUALITY.into(),
    ]);
    if s.get(keys::OPENVIDU_PRO_NETWORK_QUALITY) {
        report.copy(&[keys::OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL.into()]);
    }
    report.copy(&[keys::OPENVIDU_PRO_SPEECH_TO_TEXT.into()]);
    if s.get(keys::OPENVIDU_EDITION) == "enterprise" {
        report.copy(&[keys::OPENVIDU_ENTERPRISE_MEDIA_SERVER.into()]);
    }
    Json::Object(report.json)
}

/// The object being built. Keys keep the order they are put in, which is the
/// order OpenVidu prints them.
struct Report<'a> {
    settings: &'a Settings,
    json: Map<String, Json>,
}

impl Report<'_> {
    fn put(&mut self, key: &str, value: Json) {
        self.json.insert(key.to_string(), value);
    }

    /// Each property under its own name, with the JSON type its value has.
    fn copy(&mut self, properties: &[Property]) {
        for &property in properties {
            self.put(property.name(), self.settings.value(property).to_json());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(None, &move |key| owned.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())).unwrap().config
    }

    fn keys(json: &Json) -> Vec<&str> {
        json.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn contains_the_ce_pro_and_2_13_cluster_keys() {
        let config = config(&[]);
        let json = config_json(&config, &config.public_endpoint("127.0.0.1:4443".parse().unwrap()));
        let keys = keys(&json);
        for key in [
            "VERSION",
            "OPENVIDU_SERVER_DEPENDENCY_VERSION",
            "DOMAIN_OR_PUBLIC_IP",
            "HTTPS_PORT",
            "OPENVIDU_PUBLICURL",
            "OPENVIDU_CDR",
            "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH",
            "OPENVIDU_SESSIONS_GARBAGE_INTERVAL",
            "OPENVIDU_RECORDING",
            "OPENVIDU_WEBHOOK",
            "KMS_URIS",
            "OPENVIDU_PRO_STATS_MONITORING_INTERVAL",
            "OPENVIDU_PRO_STATS_WEBRTC_INTERVAL",
            "OPENVIDU_PRO_CLUSTER",
            "OPENVIDU_PRO_CLUSTER_ID",
            "OPENVIDU_PRO_CLUSTER_MODE",
            "OPENVIDU_PRO_CLUSTER_ENVIRONMENT",
            "OPENVIDU_PRO_CLUSTER_AUTODISCOVERY",
            "OPENVIDU_PRO_CLUSTER_MEDIA_NODES",
            "OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY",
            "OPENVIDU_PRO_CLUSTER_PATH",
            "OPENVIDU_PRO_CLUSTER_AUTOSCALING",
            "OPENVIDU_PRO_ELASTICSEARCH",
            "OPENVIDU_PRO_KIBANA_HOST",
        ] {
            assert!(keys.contains(&key), "missing {key}");
        }
        assert!(!keys.contains(&"OPENVIDU_RECORDING_PATH"), "recording keys only when recording is on");
        assert_eq!(json["KMS_URIS"], serde_json::json!([]));
        assert_eq!(json["OPENVIDU_SESSIONS_GARBAGE_INTERVAL"], 900);
        assert_eq!(json["OPENVIDU_CDR"], false);
        assert_eq!(json["HTTPS_PORT"], 4443);
    }

    #[test]
    fn conditional_groups_appear_when_enabled() {
        let config = config(&[
            ("OPENVIDU_RECORDING", "true"),
            ("OPENVIDU_WEBHOOK", "true"),
            ("OPENVIDU_WEBHOOK_ENDPOINT", "http://127.0.0.1:7777/webhook"),
            ("OPENVIDU_PRO_CLUSTER_AUTOSCALING", "true"),
            ("OPENVIDU_PRO_CLUSTER_MODE", "auto"),
            ("OPENVIDU_PRO_CLUSTER_ENVIRONMENT", "local"),
        ]);
        let json = config_json(&config, &config.public_endpoint("127.0.0.1:4443".parse().unwrap()));
        let keys = keys(&json);
        for key in ["OPENVIDU_RECORDING_PATH", "OPENVIDU_WEBHOOK_EVENTS", "OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES"]
        {
            assert!(keys.contains(&key), "missing {key}");
        }
        assert!(json["OPENVIDU_WEBHOOK_EVENTS"].as_array().unwrap().len() >= 10);
    }
}
