//! What the configuration says about webhooks, checked once per generation.
//!
//! The catalog already validates each value (a URL, `Name: value` headers, event
//! names) and refuses `OPENVIDU_WEBHOOK=true` without an endpoint; this is where
//! the values become the request that will be sent, so a header that HTTP
//! cannot carry stops the start (or the restart) instead of every delivery.

use std::collections::BTreeSet;

use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

use crate::config::{Config, keys};

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub endpoint: Url,
    /// `OPENVIDU_WEBHOOK_HEADERS`, plus `Content-Type: application/json` unless they name one.
    pub headers: HeaderMap,
    /// `OPENVIDU_WEBHOOK_EVENTS`: only these are sent.
    pub events: BTreeSet<String>,
    /// `OPENVIDU_SECRET` when `PLENUM_WEBHOOK_SIGNING=true`.
    pub signing_secret: Option<String>,
    /// `PLENUM_WEBHOOK_QUEUE_CAPACITY`.
    pub queue_capacity: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("OPENVIDU_WEBHOOK_ENDPOINT: '{0}' is not a URL: {1}")]
    Endpoint(String, String),
    #[error("OPENVIDU_WEBHOOK_HEADERS: '{0}' is not a valid HTTP header")]
    Header(String),
    #[error("webhooks: cannot build the HTTP client: {0}")]
    Client(String),
    #[error("webhooks: cannot start the sender thread: {0}")]
    Thread(String),
}

impl WebhookSettings {
    /// `None` when `OPENVIDU_WEBHOOK=false`.
    pub fn from_config(config: &Config) -> Result<Option<Self>, WebhookError> {
        let settings = &config.settings;
        if !settings.get(keys::OPENVIDU_WEBHOOK) {
            return Ok(None);
        }
        let text = settings.get(keys::OPENVIDU_WEBHOOK_ENDPOINT);
        let endpoint = Url::parse(text).map_err(|e| WebhookError::Endpoint(text.to_string(), e.to_string()))?;
        let headers = headers(settings.get(keys::OPENVIDU_WEBHOOK_HEADERS))?;
        let events = settings.get(keys::OPENVIDU_WEBHOOK_EVENTS).iter().cloned().collect();
        let signing_secret = settings.get(keys::PLENUM_WEBHOOK_SIGNING).then(|| config.secret.clone());
        let queue_capacity = usize::try_from(settings.get(keys::PLENUM_WEBHOOK_QUEUE_CAPACITY)).unwrap_or(1).max(1);
        Ok(Some(Self { endpoint, headers, events, signing_secret, queue_capacity }))
    }

    /// Whether events named `name` are sent.
    pub fn wants(&self, name: &str) -> bool {
        self.events.contains(name)
    }
}

/// The configured `Name: value` headers, and `Content-Type: application/json` unless one of them sets it.
pub fn headers(configured: &[String]) -> Result<HeaderMap, WebhookError> {
    let mut map = HeaderMap::new();
    for entry in configured {
        let (name, value) =
            crate::config::header_line::parse(entry).map_err(|_| WebhookError::Header(entry.clone()))?;
        map.append(name, value);
    }
    if !map.contains_key(CONTENT_TYPE) {
        map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let lookup = move |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        Config::load(None, &lookup).expect("valid configuration").config
    }

    #[test]
    fn off_unless_openvidu_webhook_is_true() {
        assert!(WebhookSettings::from_config(&config(&[])).unwrap().is_none());
    }

    #[test]
    fn reads_every_key_and_adds_the_content_type() {
        let config = config(&[
            ("OPENVIDU_SECRET", "s3cret"),
            ("OPENVIDU_WEBHOOK", "true"),
            ("OPENVIDU_WEBHOOK_ENDPOINT", "http://127.0.0.1:7777/hook"),
            ("OPENVIDU_WEBHOOK_HEADERS", "[\"Authorization: Basic abc\", \"X-Two: 2\"]"),
            ("OPENVIDU_WEBHOOK_EVENTS", "[\"sessionCreated\"]"),
            ("PLENUM_WEBHOOK_SIGNING", "true"),
            ("PLENUM_WEBHOOK_QUEUE_CAPACITY", "7"),
        ]);
        let settings = WebhookSettings::from_config(&config).unwrap().unwrap();
        assert_eq!(settings.endpoint.as_str(), "http://127.0.0.1:7777/hook");
        assert_eq!(settings.headers["authorization"], "Basic abc");
        assert_eq!(settings.headers["x-two"], "2");
        assert_eq!(settings.headers["content-type"], "application/json");
        assert!(settings.wants("sessionCreated") && !settings.wants("sessionDestroyed"));
        assert_eq!(settings.signing_secret.as_deref(), Some("s3cret"));
        assert_eq!(settings.queue_capacity, 7);
    }

    #[test]
    fn defaults_send_every_event_unsigned() {
        let config = config(&[("OPENVIDU_WEBHOOK", "true"), ("OPENVIDU_WEBHOOK_ENDPOINT", "http://127.0.0.1:7/")]);
        let settings = WebhookSettings::from_config(&config).unwrap().unwrap();
        for name in crate::events::EVENT_NAMES {
            assert!(settings.wants(name), "{name}");
        }
        assert!(settings.signing_secret.is_none());
        assert_eq!(settings.queue_capacity, 10_000);
    }

    #[test]
    fn a_configured_content_type_is_kept() {
        let map = headers(&["Content-Type: application/cloudevents+json".into()]).unwrap();
        assert_eq!(map.get_all(CONTENT_TYPE).iter().count(), 1);
        assert_eq!(map[CONTENT_TYPE], "application/cloudevents+json");
    }

    #[test]
    fn a_header_http_cannot_carry_is_refused() {
        let error = headers(&["Bad Name: x".into()]).unwrap_err().to_string();
        assert_eq!(error, "OPENVIDU_WEBHOOK_HEADERS: 'Bad Name: x' is not a valid HTTP header");
    }

    #[test]
    fn an_enabled_webhook_without_an_endpoint_fails_config_loading() {
        let lookup = |key: &str| (key == "OPENVIDU_WEBHOOK").then(|| "true".to_string());
        let Err(error) = Config::load(None, &lookup) else { panic!("refused") };
        let error = error.to_string();
        assert!(error.contains("OPENVIDU_WEBHOOK_ENDPOINT"), "{error}");
    }
}
