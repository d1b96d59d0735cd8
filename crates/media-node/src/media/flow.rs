//! Media flow states (`MediaFlowIn/OutStateChanged`, `isMediaFlowingIn/Out`):
//! FLOWING at the first frame, NOT_FLOWING after a quiet spell.

use std::time::{Duration, Instant};

/// How long without a frame before a flow counts as stopped (Kurento uses about two seconds).
pub const QUIET_LIMIT: Duration = Duration::from_secs(2);

#[derive(Debug, Default, Clone, Copy)]
pub struct Flow {
    flowing: bool,
    last: Option<Instant>,
}

impl Flow {
    /// Records a frame; true when the flow has just started.
    pub fn saw(&mut self, now: Instant) -> bool {
        self.last = Some(now);
        !std::mem::replace(&mut self.flowing, true)
    }

    /// True when the flow has just stopped.
    pub fn check(&mut self, now: Instant) -> bool {
        let quiet = self.last.is_none_or(|last| now.saturating_duration_since(last) >= QUIET_LIMIT);
        if self.flowing && quiet {
            self.flowing = false;
            return true;
        }
        false
    }

    pub fn is_flowing(&self) -> bool {
        self.flowing
    }
}

/// A minimum spacing between keyframe requests to one source, so a hundred
/// subscribers losing a packet do not make the publisher send a hundred keyframes.
#[derive(Debug, Default, Clone, Copy)]
pub struct Throttle {
    last: Option<Instant>,
    /// A request came inside the spacing and is still owed.
    deferred: bool,
}

impl Throttle {
    pub const KEYFRAME_SPACING: Duration = Duration::from_millis(500);

    pub fn allow(&mut self, now: Instant) -> bool {
        if !self.ready(now) {
            return false;
        }
        self.mark(now);
        true
    }

    /// Whether a request may go out now (without counting one).
    pub fn ready(&self, now: Instant) -> bool {
        self.last.is_none_or(|last| now.saturating_duration_since(last) >= Self::KEYFRAME_SPACING)
    }

    /// Counts a request that went out (it also settles a deferred one).
    pub fn mark(&mut self, now: Instant) {
        self.last = Some(now);
        self.deferred = false;
    }

    /// Remembers a request that came too soon.
    pub fn defer(&mut self) {
        self.deferred = true;
    }

    /// Whether a deferred request may go out now.
    pub fn deferred_due(&self, now: Instant) -> bool {
        self.deferred && self.ready(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_starts_once_and_stops_after_the_quiet_limit() {
        let start = Instant::now();
        let mut flow = Flow::default();
        assert!(!flow.check(start));
        assert!(flow.saw(start));
        assert!(!flow.saw(start + Duration::from_millis(10)));
        assert!(!flow.check(start + Duration::from_secs(1)));
        assert!(flow.check(start + Duration::from_millis(10) + QUIET_LIMIT));
        assert!(!flow.is_flowing());
        assert!(flow.saw(start + Duration::from_secs(5)));
    }

    #[test]
    fn a_request_inside_the_spacing_is_owed_until_sent() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        throttle.mark(start);
        throttle.defer();
        assert!(!throttle.deferred_due(start + Duration::from_millis(100)));
        assert!(throttle.deferred_due(start + Throttle::KEYFRAME_SPACING));
        throttle.mark(start + Throttle::KEYFRAME_SPACING);
        assert!(!throttle.deferred_due(start + Throttle::KEYFRAME_SPACING * 3));
    }

    #[test]
    fn keyframe_requests_are_spaced() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        assert!(throttle.allow(start));
        assert!(!throttle.allow(start + Duration::from_millis(100)));
        assert!(throttle.allow(start + Throttle::KEYFRAME_SPACING));
    }
}
