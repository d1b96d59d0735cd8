//! Every configuration property Plenum knows, with its kind and default.
//!
//! One table drives parsing, validation, `GET /openvidu/api/config`, the restart
//! API and the README, so a property cannot be known to one and missing from
//! another. Names, defaults and the "not modifiable by restart" flags follow
//! the OpenVidu 2.x CE and Pro documentation.

use super::kind::{Item, Kind};

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

const fn p(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> PropertySpec {
    PropertySpec { name, kind, default, restartable: true, doc }
}

/// A property that a restart may not change (the OpenVidu docs' list, plus the listen socket).
const fn fixed(name: &'static str, kind: Kind, default: &'static str, doc: &'static str) -> PropertySpec {
    PropertySpec { name, kind, default, restartable: false, doc }
}

pub const DEFAULT_WEBHOOK_EVENTS: &str = "[\"sessionCreated\",\"sessionDestroyed\",\"participantJoined\",\"participantLeft\",\"webrtcConnectionCreated\",\"webrtcConnectionDestroyed\",\"recordingStatusChanged\",\"filterEventDispatched\",\"signalSent\",\"mediaNodeStatusChanged\",\"autoscaling\",\"nodeCrashed\",\"nodeRecovered\",\"broadcastStarted\",\"broadcastStopped\"]";

pub static PROPERTIES: &[PropertySpec] = &[
    // Listening socket and TLS (Plenum).
    fixed("SERVER_ADDRESS", Kind::Ip { optional: false }, "127.0.0.1", "Address the master listens on."),
    fixed("SERVER_PORT", Kind::ListenPort, "4443", "Port the master listens on (HTTP/HTTPS and websockets)."),
    fixed("SERVER_SSL_ENABLED", Kind::Bool, "false", "Serve HTTPS/WSS with rustls."),
    fixed("SERVER_SSL_CERTIFICATE", Kind::Path, "", "PEM certificate chain; empty = self-signed at startup."),
    fixed("SERVER_SSL_KEY", Kind::Path, "", "PEM private key; empty = self-signed at startup."),
    fixed("SUPPORT_DEPRECATED_API", Kind::Bool, "true", "Also serve the 2.13-2.15 paths (/api, /config, /cdr, /pro)."),
    // Public identity.
    fixed("DOMAIN_OR_PUBLIC_IP", Kind::Host, "", "Public domain or IP; empty = the host of the public URL."),
    fixed("HTTPS_PORT", Kind::Int { min: 0, max: 65535 }, "0", "Public HTTPS port; 0 = the port of the public URL."),
    fixed("HTTP_PORT", Kind::Port, "80", "Public HTTP port (reported only)."),
    fixed(
        "CERTIFICATE_TYPE",
        Kind::Choice(&["selfsigned", "owncert", "letsencrypt"]),
        "selfsigned",
        "selfsigned or owncert (files in SERVER_SSL_*); letsencrypt is refused.",
    ),
    p("LETSENCRYPT_EMAIL", Kind::Text, "", "Accepted for compatibility; unused."),
    fixed("OPENVIDU_SECRET", Kind::Secret, "MY_SECRET", "Password of user OPENVIDUAPP for the REST API."),
    p(
        "OPENVIDU_PUBLICURL",
        Kind::HttpUrl { optional: true },
        "",
        "Public URL used in tokens; empty = the listen address.",
    ),
    // CE features.
    p("OPENVIDU_CDR", Kind::Bool, "false", "Write the call detail record."),
    p("OPENVIDU_CDR_PATH", Kind::Path, "/opt/openvidu/cdr", "Directory of CDR files."),
    p("OPENVIDU_WEBHOOK", Kind::Bool, "false", "Send events to a webhook."),
    p(
        "OPENVIDU_WEBHOOK_ENDPOINT",
        Kind::HttpUrl { optional: true },
        "",
        "Webhook URL (required when OPENVIDU_WEBHOOK=true).",
    ),
    p("OPENVIDU_WEBHOOK_HEADERS", Kind::List(Item::Header), "[]", "Extra webhook headers, 'Name: value'."),
    p("OPENVIDU_WEBHOOK_EVENTS", Kind::List(Item::WebhookEvent), DEFAULT_WEBHOOK_EVENTS, "Events sent to the webhook."),
    p("OPENVIDU_RECORDING", Kind::Bool, "false", "Enable the recording API."),
    p("OPENVIDU_RECORDING_DEBUG", Kind::Bool, "false", "Keep recorder logs."),
    p("OPENVIDU_RECORDING_VERSION", Kind::NonEmpty, OPENVIDU_VERSION, "Recorder version (reported)."),
    p("OPENVIDU_RECORDING_PATH", Kind::Path, "/opt/openvidu/recordings", "Directory of recordings."),
    p("OPENVIDU_RECORDING_PUBLIC_ACCESS", Kind::Bool, "false", "Serve recording files without auth."),
    p(
        "OPENVIDU_RECORDING_NOTIFICATION",
        Kind::Choice(&["all", "publisher_moderator", "moderator", "none"]),
        "publisher_moderator",
        "Roles told about recordings.",
    ),
    p("OPENVIDU_RECORDING_CUSTOM_LAYOUT", Kind::Path, "/opt/openvidu/custom-layout", "Directory of custom layouts."),
    p("OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT", NON_NEGATIVE, "120", "Seconds before an abandoned recording stops."),
    p(
        "OPENVIDU_RECORDING_COMPOSED_URL",
        Kind::HttpUrl { optional: true },
        "",
        "Layout page used by composed recordings.",
    ),
    p("OPENVIDU_RECORDING_COMPOSED_BASICAUTH", Kind::Bool, "true", "Put credentials in the layout URL."),
    p("OPENVIDU_RECORDING_IMAGE", Kind::Text, "", "Recorder image (reported)."),
    p("OPENVIDU_RECORDING_ENABLE_GPU", Kind::Bool, "false", "Recorder GPU use (reported)."),
    p(
        "OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH",
        NON_NEGATIVE,
        "1000",
        "kbps a media node receives per publisher (0 = unlimited).",
    ),
    p("OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH", NON_NEGATIVE, "300", "Minimum kbps received per publisher."),
    p(
        "OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH",
        NON_NEGATIVE,
        "1000",
        "kbps a media node sends per subscriber (0 = unlimited).",
    ),
    p("OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH", NON_NEGATIVE, "300", "Minimum kbps sent per subscriber."),
    p(
        "OPENVIDU_STREAMS_FORCED_VIDEO_CODEC",
        Kind::Choice(&["MEDIA_SERVER_PREFERRED", "NONE", "VP8", "VP9", "H264"]),
        "MEDIA_SERVER_PREFERRED",
        "Default video codec of sessions.",
    ),
    p("OPENVIDU_STREAMS_ALLOW_TRANSCODING", Kind::Bool, "false", "Default transcoding flag of sessions."),
    p("OPENVIDU_WEBRTC_SIMULCAST", Kind::Bool, "false", "Simulcast flag sent to browsers."),
    p(
        "OPENVIDU_WEBRTC_ICE_SERVERS",
        Kind::List(Item::IceServer),
        "[]",
        "ICE servers given to connections without their own.",
    ),
    p(
        "OPENVIDU_SESSIONS_GARBAGE_INTERVAL",
        NON_NEGATIVE,
        "900",
        "Seconds between sweeps of unused sessions (0 = never).",
    ),
    p("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", NON_NEGATIVE, "3600", "Seconds a session may stay without participants."),
    p(
        "OPENVIDU_BROWSER_LOGS",
        Kind::Choice(&["disabled", "debug", "debug_app"]),
        "disabled",
        "Browser log collection flag.",
    ),
    fixed("COTURN_IP", Kind::Ip { optional: true }, "", "TURN server IP given to browsers."),
    fixed("COTURN_PORT", Kind::Port, "3478", "TURN server port."),
    fixed("COTURN_INTERNAL_RELAY", Kind::Bool, "false", "TURN relays through private IPs."),
    p("COTURN_SHARED_SECRET_KEY", Kind::Text, "", "TURN REST secret; empty = OPENVIDU_SECRET."),
    p("MEDIA_NODES_PUBLIC_IPS", Kind::List(Item::Ip), "[]", "Public IPs announced by media nodes."),
    p("KMS_URIS", Kind::List(Item::WsUrl), "[]", "Media nodes to connect at startup (ws://host:8888/kurento)."),
    // Pro.
    fixed("OPENVIDU_EDITION", Kind::Choice(&["pro", "enterprise"]), "pro", "Edition reported to clients."),
    fixed("OPENVIDU_PRO_LICENSE", Kind::Text, "", "Accepted for compatibility; Plenum needs no license."),
    p("OPENVIDU_PRO_LICENSE_HTTP_PROXY", Kind::Text, "", "Accepted for compatibility; unused."),
    p("OPENVIDU_PRO_CLUSTER", Kind::Bool, "true", "Enable the media node API (2.13 property)."),
    p("OPENVIDU_PRO_CLUSTER_ID", Kind::Text, "", "Cluster id; empty = a random id chosen at startup."),
    p(
        "OPENVIDU_PRO_CLUSTER_MODE",
        Kind::Choice(&["auto", "manual"]),
        "manual",
        "manual: nodes are added by URI; auto: launched.",
    ),
    p(
        "OPENVIDU_PRO_CLUSTER_ENVIRONMENT",
        Kind::Choice(&["on_premise", "local", "docker", "aws"]),
        "on_premise",
        "Where media nodes run; local = plenum-media-node processes launched on this host.",
    ),
    p(
        "PLENUM_EMBEDDED_MEDIA_NODE",
        Kind::Bool,
        "true",
        "Run a media node inside the master when KMS_URIS is empty (manual mode).",
    ),
    p(
        "PLENUM_MEDIA_NODE_BIN",
        Kind::Text,
        "",
        "plenum-media-node binary the local environment launches; empty = next to the plenum executable.",
    ),
    p("OPENVIDU_PRO_CLUSTER_AUTODISCOVERY", Kind::Bool, "true", "Discover running media nodes."),
    p("OPENVIDU_PRO_CLUSTER_MEDIA_NODES", NON_NEGATIVE, "1", "Media nodes launched at startup (auto mode)."),
    p(
        "OPENVIDU_PRO_CLUSTER_LOAD_STRATEGY",
        Kind::Choice(&["streams", "sessions", "mediaObjects", "cpu"]),
        "streams",
        "How node load is measured.",
    ),
    p("OPENVIDU_PRO_CLUSTER_LOAD_INTERVAL", POSITIVE, "5", "Seconds between load samples (cpu strategy)."),
    p("OPENVIDU_PRO_CLUSTER_PATH", Kind::Path, "/opt/openvidu/cluster", "Directory of cluster scripts and state."),
    p(
        "OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT",
        Kind::ReconnectionTimeout,
        "3",
        "Seconds to wait for a lost media node.",
    ),
    p("OPENVIDU_PRO_CLUSTER_AUTOSCALING", Kind::Bool, "false", "Enable autoscaling."),
    p("OPENVIDU_PRO_CLUSTER_AUTOSCALING_INTERVAL", POSITIVE, "10", "Seconds between autoscaling decisions."),
    p("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES", POSITIVE, "2", "Autoscaling upper bound of nodes."),
    p("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES", NON_NEGATIVE, "1", "Autoscaling lower bound of nodes."),
    p("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD", PERCENT, "70", "Average load that triggers a launch."),
    p("OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD", PERCENT, "20", "Average load that triggers a drain."),
    fixed("OPENVIDU_PRO_CLUSTER_TEST", Kind::Bool, "false", "Launch, check and drop one node, then exit."),
    p("OPENVIDU_PRO_STATS_SESSION_INTERVAL", NON_NEGATIVE, "5", "Seconds between session statistics."),
    p("OPENVIDU_PRO_STATS_SERVER_INTERVAL", NON_NEGATIVE, "10", "Seconds between server statistics."),
    fixed("OPENVIDU_PRO_STATS_MONITORING_INTERVAL", NON_NEGATIVE, "10", "Seconds between node monitoring samples."),
    p("OPENVIDU_PRO_STATS_WEBRTC_INTERVAL", NON_NEGATIVE, "30", "Seconds between WebRTC statistics."),
    p("OPENVIDU_PRO_NETWORK_QUALITY", Kind::Bool, "false", "Network quality events."),
    p("OPENVIDU_PRO_NETWORK_QUALITY_INTERVAL", POSITIVE, "5", "Seconds between network quality events."),
    p("OPENVIDU_PRO_ELASTICSEARCH", Kind::Bool, "false", "Elasticsearch export (not provided by Plenum; reported)."),
    fixed(
        "OPENVIDU_PRO_ELASTICSEARCH_HOST",
        Kind::HttpUrl { optional: true },
        "http://localhost:9200",
        "Elasticsearch URL (reported).",
    ),
    p("OPENVIDU_PRO_ELASTICSEARCH_VERSION", Kind::Text, "7.8.0", "Elasticsearch version (reported)."),
    p("OPENVIDU_PRO_ELASTICSEARCH_MAX_DAYS_DELETE", NON_NEGATIVE, "7", "Elasticsearch retention days (reported)."),
    fixed("ELASTICSEARCH_USERNAME", Kind::Text, "", "Accepted for compatibility; unused."),
    fixed("ELASTICSEARCH_PASSWORD", Kind::Text, "", "Accepted for compatibility; unused."),
    p("OPENVIDU_PRO_KIBANA", Kind::Bool, "false", "Kibana (not provided by Plenum; reported)."),
    fixed(
        "OPENVIDU_PRO_KIBANA_HOST",
        Kind::HttpUrl { optional: true },
        "http://localhost:5601",
        "Kibana URL (reported).",
    ),
    p("OPENVIDU_PRO_KIBANA_VERSION", Kind::Text, "7.8.0", "Kibana version (reported)."),
    p("OPENVIDU_PRO_RECORDING_STORAGE", Kind::Choice(&["local", "s3"]), "local", "Where recordings are stored."),
    p("OPENVIDU_PRO_AWS_S3_BUCKET", Kind::Text, "", "S3 bucket for recordings."),
    p("OPENVIDU_PRO_AWS_S3_HEADERS", Kind::List(Item::Header), "[]", "S3 request headers."),
    p("OPENVIDU_PRO_AWS_S3_SERVICE_ENDPOINT", Kind::HttpUrl { optional: true }, "", "S3-compatible endpoint."),
    p("OPENVIDU_PRO_AWS_S3_WITH_PATH_STYLE_ACCESS", Kind::Bool, "false", "S3 path-style access."),
    p("OPENVIDU_PRO_AWS_ACCESS_KEY", Kind::Text, "", "AWS access key."),
    p("OPENVIDU_PRO_AWS_SECRET_KEY", Kind::Text, "", "AWS secret key."),
    p("OPENVIDU_PRO_AWS_REGION", Kind::Text, "", "AWS region."),
    p("OPENVIDU_PRO_PRIVATE_IP", Kind::Ip { optional: true }, "", "Private IP of the master."),
    p("OPENVIDU_PRO_DOCKER_REGISTRIES", Kind::List(Item::Text), "[]", "Docker registries (reported)."),
    p("OPENVIDU_PRO_COTURN_IN_MEDIA_NODES", Kind::Bool, "false", "Run TURN in media nodes."),
    p("OPENVIDU_PRO_COTURN_PORT_MEDIA_NODES", Kind::Port, "443", "TURN port in media nodes."),
    p(
        "OPENVIDU_PRO_MEDIA_NODE_PUBLIC_IP_AUTODISCOVER",
        Kind::Choice(&["auto", "manual", "disabled"]),
        "auto",
        "How media nodes learn their public IP.",
    ),
    p(
        "OPENVIDU_PRO_SPEECH_TO_TEXT",
        Kind::Choice(&["disabled", "vosk", "azure", "aws"]),
        "disabled",
        "Speech-to-text engine.",
    ),
    p("OPENVIDU_PRO_SPEECH_TO_TEXT_IMAGE", Kind::Text, "", "Speech-to-text image (reported)."),
    p("OPENVIDU_PRO_SPEECH_TO_TEXT_AZURE_KEY", Kind::Text, "", "Azure speech key."),
    p("OPENVIDU_PRO_SPEECH_TO_TEXT_AZURE_REGION", Kind::Text, "", "Azure speech region."),
    p(
        "OPENVIDU_PRO_SPEECH_TO_TEXT_VOSK_MODEL_LOAD_STRATEGY",
        Kind::Choice(&["on_demand", "manual"]),
        "on_demand",
        "When vosk models are loaded.",
    ),
    fixed("KMS_IMAGE", Kind::Text, "", "Accepted for compatibility; unused."),
    fixed("MEDIASOUP_IMAGE", Kind::Text, "", "Accepted for compatibility; unused."),
    fixed(
        "OPENVIDU_ENTERPRISE_MEDIA_SERVER",
        Kind::Choice(&["kurento", "mediasoup"]),
        "kurento",
        "Media server kind reported to browsers.",
    ),
];

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

pub fn spec(name: &str) -> Option<&'static PropertySpec> {
    PROPERTIES.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
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
            assert!(!spec(key).unwrap().restartable, "{key} must not be restartable");
        }
    }
}
