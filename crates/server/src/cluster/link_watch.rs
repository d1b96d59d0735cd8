//! What the master decides about one media node's link (peer study §1.7):
//! a lost link is retried silently; a node back within
//! `OPENVIDU_PRO_CLUSTER_RECONNECTION_TIMEOUT` has recovered (with or without its
//! media objects); one still gone when the timeout ends has crashed. Pure: the
//! adapter ([`super::crash`]) feeds it link changes and the time, and acts on
//! the decisions.

/// The link as the node's client reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The websocket dropped or the node stopped answering pings.
    Down,
    /// Connected; `same_session` is false when the node forgot our Kurento session
    /// (it restarted): every media object of ours on it is gone.
    Up { same_session: bool },
}

/// What the adapter must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Nothing,
    /// The link just dropped: the node takes no new sessions while it is retried.
    Lost,
    /// Back within the timeout (`nodeRecovered`); `objects_lost` when it restarted meanwhile.
    Recovered {
        objects_lost: bool,
    },
    /// Still gone when the timeout ended (`nodeCrashed`); `lost_at` is when the link dropped.
    Crashed {
        lost_at: u64,
    },
}

#[derive(Debug, Clone)]
pub struct LinkWatch {
    /// `None`: never give up (`-1`).
    timeout_ms: Option<u64>,
    lost_at: Option<u64>,
    crashed: bool,
}

impl LinkWatch {
    /// `timeout_s` as configured: seconds, or negative for no limit.
    pub fn new(timeout_s: i64) -> Self {
        let timeout_ms = u64::try_from(timeout_s).ok().map(|s| s.saturating_mul(1000));
        Self { timeout_ms, lost_at: None, crashed: false }
    }

    /// The link changed at `now`.
    pub fn link(&mut self, link: Link, now: u64) -> Decision {
        if self.crashed {
            return Decision::Nothing;
        }
        match (link, self.lost_at) {
            (Link::Down, None) => {
                self.lost_at = Some(now);
                Decision::Lost
            }
            (Link::Down, Some(_)) => Decision::Nothing,
            (Link::Up { same_session }, Some(_)) => {
                self.lost_at = None;
                Decision::Recovered { objects_lost: !same_session }
            }
            // The drop and the return were reported together: it still restarted meanwhile.
            (Link::Up { same_session: false }, None) => Decision::Recovered { objects_lost: true },
            (Link::Up { same_session: true }, None) => Decision::Nothing,
        }
    }

    /// When [`LinkWatch::tick`] must be called next (ms), if ever.
    pub fn deadline(&self) -> Option<u64> {
        match (self.crashed, self.lost_at, self.timeout_ms) {
            (false, Some(lost_at), Some(timeout)) => Some(lost_at.saturating_add(timeout)),
            _ => None,
        }
    }

    /// Time passed: a node lost for the whole timeout has crashed (decided once).
    pub fn tick(&mut self, now: u64) -> Decision {
        match (self.deadline(), self.lost_at) {
            (Some(deadline), Some(lost_at)) if now >= deadline => {
                self.crashed = true;
                Decision::Crashed { lost_at }
            }
            _ => Decision::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAME: Link = Link::Up { same_session: true };
    const FRESH: Link = Link::Up { same_session: false };

    #[test]
    fn a_node_gone_for_the_whole_timeout_crashes_once() {
        let mut watch = LinkWatch::new(3);
        assert_eq!(watch.deadline(), None);
        assert_eq!(watch.link(Link::Down, 1_000), Decision::Lost);
        assert_eq!(watch.link(Link::Down, 1_500), Decision::Nothing, "still the first loss");
        assert_eq!(watch.deadline(), Some(4_000));
        assert_eq!(watch.tick(3_999), Decision::Nothing);
        assert_eq!(watch.tick(4_000), Decision::Crashed { lost_at: 1_000 });
        assert_eq!(watch.tick(9_000), Decision::Nothing);
        assert_eq!(watch.deadline(), None);
        assert_eq!(watch.link(SAME, 9_001), Decision::Nothing, "too late to recover");
    }

    #[test]
    fn a_node_back_within_the_timeout_recovers_and_the_clock_restarts() {
        let mut watch = LinkWatch::new(3);
        watch.link(Link::Down, 1_000);
        assert_eq!(watch.link(SAME, 3_000), Decision::Recovered { objects_lost: false });
        assert_eq!(watch.deadline(), None);
        assert_eq!(watch.tick(10_000), Decision::Nothing);
        assert_eq!(watch.link(Link::Down, 10_000), Decision::Lost);
        assert_eq!(watch.tick(12_999), Decision::Nothing);
        assert_eq!(watch.link(FRESH, 12_999), Decision::Recovered { objects_lost: true });
    }

    #[test]
    fn a_restart_seen_only_as_its_return_still_loses_the_objects() {
        let mut watch = LinkWatch::new(3);
        assert_eq!(watch.link(SAME, 5), Decision::Nothing);
        assert_eq!(watch.link(FRESH, 6), Decision::Recovered { objects_lost: true });
    }

    #[test]
    fn without_a_limit_a_node_never_crashes() {
        let mut watch = LinkWatch::new(-1);
        watch.link(Link::Down, 0);
        assert_eq!(watch.deadline(), None);
        assert_eq!(watch.tick(u64::MAX), Decision::Nothing);
        assert_eq!(watch.link(SAME, u64::MAX), Decision::Recovered { objects_lost: false });
    }
}
