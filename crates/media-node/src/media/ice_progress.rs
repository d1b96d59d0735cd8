//! `IceComponentStateChanged` in Kurento's order. str0m as an ICE-lite agent
//! may skip states (it goes from checking straight to completed) or report
//! checking before `gatherCandidates`; clients expect GATHERING → CONNECTING →
//! CONNECTED → READY, so skipped steps are filled in and repeats dropped.

const ORDER: [&str; 4] = ["GATHERING", "CONNECTING", "CONNECTED", "READY"];

#[derive(Debug, Default, Clone, Copy)]
pub struct IceProgress {
    /// How many states of [`ORDER`] were announced.
    reached: usize,
}

impl IceProgress {
    /// The states to announce for a newly reached one (`DISCONNECTED` or one of the ordered states).
    pub fn advance(&mut self, state: &'static str) -> Vec<&'static str> {
        if state == "DISCONNECTED" {
            // Back to looking for a pair: the next success announces CONNECTING again.
            self.reached = self.reached.min(1);
            return vec![state];
        }
        let Some(position) = ORDER.iter().position(|s| *s == state) else { return Vec::new() };
        let announce = ORDER.get(self.reached..=position).map(<[_]>::to_vec).unwrap_or_default();
        self.reached = self.reached.max(position + 1);
        announce
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_states_are_filled_in_and_repeats_dropped() {
        let mut ice = IceProgress::default();
        assert_eq!(ice.advance("CONNECTING"), ["GATHERING", "CONNECTING"]);
        assert!(ice.advance("GATHERING").is_empty());
        assert_eq!(ice.advance("READY"), ["CONNECTED", "READY"]);
        assert!(ice.advance("READY").is_empty());
    }

    #[test]
    fn a_disconnection_allows_reconnecting() {
        let mut ice = IceProgress::default();
        ice.advance("READY");
        assert_eq!(ice.advance("DISCONNECTED"), ["DISCONNECTED"]);
        assert_eq!(ice.advance("CONNECTED"), ["CONNECTING", "CONNECTED"]);
    }
}
