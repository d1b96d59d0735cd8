//! The load chart's memory: each node's load samples over the last hour, kept on
//! the master in bounded ring buffers. Pure: the sampler gives the time.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

/// One sample: when (ms) and the node's load (CPU %, 0–100).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    pub t: u64,
    pub load: f64,
}

/// Per node, the samples of the last `window_ms`, at most `capacity` of them.
#[derive(Debug)]
pub struct NodeLoad {
    window_ms: u64,
    capacity: usize,
    nodes: BTreeMap<String, VecDeque<Sample>>,
}

impl NodeLoad {
    pub fn new(window_ms: u64, capacity: usize) -> Self {
        Self { window_ms, capacity: capacity.max(1), nodes: BTreeMap::new() }
    }

    /// Records the loads of the nodes there are at `now`; a node that is gone keeps
    /// its samples until they age out, then is forgotten.
    pub fn record<'a>(&mut self, now: u64, loads: impl IntoIterator<Item = (&'a str, f64)>) {
        for (id, load) in loads {
            let samples = self.nodes.entry(id.to_string()).or_default();
            if samples.len() == self.capacity {
                samples.pop_front();
            }
            samples.push_back(Sample { t: now, load });
        }
        let oldest = now.saturating_sub(self.window_ms);
        for samples in self.nodes.values_mut() {
            while samples.front().is_some_and(|s| s.t < oldest) {
                samples.pop_front();
            }
        }
        self.nodes.retain(|_, samples| !samples.is_empty());
    }

    /// Every node's samples in the window ending at `now`, oldest first.
    pub fn series(&self, now: u64) -> BTreeMap<String, Vec<Sample>> {
        let oldest = now.saturating_sub(self.window_ms);
        self.nodes
            .iter()
            .map(|(id, samples)| (id.clone(), samples.iter().filter(|s| s.t >= oldest).copied().collect::<Vec<_>>()))
            .filter(|(_, samples)| !samples.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(load: &NodeLoad, id: &str, now: u64) -> Vec<u64> {
        load.series(now).get(id).map(|s| s.iter().map(|s| s.t).collect()).unwrap_or_default()
    }

    #[test]
    fn keeps_at_most_capacity_samples_dropping_the_oldest() {
        let mut load = NodeLoad::new(1_000_000, 3);
        for t in 1..=5 {
            load.record(t, [("n1", t as f64)]);
        }
        assert_eq!(times(&load, "n1", 5), [3, 4, 5]);
        assert_eq!(load.series(5)["n1"][2].load, 5.0);
    }

    #[test]
    fn samples_older_than_the_window_age_out_and_a_gone_node_is_forgotten() {
        let mut load = NodeLoad::new(100, 1_000);
        load.record(0, [("n1", 1.0), ("n2", 2.0)]);
        load.record(60, [("n1", 1.5)]);
        assert_eq!(times(&load, "n2", 60), [0]);
        assert_eq!(times(&load, "n1", 150), [60], "the window is read at `now` too");
        load.record(170, [("n1", 3.0)]);
        assert_eq!(times(&load, "n1", 170), [170]);
        assert!(!load.series(170).contains_key("n2"));
        assert!(!load.nodes.contains_key("n2"), "forgotten, not kept empty");
    }
}
