//! The node's figures in the Prometheus/OpenMetrics text format
//! (`prometheus-client`), built afresh at each scrape from the workers' latest
//! snapshots and the control plane's object counts. Every per-worker family
//! carries a `worker` label; names carry their units (`_bytes`, `_seconds`,
//! `_ratio`) and counters end in `_total`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

use super::counters::{Feedback, Volume, WorkerCounters, WorkerSnapshot};

/// The content type of the rendered text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One worker: its snapshot and the CPU time of its thread.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WorkerFigures {
    pub snapshot: WorkerSnapshot,
    /// User + system seconds of the worker thread; `None` when `/proc` could not be read.
    pub cpu_seconds: Option<f64>,
}

/// What a scrape shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeFigures {
    /// Kurento objects by class name (`MediaPipeline`, `WebRtcEndpoint`, `PassThrough`, …).
    pub objects: BTreeMap<&'static str, u64>,
    pub workers: Vec<WorkerFigures>,
}

type Labels = Vec<(&'static str, String)>;

const MEDIA: [&str; 2] = ["audio", "video"];

/// Two labelled volumes of a worker (`in`/`out`, or `audio`/`video`).
type VolumesOf = fn(&WorkerCounters) -> [(&'static str, Volume); 2];

fn labels(worker: usize, extra: &[(&'static str, &str)]) -> Labels {
    let mut labels = vec![("worker", worker.to_string())];
    labels.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    labels
}

/// A counter family filled from `(labels, value)` pairs.
fn counters(values: impl IntoIterator<Item = (Labels, u64)>) -> Family<Labels, Counter> {
    let family = Family::<Labels, Counter>::default();
    for (labels, value) in values {
        family.get_or_create(&labels).inc_by(value);
    }
    family
}

fn gauge(value: u64) -> ConstGauge {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

impl NodeFigures {
    /// The figures in the text format, ending with `# EOF`.
    pub fn render(&self) -> String {
        let mut registry = Registry::with_prefix("plenum_node");
        self.register_objects(&mut registry);
        self.register_traffic(&mut registry);
        self.register_feedback_and_loss(&mut registry);
        self.register_drops(&mut registry);

        let cpu = Family::<Labels, Counter<f64, AtomicU64>>::default();
        for figures in &self.workers {
            if let Some(seconds) = figures.cpu_seconds {
                cpu.get_or_create(&labels(figures.snapshot.worker, &[])).inc_by(seconds);
            }
        }
        registry.register("worker_cpu_seconds", "CPU time (user + system) of each media worker thread", cpu);

        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }

    fn register_objects(&self, registry: &mut Registry) {
        let pipelines = self.objects.get("MediaPipeline").copied().unwrap_or(0);
        registry.register("pipelines", "MediaPipelines that exist", gauge(pipelines));
        let endpoints = Family::<Labels, Gauge>::default();
        for (kind, count) in self.objects.iter().filter(|(kind, _)| **kind != "MediaPipeline") {
            endpoints.get_or_create(&vec![("kind", kind.to_string())]).set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        registry.register("endpoints", "Media elements that exist, by kind (Kurento class)", endpoints);
        registry.register("workers", "Media worker threads", gauge(self.workers.len() as u64));
    }

    fn register_traffic(&self, registry: &mut Registry) {
        let datagrams = |c: &WorkerCounters| [("in", c.datagrams_in), ("out", c.datagrams_out)];
        let forwarded = |c: &WorkerCounters| [(MEDIA[0], c.forwarded[0]), (MEDIA[1], c.forwarded[1])];
        let received = |c: &WorkerCounters| [(MEDIA[0], c.received[0]), (MEDIA[1], c.received[1])];
        let families: [(&str, &str, VolumesOf, &str); 3] = [
            ("datagrams", "direction", datagrams, "UDP datagrams of the worker's socket (all protocols; in or out)"),
            ("forwarded", "kind", forwarded, "RTP packets sent to subscribers, retransmissions included"),
            ("received", "kind", received, "RTP packets received from publishers, retransmissions included"),
        ];
        for (name, key, pick, help) in families {
            // `datagrams_total` and `datagram_bytes_total`; `forwarded_packets_total` and `forwarded_bytes_total`, …
            let (packets, bytes) = match name {
                "datagrams" => ("datagrams".to_string(), "datagram_bytes".to_string()),
                _ => (format!("{name}_packets"), format!("{name}_bytes")),
            };
            registry.register(packets, help, self.volumes(key, pick, false));
            registry.register(bytes, format!("Bytes of: {help}"), self.volumes(key, pick, true));
        }
    }

    /// A counter family of packets (or bytes) of each worker, labelled `key`.
    fn volumes(&self, key: &'static str, pick: VolumesOf, bytes: bool) -> Family<Labels, Counter> {
        counters(self.workers.iter().flat_map(|f| {
            pick(&f.snapshot.counters).map(|(value, volume)| {
                (labels(f.snapshot.worker, &[(key, value)]), if bytes { volume.bytes } else { volume.packets })
            })
        }))
    }

    fn register_feedback_and_loss(&self, registry: &mut Registry) {
        let feedback = |pick: fn(&Feedback) -> u64| {
            counters(self.workers.iter().flat_map(|f| {
                let (worker, c) = (f.snapshot.worker, f.snapshot.counters);
                [
                    (labels(worker, &[("direction", "received")]), pick(&c.feedback_received)),
                    (labels(worker, &[("direction", "sent")]), pick(&c.feedback_sent)),
                ]
            }))
        };
        let what = "(received: from subscribers; sent: to publishers)";
        registry.register("nack", format!("RTCP NACKs {what}"), feedback(|f| f.nacks));
        registry.register("pli", format!("RTCP PLIs {what}"), feedback(|f| f.plis));
        registry.register("fir", format!("RTCP FIRs {what}"), feedback(|f| f.firs));
        let lost =
            counters(self.workers.iter().map(|f| (labels(f.snapshot.worker, &[]), f.snapshot.counters.forwarded_lost)));
        registry.register(
            "forwarded_packets_lost",
            "Forwarded packets that subscribers reported lost (RTCP receiver reports)",
            lost,
        );
        let loss = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        for figures in &self.workers {
            let s = figures.snapshot;
            for (direction, value) in [("in", s.loss_in), ("out", s.loss_out)] {
                if let Some(value) = value {
                    loss.get_or_create(&labels(s.worker, &[("direction", direction)])).set(value);
                }
            }
        }
        registry.register(
            "packet_loss_ratio",
            "Mean fraction of packets lost over the streams' latest reports (in: from publishers; out: to subscribers)",
            loss,
        );
    }

    fn register_drops(&self, registry: &mut Registry) {
        let queue = counters(self.workers.iter().flat_map(|f| {
            let (worker, d) = (f.snapshot.worker, f.snapshot.counters.drops);
            [
                (labels(worker, &[("queue", "recorder")]), d.tap_full),
                (labels(worker, &[("queue", "endpoint")]), d.not_written),
            ]
        }));
        registry.register(
            "queue_drops",
            "Frames dropped by the worker: a recorder's or Composite's queue was full (recorder), \
             or a subscriber's endpoint did not take it (endpoint)",
            queue,
        );
        let datagrams = counters(self.workers.iter().flat_map(|f| {
            let (worker, d) = (f.snapshot.worker, f.snapshot.counters.drops);
            [
                (labels(worker, &[("reason", "malformed")]), d.malformed),
                (labels(worker, &[("reason", "unclaimed")]), d.unclaimed),
                (labels(worker, &[("reason", "rejected")]), d.rejected),
                (labels(worker, &[("reason", "send_failed")]), d.send_failed),
            ]
        }));
        registry.register(
            "datagrams_dropped",
            "Datagrams dropped: not STUN/DTLS/RTP/RTCP (malformed), accepted by no endpoint (unclaimed), \
             refused by an endpoint (rejected), or not sent (send_failed)",
            datagrams,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::counters::Drops;

    fn figures() -> NodeFigures {
        let mut counters = WorkerCounters::default();
        counters.forwarded[1] = Volume { packets: 70, bytes: 70_000 };
        counters.feedback_received.plis = 3;
        counters.drops = Drops { malformed: 5, tap_full: 2, ..Drops::default() };
        let snapshot = WorkerSnapshot { worker: 1, thread_id: Some(9), counters, loss_in: Some(0.25), loss_out: None };
        NodeFigures {
            objects: BTreeMap::from([("MediaPipeline", 2), ("WebRtcEndpoint", 3), ("PassThrough", 1)]),
            workers: vec![WorkerFigures { snapshot, cpu_seconds: Some(1.5) }],
        }
    }

    #[test]
    fn renders_named_families_with_their_values() {
        let text = figures().render();
        for line in [
            "plenum_node_pipelines 2",
            "plenum_node_endpoints{kind=\"WebRtcEndpoint\"} 3",
            "plenum_node_endpoints{kind=\"PassThrough\"} 1",
            "plenum_node_workers 1",
            "plenum_node_forwarded_packets_total{worker=\"1\",kind=\"video\"} 70",
            "plenum_node_forwarded_bytes_total{worker=\"1\",kind=\"video\"} 70000",
            "plenum_node_pli_total{worker=\"1\",direction=\"received\"} 3",
            "plenum_node_datagrams_dropped_total{worker=\"1\",reason=\"malformed\"} 5",
            "plenum_node_queue_drops_total{worker=\"1\",queue=\"recorder\"} 2",
            "plenum_node_packet_loss_ratio{worker=\"1\",direction=\"in\"} 0.25",
            "plenum_node_worker_cpu_seconds_total{worker=\"1\"} 1.5",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("direction=\"out\"} 0."), "no loss line without a report");
        assert!(text.ends_with("# EOF\n"));
    }
}
