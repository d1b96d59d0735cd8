//! `GET /metrics` of the master: a snapshot of what is live, rendered in the
//! Prometheus/OpenMetrics text format with the `prometheus-client` crate.
//!
//! The figures are read when scraped (counted from the conference, the
//! recording store, the cluster registry and the webhook counters), so nothing
//! on the call path pays for them. The request, join and placement figures are
//! recorded as they happen ([`crate::live_metrics`]) and rendered alongside.

use std::collections::BTreeMap;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

use crate::live_metrics::LiveMetrics;

/// The content type of the rendered text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The webhook figures of the running generation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookFigures {
    pub queued: u64,
    pub sent: u64,
    pub failed_attempts: u64,
    pub dropped: u64,
}

/// What the master knows at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MasterSnapshot {
    pub sessions: u64,
    /// Connections by `pending` / `active`.
    pub connections: BTreeMap<&'static str, u64>,
    pub publishers: u64,
    pub subscribers: u64,
    /// Recordings by status (`started`, `ready`, …).
    pub recordings: BTreeMap<String, u64>,
    /// Media nodes by status (`running`, …).
    pub media_nodes: BTreeMap<String, u64>,
    /// `None` while webhooks are off.
    pub webhooks: Option<WebhookFigures>,
}

type Labels = Vec<(&'static str, String)>;

fn family(values: impl IntoIterator<Item = (Labels, u64)>) -> Family<Labels, Gauge> {
    let family = Family::<Labels, Gauge>::default();
    for (labels, value) in values {
        family.get_or_create(&labels).set(i64::try_from(value).unwrap_or(i64::MAX));
    }
    family
}

fn gauge(value: u64) -> ConstGauge {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

impl MasterSnapshot {
    /// The snapshot and the `live` families in the text format, ending with `# EOF`.
    pub fn render(&self, live: &LiveMetrics) -> String {
        let mut registry = Registry::with_prefix("plenum");
        registry.register("sessions", "Sessions that exist", gauge(self.sessions));
        let connections = self.connections.iter().map(|(state, n)| (vec![("state", state.to_string())], *n));
        registry.register(
            "connections",
            "Connections by state (pending with a token, active once joined)",
            family(connections),
        );
        registry.register("publishers", "Streams being published", gauge(self.publishers));
        registry.register("subscribers", "Subscriptions to streams", gauge(self.subscribers));
        let recordings = self.recordings.iter().map(|(status, n)| (vec![("status", status.clone())], *n));
        registry.register("recordings", "Recordings known to the master, by status", family(recordings));
        let nodes = self.media_nodes.iter().map(|(status, n)| (vec![("status", status.clone())], *n));
        registry.register("media_nodes", "Media nodes by status", family(nodes));
        if let Some(webhooks) = self.webhooks {
            registry.register("webhook_queue_depth", "Webhook events waiting for delivery", gauge(webhooks.queued));
            registry.register(
                "webhook_events_sent",
                "Webhook events the receiver accepted",
                ConstCounter::new(webhooks.sent),
            );
            registry.register(
                "webhook_attempts_failed",
                "Webhook attempts that failed (retried until the last)",
                ConstCounter::new(webhooks.failed_attempts),
            );
            registry.register(
                "webhook_events_dropped",
                "Webhook events given up (queue full or every attempt failed)",
                ConstCounter::new(webhooks.dropped),
            );
        }
        live.register(&mut registry);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_figure_with_its_labels() {
        let snapshot = MasterSnapshot {
            sessions: 2,
            connections: BTreeMap::from([("active", 3), ("pending", 1)]),
            publishers: 2,
            subscribers: 4,
            recordings: BTreeMap::from([("ready".to_string(), 5), ("started".to_string(), 1)]),
            media_nodes: BTreeMap::from([("running".to_string(), 2)]),
            webhooks: Some(WebhookFigures { queued: 7, sent: 9, failed_attempts: 1, dropped: 0 }),
        };
        let text = snapshot.render(&LiveMetrics::default());
        for line in [
            "plenum_sessions 2",
            "plenum_connections{state=\"active\"} 3",
            "plenum_connections{state=\"pending\"} 1",
            "plenum_publishers 2",
            "plenum_subscribers 4",
            "plenum_recordings{status=\"ready\"} 5",
            "plenum_media_nodes{status=\"running\"} 2",
            "plenum_webhook_queue_depth 7",
            "plenum_webhook_events_sent_total 9",
            "plenum_webhook_events_dropped_total 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing from:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn webhook_figures_appear_only_with_webhooks_on() {
        let text = MasterSnapshot::default().render(&LiveMetrics::default());
        assert!(text.contains("plenum_sessions 0"));
        assert!(!text.contains("webhook"));
    }
}
