//! The master's metrics that are recorded as things happen: REST requests (by route, method
//! and status, with latency histograms), joins (with a latency histogram) and placement
//! decisions. What can be counted at scrape time is in [`crate::metrics_text`] instead.
//!
//! One `LiveMetrics` lives as long as the process: a restart of the configuration swaps the
//! services but keeps counting into the same families, so counters never go back to zero
//! while the process runs.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// REST latency buckets, in seconds: 100 µs to 10 s.
const REQUEST_BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// joinRoom latency buckets, in seconds: 1 ms to 30 s (a join may wait for a node to come up).
const JOIN_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// The label set of one REST request. Built on every request, so it allocates nothing: the
/// method is a static name and the route shares the router's own template string.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: &'static str,
    /// The route's template (`/openvidu/api/sessions/{session_id}`), never the raw path, so
    /// the number of series stays bounded; `unmatched` for requests no route took.
    pub route: RouteLabel,
    pub status: u16,
}

/// The route template of a request: as the router matched it (sharing the router's string),
/// or a fixed name.
#[derive(Clone, Debug)]
pub enum RouteLabel {
    Matched(axum::extract::MatchedPath),
    Named(&'static str),
}

impl RouteLabel {
    /// Requests that no route matched (404s, guard refusals before routing).
    pub const UNMATCHED: RouteLabel = RouteLabel::Named("unmatched");

    pub fn as_str(&self) -> &str {
        match self {
            RouteLabel::Matched(path) => path.as_str(),
            RouteLabel::Named(name) => name,
        }
    }
}

impl PartialEq for RouteLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteLabel {}

impl std::hash::Hash for RouteLabel {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut prometheus_client::encoding::LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// How a joinRoom ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum JoinOutcome {
    joined,
    refused,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JoinLabels {
    outcome: JoinOutcome,
}

/// One placement decision: a session put on a node, or refused (and why).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PlacementLabels {
    /// `placed`, `no_node_available`, `unknown_node` or `node_not_running`.
    pub outcome: &'static str,
    /// The chosen node; empty when the placement was refused.
    pub node: String,
}

#[derive(Clone, Copy)]
struct Buckets(&'static [f64]);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// The live families. Cloning shares them.
#[derive(Clone)]
pub struct LiveMetrics {
    requests: Family<RequestLabels, Histogram, Buckets>,
    joins: Family<JoinLabels, Histogram, Buckets>,
    placements: Family<PlacementLabels, Counter>,
}

impl Default for LiveMetrics {
    fn default() -> Self {
        Self {
            requests: Family::new_with_constructor(Buckets(&REQUEST_BUCKETS)),
            joins: Family::new_with_constructor(Buckets(&JOIN_BUCKETS)),
            placements: Family::default(),
        }
    }
}

impl std::fmt::Debug for LiveMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveMetrics")
    }
}

impl LiveMetrics {
    /// One REST request answered after `seconds` (until its response head was ready).
    pub fn observe_request(&self, labels: &RequestLabels, seconds: f64) {
        self.requests.get_or_create(labels).observe(seconds);
    }

    /// One joinRoom answered after `seconds`.
    pub fn observe_join(&self, outcome: JoinOutcome, seconds: f64) {
        self.joins.get_or_create(&JoinLabels { outcome }).observe(seconds);
    }

    /// One placement decision of a session that had no node yet.
    pub fn count_placement(&self, outcome: &'static str, node: &str) {
        self.placements.get_or_create(&PlacementLabels { outcome, node: node.to_string() }).inc();
    }

    /// Adds the families to `registry` (whose prefix names them `plenum_…`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register_with_unit(
            "http_request_duration",
            "REST requests by method, route template and status, until the response head",
            prometheus_client::registry::Unit::Seconds,
            self.requests.clone(),
        );
        registry.register_with_unit(
            "join_duration",
            "joinRoom requests, from the request to the answer, by outcome",
            prometheus_client::registry::Unit::Seconds,
            self.joins.clone(),
        );
        registry.register(
            "placements",
            "Sessions placed on a media node, or refused, by outcome and node",
            self.placements.clone(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::encoding::text::encode;

    fn rendered(live: &LiveMetrics) -> String {
        let mut registry = Registry::with_prefix("plenum");
        live.register(&mut registry);
        let mut text = String::new();
        encode(&mut text, &registry).unwrap();
        text
    }

    #[test]
    fn requests_land_in_their_route_and_bucket() {
        let live = LiveMetrics::default();
        let labels = RequestLabels {
            method: "GET",
            route: RouteLabel::Named("/openvidu/api/sessions/{session_id}"),
            status: 200,
        };
        live.observe_request(&labels, 0.0003);
        live.observe_request(&labels, 0.2);
        let text = rendered(&live);
        let series = r#"method="GET",route="/openvidu/api/sessions/{session_id}",status="200""#;
        assert!(text.contains(&format!("plenum_http_request_duration_seconds_count{{{series}}} 2")), "{text}");
        assert!(
            text.contains(&format!("plenum_http_request_duration_seconds_bucket{{le=\"0.0005\",{series}}} 1")),
            "{text}"
        );
        assert!(
            text.contains(&format!("plenum_http_request_duration_seconds_bucket{{le=\"0.25\",{series}}} 2")),
            "{text}"
        );
    }

    #[test]
    fn joins_and_placements_are_counted_by_outcome() {
        let live = LiveMetrics::default();
        live.observe_join(JoinOutcome::joined, 0.02);
        live.observe_join(JoinOutcome::refused, 0.001);
        live.count_placement("placed", "media_a");
        live.count_placement("placed", "media_a");
        live.count_placement("no_node_available", "");
        let text = rendered(&live);
        assert!(text.contains(r#"plenum_join_duration_seconds_count{outcome="joined"} 1"#), "{text}");
        assert!(text.contains(r#"plenum_join_duration_seconds_count{outcome="refused"} 1"#), "{text}");
        assert!(text.contains(r#"plenum_placements_total{outcome="placed",node="media_a"} 2"#), "{text}");
        assert!(text.contains(r#"plenum_placements_total{outcome="no_node_available",node=""} 1"#), "{text}");
    }
}
