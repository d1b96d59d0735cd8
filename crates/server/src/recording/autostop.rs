//! `OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT`: a recording whose session has had no
//! publisher for that long stops by itself (`automaticStop`). Pure: the
//! services tell it, on each tick, which recordings have publishers, with `now`.

use std::collections::HashMap;

#[derive(Debug)]
pub struct Autostop {
    timeout_ms: u64,
    /// recording id → since when (ms) its session has had no publisher
    idle_since: HashMap<String, u64>,
}

impl Autostop {
    pub fn new(timeout_s: u64) -> Self {
        Self { timeout_ms: timeout_s.saturating_mul(1000), idle_since: HashMap::new() }
    }

    /// `recordings`: each recording in progress and whether its session has a publisher now.
    /// Returns the recordings to stop; a recording not listed is forgotten.
    pub fn tick(&mut self, recordings: &[(String, bool)], now: u64) -> Vec<String> {
        self.idle_since.retain(|id, _| recordings.iter().any(|(r, _)| r == id));
        let mut due = Vec::new();
        for (id, publishing) in recordings {
            if *publishing {
                self.idle_since.remove(id);
                continue;
            }
            let since = *self.idle_since.entry(id.clone()).or_insert(now);
            if now.saturating_sub(since) >= self.timeout_ms {
                due.push(id.clone());
            }
        }
        for id in &due {
            self.idle_since.remove(id);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_after_the_timeout_without_publishers_and_a_publisher_resets_it() {
        let mut rule = Autostop::new(2);
        let idle = |id: &str| vec![(id.to_string(), false)];
        assert!(rule.tick(&idle("r"), 1_000).is_empty());
        assert!(rule.tick(&idle("r"), 2_999).is_empty());
        assert!(rule.tick(&[("r".into(), true)], 3_000).is_empty(), "a publisher came");
        assert!(rule.tick(&idle("r"), 3_500).is_empty());
        assert!(rule.tick(&idle("r"), 5_400).is_empty());
        assert_eq!(rule.tick(&idle("r"), 5_500), ["r"]);
        assert!(rule.tick(&[], 9_000).is_empty());
    }

    #[test]
    fn a_zero_timeout_stops_at_the_first_idle_tick() {
        let mut rule = Autostop::new(0);
        assert_eq!(rule.tick(&[("r".into(), false), ("s".into(), true)], 10), ["r"]);
    }
}
