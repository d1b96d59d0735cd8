//! Every configuration property Plenum knows, with its kind and default.
//!
//! One table drives parsing, validation, `GET /openvidu/api/config`, the restart
//! API and the README, so a property cannot be known to one and missing from
//! another. The same declaration makes the typed [`keys`] the rest of the
//! server reads values with (see `declare.rs`), so code cannot name a property
//! the table lacks. Names, defaults and the "not modifiable by restart" flags
//! follow the OpenVidu 2.x CE and Pro documentation.

use super::declare::declare_properties;
use super::value_kind::{Item, Kind};

/// The OpenVidu version whose protocols Plenum speaks. Browsers compare it with their own.
pub const OPENVIDU_VERSION: &str = "2.32.1";

pub struct PropertySpec {
    pub name: &'static str,
    pub kind: Kind,
    pub default: &'static str,
    /// Whether `POST /openvidu/api/restart` may change it.
    pub restartable: bool,
    pub doc: &'static str,
}

const NON_NEGATIVE: Kind = Kind::Int { min: 0, max: i64::MAX };
const POSITIVE: Kind = Kind::Int { min: 1, max: i64::MAX };
const PERCENT: Kind = Kind::Int { min: 0, max: 100 };

pub const DEFAULT_WEBHOOK_EVENTS: &str = "[\"sessionCreated\",\"sessionDestroyed\",\"participantJoined\",\"participantLeft\",\"webrtcConnectionCreated\",\"webrtcConnectionDestroyed\",\"recordingStatusChanged\",\"filterEventDispatched\",\"signalSent\",\"mediaNodeStatusChanged\",\"autoscaling\",\"nodeCrashed\",\"nodeRecovered\",\"broadcastStarted\",\"broadcastStopped\"]";

// `fixed`: a restart may not change it (the OpenVidu docs' list, plus the listen socket).
declare_properties! {
    // Listening socket and TLS (Plenum).
    fixed SERVER_ADDRESS: str, Kind::Ip { optional: false }, "127.0.0.1", "Address the master listens on.";
    fixed SERVER_PORT: i64, Kind::ListenPort, "4443", "Port the master listens on (HTTP/HTTPS and websockets).";
    fixed SERVER_SSL_ENABLED: bool, Kind::Bool, "false", "Serve HTTPS/WSS with rustls.";
    fixed SERVER_SSL_CERTIFICATE: str, Kind::Path, "", "PEM certificate chain; empty = self-signed at startup.";
    fixed SERVER_SSL_KEY: str, Kind::Path, "", "PEM private key; empty = self-signed at startup.";
    fixed SUPPORT_DEPRECATED_API: bool,
        Kind::Bool, "true", "Also serve the 2.13-2.15 paths (/api, /config, /cdr, /pro).";
    // Public identity.
    fixed DOMAIN_OR_PUBLIC_IP: str, Kind::Host, "", "Public domain or IP; empty = the host of the public URL.";
    fixed HTTPS_PORT: i64, Kind::Int { min: 0, max: 65535 }, "0", "Public HTTPS port; 0 = the port of the public URL.";
    fixed HTTP_PORT: i64, Kind::Port, "80", "Public HTTP port (reported only).";
    fixed CERTIFICATE_TYPE: str,
        Kind::Choice(&["selfsigned", "owncert", "letsencrypt"]), "selfsigned",
        "selfsigned or owncert (files in SERVER_SSL_*); letsencrypt is refused.";
    restartable LETSENCRYPT_EMAIL: str, Kind::Text, "", "Accepted for compatibility; unused.";
    fixed OPENVIDU_SECRET: str, Kind::Secret, "MY_SECRET", "Password of user OPENVIDUAPP for the REST API.";
    restartable OPENVIDU_PUBLICURL: str,
        Kind::HttpUrl { optional: true }, "", "Public URL used in tokens; empty = the listen address.";
    // CE features.
    restartable OPENVIDU_CDR: bool, Kind::Bool, "false", "Write the call detail record.";
    restartable OPENVIDU_CDR_PATH: str, Kind::Path, "/opt/openvidu/cdr", "Directory of CDR files.";
    restartable OPENVIDU_WEBHOOK: bool, Kind::Bool, "false", "Send events to a webhook.";
    restartable OPENVIDU_WEBHOOK_ENDPOINT: str,
        Kind::HttpUrl { optional: true }, "", "Webhook URL (required when OPENVIDU_WEBHOOK=true).";
    restartable OPENVIDU_WEBHOOK_HEADERS: [String],
        Kind::List(Item::Header), "[]", "Extra webhook headers, 'Name: value'.";
    restartable OPENVIDU_WEBHOOK_EVENTS: [String],
        Kind::List(Item::WebhookEvent), DEFAULT_WEBHOOK_EVENTS, "Events sent to the webhook.";
    restartable PLENUM_WEBHOOK_SIGNING: bool,
        Kind::Bool, "false", "Sign webhook requests: X-Plenum-Signature, HMAC-SHA256 keyed by OPENVIDU_SECRET.";
    restartable PLENUM_WEBHOOK_QUEUE_CAPACITY: i64,
        POSITIVE, "10000", "Webhook events waiting for delivery; when full, the oldest is dropped.";
    restartable PLENUM_METRICS: bool, Kind::Bool, "true",
        "Record REST, join and placement metrics and serve GET /metrics (false: neither).";
    restartable PLENUM_METRICS_PUBLIC: bool, Kind::Bool, "false", "Serve GET /metrics without authentication.";
    restartable OPENVIDU_RECORDING: bool, Kind::Bool, "false", "Enable the recording API.";
    restartable OPENVIDU_RECORDING_DEBUG: bool, Kind::Bool, "false", "Keep recorder logs.";
    restartable OPENVIDU_RECORDING_VERSION: str, Kind::NonEmpty, OPENVIDU_VERSION, "Recorder version (reported).";
    restartable OPENVIDU_RECORDING_PATH: str, Kind::Path, "/opt/openvidu/recordings", "Directory of recordings.";
    restartable OPENVIDU_RECORDING_PUBLIC_ACCESS: bool, Kind::Bool, "false", "Serve recording files without auth.";
    restartable OPENVIDU_RECORDING_NOTIFICATION: str,
        Kind::Choice(&["all", "publisher_moderator", "moderator", "none"]), "publisher_moderator",
        "Roles told about recordings.";
    restartable OPENVIDU_RECORDING_CUSTOM_LAYOUT: str,
        Kind::Path, "/opt/openvidu/custom-layout", "Directory of custom layouts.";
    restartable OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT: i64,
        NON_NEGATIVE, "120", "Seconds before an abandoned recording stops.";
    restartable OPENVIDU_RECORDING_COMPOSED_URL: str,
        Kind::HttpUrl { optional: true }, "", "Layout page used by composed recordings.";
    restartable OPENVIDU_RECORDING_COMPOSED_BASICAUTH: bool, Kind::Bool, "true", "Put credentials in the layout URL.";
    restartable OPENVIDU_RECORDING_IMAGE: str, Kind::Text, "", "Recorder image (reported).";
    restartable OPENVIDU_RECORDING_ENABLE_GPU: bool, Kind::Bool, "false", "Recorder GPU use (reported).";
    restartable OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH: i64,
        NON_NEGATIVE, "1000", "kbps a media node receives per publisher (0 = unlimited).";
    restartable OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH: i64,
        NON_NEGATIVE, "300", "Minimum kbps received per publisher.";
    restartable OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH: i64,
        NON_NEGATIVE, "1000", "kbps a media node sends per subscriber (0 = unlimited).";
    restartable OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH: i64,
        NON_NEGATIVE, "300", "Minimum kbps sent per subscriber.";
    restartable OPENVIDU_STREAMS_FORCED_VIDEO_CODEC: str,
        Kind::Choice(&["MEDIA_SERVER_PREFERRED", "NONE", "VP8", "VP9", "H264"]), "MEDIA_SERVER_PREFERRED",
        "Default video codec of sessions.";
    restartable OPENVIDU_STREAMS_ALLOW_TRANSCODING: bool, Kind::Bool, "false", "Default transcoding flag of sessions.";
    restartable OPENVIDU_WEBRTC_SIMULCAST: bool, Kind::Bool, "false", "Simulcast flag sent to browsers.";
    restartable OPENVIDU_WEBRTC_ICE_SERVERS: [String],
        Kind::List(Item::IceServer), "[]", "ICE servers given to connections without their own.";
    restartable OPENVIDU_SESSIONS_GARBAGE_INTERVAL: i64,
        NON_NEGATIVE, "900", "Seconds between sweeps of unused sessions (0 = never).";
    restartable OPENVIDU_SESSIONS_GARBAGE_THRESHOLD: i64,
        NON_NEGATIVE, "3600", "Seconds a session may stay without participants.";
    restartable OPENVIDU_BROWSER_LOGS: str,
        Kind::Choice(&["disabled", "debug", "debug_app"]), "disabled", "Browser log collection flag.";
    fixed COTURN_IP: str, Kind::Ip { optional: true }, "", "TURN server IP given to browsers.";
    fixed COTURN_PORT: i64, Kind::Port, "3478", "TURN server port.";
    fixed COTURN_INTERNAL_RELAY: bool, Kind::Bool, "false", "TURN relays through private IPs.";
    restartable COTURN_SHARED_SECRET_KEY: str, Kind::Text, "", "TURN REST secret; empty = OPENVIDU_SECRET.";
    restartable MEDIA_NODES_PUBLIC_IPS: [String], Kind::List(Item::Ip), "[]", "Public IPs announced by media nodes.";
    restartable KMS_URIS: [String],
        Kind::List(Item::WsUrl), "[]", "Media nodes to connect at startup (ws://host:8888/kurento).";
    // Pro.
    fixed OPENVIDU_EDITION: str, Kind::Choice(&["pro", "enterprise"]), "pro", "Edition reported to clients.";
    fixed OPENVIDU_PRO_LICENSE: str, Kind::Text, "", "Accepted for compatibility; Plenum needs no license.";
    restartable OPENVIDU_PRO_LICENSE_HTTP_PROXY: str, Kind::Text, "", "Accepted for compatibility; unused.";
    restartable OPENVIDU_PRO_CLUSTER: bool, Kind::Bool, "true", "Enable the media node API (2.13 property).";
    restartable OPENVIDU_PRO_CLUSTER_ID: str, Kind::Text, "", "Cluster id; empty = a random id chosen at startup.";
    restartable OPENVIDU_PRO_CLUSTER_MODE: str,
        Kind::Choice(&["auto", "manual"]), "manual", "manual: nodes are added by URI; auto: launched.";
    restartable OPENVIDU_PRO_CLUSTER_ENVIRONMENT: str,
        Kind::Choice(&["on_premise", "local", "docker", "aws"]), "on_premise",
        "Where media nodes run; local = plenum-media-node processes launched on this host.";
    restartable PLENUM_EMBEDDED_MEDIA_NODE: bool,
        Kind::Bool, "true", "Run a media node inside the master when KMS_URIS is empty (manual mode).";
    restartable PLENUM_MEDIA_NODE_BIN: str,
        Kind::Text, "",
        "plenum-media-node binary the local environment launches; empty = next to the plenum executable.";
    restartable OPENVIDU_PRO_CLUSTER_AUTODISCOVERY: bool, Kind::Bool, "true", "Discover running media nodes.";
    restartable OPENVIDU_PRO_CLUSTER_MEDIA_NODES: i64,
        NON_NEGATIVE, "1", "Media nodes launched at startup (auto mode).";
    restartable OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY: str,
        Kind::Choice(&["streams", "sessions", "mediaObjects", "cpu"]), "streams", "How node load is measured.";
    restartable OPENVIDU_PRO_CLUSTER_LOAD_INTERVAL: i64, POSITIVE, "5", "Seconds between load samples (cpu strategy).";
    restartable OPENVIDU_PRO_CLUSTER_PATH: str,
        Kind::Path, "/opt/openvidu/cluster", "Directory of cluster scripts and state.";
    restartable OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT: i64,
        Kind::ReconnectionTimeout, "3", "Seconds to wait for a lost media node.";
    restartable OPENVIDU_PRO_CLUSTER_AUTOSCALING: bool, Kind::Bool, "false", "Enable autoscaling.";
    restartable OPENVIDU_PRO_CLUSTER_AUTOSCALING_INTERVAL: i64,
        POSITIVE, "10", "Seconds between autoscaling decisions.";
    restartable OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES: i64, POSITIVE, "2", "Autoscaling upper bound of nodes.";
    restartable OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES: i64, NON_NEGATIVE, "1", "Autoscaling lower bound of nodes.";
    restartable OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD: i64, PERCENT, "70", "Average load that triggers a launch.";
    restartable OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD: i64, PERCENT, "20", "Average load that triggers a drain.";
    fixed OPENVIDU_PRO_CLUSTER_TEST: bool, Kind::Bool, "false", "Launch, check and drop one node, then exit.";
    restartable OPENVIDU_PRO_STATS_SESSION_INTERVAL: i64, NON_NEGATIVE, "5", "Seconds between session statistics.";
    restartable OPENVIDU_PRO_STATS_SERVER_INTERVAL: i64, NON_NEGATIVE, "10", "Seconds between server statistics.";
    fixed OPENVIDU_PRO_STATS_MONITORING_INTERVAL: i64, NON_NEGATIVE, "10", "Seconds between node monitoring samples.";
    restartable OPENVIDU_PRO_STATS_WEBRTC_INTERVAL: i64, NON_NEGATIVE, "30", "Seconds between WebRTC statistics.";
    restartable OPENVIDU_PRO_NETWORK_QUALITY: bool, Kind::Bool, "false", "Network quality events.";
    restartable OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL: i64, POSITIVE, "5", "Seconds between network quality events.";
    restartable OPENVIDU_PRO_ELASTICSEARCH: bool,
        Kind::Bool, "false", "Elasticsearch export (not provided by Plenum; reported).";
    fixed OPENVIDU_PRO_ELASTICSEARCH_HOST: str,
        Kind::HttpUrl { optional: true }, "http://localhost:9200", "Elasticsearch URL (reported).";
    restartable OPENVIDU_PRO_ELASTICSEARCH_VERSION: str, Kind::Text, "7.8.0", "Elasticsearch version (reported).";
    restartable OPENVIDU_PRO_ELASTICSEARCH_MAX_DAYS_DELETE: i64,
        NON_NEGATIVE, "7", "Elasticsearch retention days (reported).";
    fixed ELASTICSEARCH_USERNAME: str, Kind::Text, "", "Accepted for compatibility; unused.";
    fixed ELASTICSEARCH_PASSWORD: str, Kind::Text, "", "Accepted for compatibility; unused.";
    restartable OPENVIDU_PRO_KIBANA: bool, Kind::Bool, "false", "Kibana (not provided by Plenum; reported).";
    fixed OPENVIDU_PRO_KIBANA_HOST: str,
        Kind::HttpUrl { optional: true }, "http://localhost:5601", "Kibana URL (reported).";
    restartable OPENVIDU_PRO_KIBANA_VERSION: str, Kind::Text, "7.8.0", "Kibana version (reported).";
    restartable OPENVIDU_PRO_RECORDING_STORAGE: str,
        Kind::Choice(&["local", "s3"]), "local", "Where recordings are stored.";
    restartable OPENVIDU_PRO_AWS_S3_BUCKET: str, Kind::Text, "", "S3 bucket for recordings.";
    restartable OPENVIDU_PRO_AWS_S3_HEADERS: [String], Kind::List(Item::Header), "[]", "S3 request headers.";
    restartable OPENVIDU_PRO_AWS_S3_SERVICE_ENDPOINT: str,
        Kind::HttpUrl { optional: true }, "", "S3-compatible endpoint.";
    restartable OPENVIDU_PRO_AWS_S3_WITH_PATH_STYLE_ACCESS: bool, Kind::Bool, "false", "S3 path-style access.";
    restartable OPENVIDU_PRO_AWS_ACCESS_KEY: str, Kind::Text, "", "AWS access key.";
    restartable OPENVIDU_PRO_AWS_SECRET_KEY: str, Kind::Text, "", "AWS secret key.";
    restartable OPENVIDU_PRO_AWS_REGION: str, Kind::Text, "", "AWS region.";
    restartable OPENVIDU_PRO_PRIVATE_IP: str, Kind::Ip { optional: true }, "", "Private IP of the master.";
    restartable OPENVIDU_PRO_DOCKER_REGISTRIES: [String], Kind::List(Item::Text), "[]", "Docker registries (reported).";
    restartable OPENVIDU_PRO_COTURN_IN_MEDIA_NODES: bool, Kind::Bool, "false", "Run TURN in media nodes.";
    restartable OPENVIDU_PRO_COTURN_PORT_MEDIA_NODES: i64, Kind::Port, "443", "TURN port in media nodes.";
    restartable OPENVIDU_PRO_MEDIA_NODE_PUBLIC_IP_AUTODISCOVER: str,
        Kind::Choice(&["auto", "manual", "disabled"]), "auto", "How media nodes learn their public IP.";
    restartable OPENVIDU_PRO_SPEECH_TO_TEXT: str,
        Kind::Choice(&["disabled", "vosk", "azure", "aws"]), "disabled", "Speech-to-text engine.";
    restartable OPENVIDU_PRO_SPEECH_TO_TEXT_IMAGE: str, Kind::Text, "", "Speech-to-text image (reported).";
    restartable OPENVIDU_PRO_SPEECH_TO_TEXT_AZURE_KEY: str, Kind::Text, "", "Azure speech key.";
    restartable OPENVIDU_PRO_SPEECH_TO_TEXT_AZURE_REGION: str, Kind::Text, "", "Azure speech region.";
    restartable OPENVIDU_PRO_SPEECH_TO_TEXT_VOSK_MODEL_LOAD_STRATEGY: str,
        Kind::Choice(&["on_demand", "manual"]), "on_demand", "When vosk models are loaded.";
    fixed KMS_IMAGE: str, Kind::Text, "", "Accepted for compatibility; unused.";
    fixed MEDIASOUP_IMAGE: str, Kind::Text, "", "Accepted for compatibility; unused.";
    fixed OPENVIDU_ENTERPRISE_MEDIA_SERVER: str,
        Kind::Choice(&["kurento", "mediasoup"]), "kurento", "Media server kind reported to browsers.";
}

/// Keys found in OpenVidu deployment `.env` files that configure the surrounding
/// containers (nginx, the JVM, AWS tooling) rather than the server. Plenum
/// accepts and ignores them so an existing file loads unchanged.
pub fn is_deployment_only_key(key: &str) -> bool {
    const KEYS: &[&str] = &[
        "REDIRECT_WWW",
        "WORKER_CONNECTIONS",
        "ALLOWED_ACCESS_TO_DASHBOARD",
        "ALLOWED_ACCESS_TO_RESTAPI",
        "OV_CE_DEBUG_LEVEL",
        "JAVA_OPTIONS",
        "ES_JAVA_OPTS",
        "OPENVIDU_DEV",
        "DOTENV_PATH",
    ];
    KEYS.contains(&key)
        || key.starts_with("AWS_")
        || key.starts_with("KMS_DOCKER_ENV_")
        || key.starts_with("OPENVIDU_ENTERPRISE_HA_")
}

#[cfg(test)]
mod tests {
    use super::super::key::Property;
    use super::*;

    #[test]
    fn every_default_is_valid_for_its_kind() {
        for property in PROPERTIES {
            if let Err(why) = property.kind.parse(property.default) {
                panic!("default of {} is invalid: {why}", property.name);
            }
        }
    }

    #[test]
    fn every_kind_parses_into_the_type_its_key_reads() {
        for property in PROPERTIES {
            let value = property.kind.parse(property.default).unwrap();
            assert_eq!(value.value_type(), property.kind.value_type(), "{}", property.name);
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = PROPERTIES.iter().map(|p| p.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn the_documented_non_restartable_keys_are_fixed() {
        for key in [
            "DOMAIN_OR_PUBLIC_IP",
            "CERTIFICATE_TYPE",
            "HTTP_PORT",
            "HTTPS_PORT",
            "OPENVIDU_SECRET",
            "OPENVIDU_PRO_LICENSE",
            "OPENVIDU_PRO_STATS_MONITORING_INTERVAL",
            "OPENVIDU_PRO_CLUSTER_TEST",
            "ELASTICSEARCH_USERNAME",
            "ELASTICSEARCH_PASSWORD",
            "KMS_IMAGE",
            "MEDIASOUP_IMAGE",
            "OPENVIDU_EDITION",
            "OPENVIDU_ENTERPRISE_MEDIA_SERVER",
            "OPENVIDU_PRO_ELASTICSEARCH_HOST",
            "OPENVIDU_PRO_KIBANA_HOST",
            "COTURN_IP",
            "COTURN_PORT",
            "COTURN_INTERNAL_RELAY",
        ] {
            assert!(!Property::named(key).unwrap().spec().restartable, "{key} must not be restartable");
        }
    }
}
