//! The typed view of [`Settings`] and the cross-property rules.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::catalog::keys;
use super::dotenv::Document;
use super::settings::{InvalidProperty, Settings, Source};
use crate::ice::IceServerSpec;
use crate::openvidu_enums::{VideoCodec, WireEnum};

/// The default secret of OpenVidu's development image. Fine on a laptop, never in production.
pub const DEFAULT_SECRET: &str = "MY_SECRET";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Make a self-signed certificate at startup (OpenVidu's `selfsigned`).
    SelfSigned,
    /// PEM files given by the operator.
    Files { certificate: PathBuf, key: PathBuf },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    pub config_file: Option<PathBuf>,
    pub listen: SocketAddr,
    pub tls: Option<TlsSource>,
    pub secret: String,
    pub cluster_id: String,
    pub support_deprecated_api: bool,
    pub recording: bool,
    pub recording_path: PathBuf,
    pub cdr_path: PathBuf,
    pub forced_video_codec: VideoCodec,
    pub allow_transcoding: bool,
    pub ice_servers: Vec<IceServerSpec>,
    pub garbage_interval: Duration,
    pub garbage_threshold: Duration,
}

/// A loaded configuration and what the operator should be told about it.
#[derive(Debug)]
pub struct LoadOutcome {
    pub config: Config,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("config file {path}, {source}")]
    Syntax { path: PathBuf, source: super::dotenv::SyntaxError },
    #[error("invalid configuration:\n{}", .0.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<InvalidProperty>),
}

/// Where clients reach the master, derived once the listen port is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEndpoint {
    /// `http(s)://host[:port]`, no trailing slash.
    pub http_url: String,
    /// The same with `ws(s)://`, the prefix of every token.
    pub ws_url: String,
    pub host: String,
    pub port: u16,
}

impl Config {
    /// Reads the optional `.env` file, applies the environment and validates everything.
    pub fn load(path: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<LoadOutcome, ConfigError> {
        let document = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Unreadable { path: path.to_path_buf(), source })?;
                Some(
                    Document::parse(&text)
                        .map_err(|source| ConfigError::Syntax { path: path.to_path_buf(), source })?,
                )
            }
            None => None,
        };
        let (settings, unknown) = Settings::load(document.as_ref(), env).map_err(ConfigError::Invalid)?;
        let config = Config::from_settings(settings, path.map(Path::to_path_buf)).map_err(ConfigError::Invalid)?;
        let mut warnings: Vec<String> = unknown
            .into_iter()
            .map(|key| format!("config file property {key} is not known to Plenum and is ignored"))
            .collect();
        warnings.extend(config.warnings());
        Ok(LoadOutcome { config, warnings })
    }

    /// Builds the typed view and checks the rules that span several properties.
    pub fn from_settings(settings: Settings, config_file: Option<PathBuf>) -> Result<Config, Vec<InvalidProperty>> {
        let mut errors = Vec::new();
        let mut reject = |key: &str, problem: String| {
            errors.push(InvalidProperty { key: key.to_string(), source: "configuration", problem });
        };

        let address: IpAddr = settings.get(keys::SERVER_ADDRESS).parse().expect("validated as an IP address");
        let listen = SocketAddr::new(address, settings.get(keys::SERVER_PORT) as u16);

        let certificate = settings.get(keys::SERVER_SSL_CERTIFICATE);
        let key = settings.get(keys::SERVER_SSL_KEY);
        if certificate.is_empty() != key.is_empty() {
            reject(
                keys::SERVER_SSL_CERTIFICATE.name(),
                "SERVER_SSL_CERTIFICATE and SERVER_SSL_KEY must be given together".into(),
            );
        }
        match settings.get(keys::CERTIFICATE_TYPE) {
            "letsencrypt" => reject(
                keys::CERTIFICATE_TYPE.name(),
                "letsencrypt is not supported: Plenum does not run an ACME client; use owncert with SERVER_SSL_CERTIFICATE and SERVER_SSL_KEY, or selfsigned".into(),
            ),
            "owncert" if settings.get(keys::SERVER_SSL_ENABLED) && certificate.is_empty() => {
                reject(keys::CERTIFICATE_TYPE.name(), "owncert needs SERVER_SSL_CERTIFICATE and SERVER_SSL_KEY".into())
            }
            _ => {}
        }
        let tls = settings.get(keys::SERVER_SSL_ENABLED).then(|| {
            if certificate.is_empty() {
                TlsSource::SelfSigned
            } else {
                TlsSource::Files { certificate: certificate.into(), key: key.into() }
            }
        });

        if settings.get(keys::OPENVIDU_WEBHOOK) && settings.get(keys::OPENVIDU_WEBHOOK_ENDPOINT).is_empty() {
            reject(keys::OPENVIDU_WEBHOOK_ENDPOINT.name(), "cannot be empty when OPENVIDU_WEBHOOK=true".into());
        }
        if settings.get(keys::OPENVIDU_PRO_CLUSTER_MODE) == "auto"
            && settings.get(keys::OPENVIDU_PRO_CLUSTER_ENVIRONMENT) != "local"
        {
            reject(
                keys::OPENVIDU_PRO_CLUSTER_MODE.name(),
                format!(
                    "auto mode needs a launcher, and environment '{}' has none in Plenum: use OPENVIDU_PRO_CLUSTER_ENVIRONMENT=local, or manual mode",
                    settings.get(keys::OPENVIDU_PRO_CLUSTER_ENVIRONMENT)
                ),
            );
        }
        if settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING)
            && settings.get(keys::OPENVIDU_PRO_CLUSTER_MODE) != "auto"
        {
            reject(
                keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING.name(),
                "autoscaling needs nodes the master can launch: OPENVIDU_PRO_CLUSTER_MODE=auto with OPENVIDU_PRO_CLUSTER_ENVIRONMENT=local".into(),
            );
        }
        if settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES)
            > settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES)
        {
            reject(
                keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_NODES.name(),
                "cannot be greater than OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_NODES".into(),
            );
        }
        if settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD)
            >= settings.get(keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD)
        {
            reject(
                keys::OPENVIDU_PRO_CLUSTER_AUTOSCALING_MIN_LOAD.name(),
                "must be lower than OPENVIDU_PRO_CLUSTER_AUTOSCALING_MAX_LOAD".into(),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        let ice_servers = settings
            .get(keys::OPENVIDU_WEBRTC_ICE_SERVERS)
            .iter()
            .map(|line| IceServerSpec::from_config_line(line).expect("validated as an ICE server"))
            .collect();
        let cluster_id = match settings.get(keys::OPENVIDU_PRO_CLUSTER_ID) {
            "" => crate::ids::one_off().cluster_id(),
            id => id.to_string(),
        };
        Ok(Config {
            listen,
            tls,
            secret: settings.get(keys::OPENVIDU_SECRET).to_string(),
            cluster_id,
            support_deprecated_api: settings.get(keys::SUPPORT_DEPRECATED_API),
            recording: settings.get(keys::OPENVIDU_RECORDING),
            recording_path: settings.get(keys::OPENVIDU_RECORDING_PATH).into(),
            cdr_path: settings.get(keys::OPENVIDU_CDR_PATH).into(),
            forced_video_codec: VideoCodec::parse(settings.get(keys::OPENVIDU_STREAMS_FORCED_VIDEO_CODEC))
                .expect("validated choice"),
            allow_transcoding: settings.get(keys::OPENVIDU_STREAMS_ALLOW_TRANSCODING),
            ice_servers,
            garbage_interval: Duration::from_secs(settings.get(keys::OPENVIDU_SESSIONS_GARBAGE_INTERVAL) as u64),
            garbage_threshold: Duration::from_secs(settings.get(keys::OPENVIDU_SESSIONS_GARBAGE_THRESHOLD) as u64),
            settings,
            config_file,
        })
    }

    /// Things that work but that the operator should know about.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.secret == DEFAULT_SECRET {
            let how = match self.settings.source(keys::OPENVIDU_SECRET) {
                Source::Default => "OPENVIDU_SECRET is not set, so the default secret",
                _ => "OPENVIDU_SECRET is set to the default secret",
            };
            warnings.push(format!(
                "{how} '{DEFAULT_SECRET}' is in use: anyone who knows OpenVidu's defaults can call the REST API. Set OPENVIDU_SECRET before exposing Plenum."
            ));
        }
        for feature in [keys::OPENVIDU_PRO_ELASTICSEARCH, keys::OPENVIDU_PRO_KIBANA] {
            if self.settings.get(feature) {
                warnings.push(format!(
                    "{}=true is reported by the config API, but Plenum does not ship or feed Elasticsearch/Kibana",
                    feature.name()
                ));
            }
        }
        if self.listen.ip().is_unspecified()
            && self.settings.get(keys::OPENVIDU_PUBLICURL).is_empty()
            && self.settings.get(keys::DOMAIN_OR_PUBLIC_IP).is_empty()
        {
            warnings.push(format!(
                "SERVER_ADDRESS is {} but neither OPENVIDU_PUBLICURL nor DOMAIN_OR_PUBLIC_IP is set: tokens will point at 127.0.0.1",
                self.listen.ip()
            ));
        }
        warnings
    }

    /// The public URL: `OPENVIDU_PUBLICURL`, else `DOMAIN_OR_PUBLIC_IP` (+ `HTTPS_PORT`),
    /// else the address the master is listening on.
    pub fn public_endpoint(&self, bound: SocketAddr) -> PublicEndpoint {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let configured = self.settings.get(keys::OPENVIDU_PUBLICURL);
        let http_url = if !configured.is_empty() {
            configured.trim_end_matches('/').to_string()
        } else {
            let domain = self.settings.get(keys::DOMAIN_OR_PUBLIC_IP);
            let host = if !domain.is_empty() {
                domain.to_string()
            } else if bound.ip().is_unspecified() {
                "127.0.0.1".to_string()
            } else {
                bound.ip().to_string()
            };
            let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host };
            let port = match self.settings.get(keys::HTTPS_PORT) {
                0 => bound.port(),
                port => port as u16,
            };
            let default_port = if scheme == "https" { 443 } else { 80 };
            if port == default_port { format!("{scheme}://{host}") } else { format!("{scheme}://{host}:{port}") }
        };
        let parsed = url::Url::parse(&http_url).expect("the public URL is validated or built from valid parts");
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
        let port = parsed.port_or_known_default().unwrap_or(bound.port());
        let ws_url = if let Some(rest) = http_url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", http_url.trim_start_matches("http://"))
        };
        PublicEndpoint { http_url, ws_url, host, port }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<LoadOutcome, ConfigError> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load(None, &move |key| owned.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn default_secret_is_accepted_with_a_warning() {
        let outcome = load(&[]).unwrap();
        assert_eq!(outcome.config.secret, "MY_SECRET");
        assert!(outcome.warnings.iter().any(|w| w.contains("default secret 'MY_SECRET' is in use")));
        let outcome = load(&[("OPENVIDU_SECRET", "s3cr3t")]).unwrap();
        assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    }

    #[test]
    fn cross_property_rules_name_the_key() {
        let err = load(&[("OPENVIDU_WEBHOOK", "true")]).unwrap_err().to_string();
        assert!(err.contains("OPENVIDU_WEBHOOK_ENDPOINT"), "{err}");
        let err = load(&[("SERVER_SSL_CERTIFICATE", "/tmp/c.pem")]).unwrap_err().to_string();
        assert!(err.contains("must be given together"), "{err}");
        let err = load(&[("CERTIFICATE_TYPE", "letsencrypt")]).unwrap_err().to_string();
        assert!(err.contains("ACME"), "{err}");
        let err = load(&[("OPENVIDU_PRO_CLUSTER_AUTOSCALING", "true")]).unwrap_err().to_string();
        assert!(err.contains("OPENVIDU_PRO_CLUSTER_AUTOSCALING") && err.contains("MODE=auto"), "{err}");
        let err = load(&[("OPENVIDU_WEBHOOK_HEADERS", r#"["Bad Name: x"]"#)]).unwrap_err().to_string();
        assert!(err.contains("OPENVIDU_WEBHOOK_HEADERS") && err.contains("invalid header name"), "{err}");
    }

    #[test]
    fn public_endpoint_follows_publicurl_then_domain_then_listen_address() {
        let bound: SocketAddr = "127.0.0.1:4443".parse().unwrap();
        let plain = load(&[]).unwrap().config;
        let endpoint = plain.public_endpoint(bound);
        assert_eq!(endpoint.http_url, "http://127.0.0.1:4443");
        assert_eq!(endpoint.ws_url, "ws://127.0.0.1:4443");

        let tls =
            load(&[("SERVER_SSL_ENABLED", "true"), ("DOMAIN_OR_PUBLIC_IP", "ov.example.com"), ("HTTPS_PORT", "443")])
                .unwrap()
                .config;
        let endpoint = tls.public_endpoint(bound);
        assert_eq!(endpoint.http_url, "https://ov.example.com");
        assert_eq!(endpoint.ws_url, "wss://ov.example.com");
        assert_eq!(endpoint.port, 443);

        let explicit = load(&[("OPENVIDU_PUBLICURL", "https://media.example.com:8443/")]).unwrap().config;
        let endpoint = explicit.public_endpoint(bound);
        assert_eq!(endpoint.ws_url, "wss://media.example.com:8443");
        assert_eq!(endpoint.host, "media.example.com");
    }
}
