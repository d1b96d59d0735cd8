//! The configuration as `GET /openvidu/api/config` (and `/pro/config`) shows it.
//!
//! The key set is the superset of what OpenVidu versions print: the 2.32 CE
//! keys (with their conditional groups), the 2.32 Pro keys, and the 2.13-2.15
//! Pro cluster keys (`OPENVIDU_PRO_CLUSTER`, `_MODE`, `_AUTODISCOVERY`,
//! `_LOAD_STRATEGY`), in the documented key style.

use serde_json::{Map, Value as Json};

use super::catalog::OPENVIDU_VERSION;
use super::typed::{Config, PublicEndpoint};

pub fn config_json(config: &Config, public: &PublicEndpoint) -> Json {
    let s = &config.settings;
    let mut json = Map::new();
    let mut put = |key: &str, value: Json| {
        json.insert(key.to_string(), value);
    };
    let copy = |key: &str| s.get(key).to_json();

    put("VERSION", OPENVIDU_VERSION.into());
    put("OPENVIDU_SERVER_DEPENDENCY_VERSION", OPENVIDU_VERSION.into());
    put("OPENVIDU_EDITION", copy("OPENVIDU_EDITION"));
    let domain = match s.text("DOMAIN_OR_PUBLIC_IP") {
        "" => public.host.clone(),
        configured => configured.to_string(),
    };
    put("DOMAIN_OR_PUBLIC_IP", domain.into());
    put("HTTPS_PORT", public.port.into());
    put("OPENVIDU_PUBLICURL", public.http_url.clone().into());
    put("OPENVIDU_CDR", copy("OPENVIDU_CDR"));
    if s.bool("OPENVIDU_CDR") {
        put("OPENVIDU_CDR_PATH", copy("OPENVIDU_CDR_PATH"));
    }
    for key in [
        "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH",
        "OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH",
        "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH",
        "OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH",
        "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC",
        "OPENVIDU_STREAMS_ALLOW_TRANSCODING",
        "OPENVIDU_WEBRTC_SIMULCAST",
        "OPENVIDU_SESSIONS_GARBAGE_INTERVAL",
        "OPENVIDU_SESSIONS_GARBAGE_THRESHOLD",
        "OPENVIDU_RECORDING",
    ] {
        put(key, copy(key));
    }
    if s.bool("OPENVIDU_RECORDING") {
        for key in [
            "OPENVIDU_RECORDING_VERSION",
            "OPENVIDU_RECORDING_PATH",
            "OPENVIDU_RECORDING_PUBLIC_ACCESS",
            "OPENVIDU_RECORDING_NOTIFICATION",
            "OPENVIDU_RECORDING_CUSTOM_LAYOUT",
            "OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT",
        ] {
            put(key, copy(key));
        }
        if !s.text("OPENVIDU_RECORDING_COMPOSED_URL").is_empty() {
            put("OPENVIDU_RECORDING_COMPOSED_URL", copy("OPENVIDU_RECORDING_COMPOSED_URL"));
        }
    }
    put("OPENVIDU_WEBHOOK", copy("OPENVIDU_WEBHOOK"));
    if s.bool("OPENVIDU_WEBHOOK") {
        for key in ["OPENVIDU_WEBHOOK_ENDPOINT", "OPENVIDU_WEBHOOK_HEADERS", "OPENVIDU_WEBHOOK_EVENTS"] {
            put(key, copy(key));
        }
    }
    for key in [
        "KMS_URIS",
        "OPENVIDU_PRO_STATS_SESSION_INTERVAL",
        "OPENVIDU_PRO_STATS_SERVER_INTERVAL",
        "OPENVIDU_PRO_STATS_MONITORING_INTERVAL",
        "OPENVIDU_PRO_STATS_WEBRTC_INTERVAL",
        "OPENVIDU_PRO_CLUSTER",
    ] {
        put(key, copy(key));
    }
    put("OPENVIDU_PRO_CLUSTER_ID", config.cluster_id.clone().into());
    for key in [
        "OPENVIDU_PRO_CLUSTER_MODE",
        "OPENVIDU_PRO_CLUSTER_ENVIRONMENT",
        "OPENVIDU_PRO_CLUSTER_AUTODISCOVERY",
        "OPENVIDU_PRO_CLUSTER_MEDIA_NODES",
        "OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY",
        "OPENVIDU_PRO_CLUSTER_PATH",
        "OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT",
        "OPENVIDU_PRO_CLUSTER_AUTOSCALING",
    ] {
        put(key, copy(key));
    }
    if s.bool("OPENVIDU_PRO_CLUSTER_AUTOSCALING") {
        for key in [
            "OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES",
            "OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES",
            "OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD",
            "OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD",
        ] {
            put(key, copy(key));
        }
    }
    for key in [
        "OPENVIDU_PRO_ELASTICSEARCH",
        "OPENVIDU_PRO_ELASTICSEARCH_VERSION",
        "OPENVIDU_PRO_ELASTICSEARCH_HOST",
        "OPENVIDU_PRO_KIBANA",
        "OPENVIDU_PRO_KIBANA_VERSION",
        "OPENVIDU_PRO_KIBANA_HOST",
        "OPENVIDU_PRO_RECORDING_STORAGE",
        "OPENVIDU_PRO_NETWORK_QUALITY",
    ] {
        put(key, copy(key));
    }
    if s.bool("OPENVIDU_PRO_NETWORK_QUALITY") {
        put("OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL", copy("OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL"));
    }
    put("OPENVIDU_PRO_SPEECH_TO_TEXT", copy("OPENVIDU_PRO_SPEECH_TO_TEXT"));
    if s.text("OPENVIDU_EDITION") == "enterprise" {
        put("OPENVIDU_ENTERPRISE_MEDIA_SERVER", copy("OPENVIDU_ENTERPRISE_MEDIA_SERVER"));
    }
    Json::Object(json)
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
