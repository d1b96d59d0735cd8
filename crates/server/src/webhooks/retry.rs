//! When a webhook event is tried again, and when it is given up.
//!
//! OpenVidu tries an event up to 5 times. Plenum waits between the tries, each
//! wait twice the one before (0.5 s, 1 s, 2 s, 4 s by default), so a receiver
//! that is restarting gets a few seconds to come back, while one that is down
//! costs each event at most 7.5 s of waiting plus its timeouts.

use std::time::Duration;

/// OpenVidu's number of tries per event.
pub const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    pub max_attempts: u32,
    pub first_delay: Duration,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryIn(Duration),
    GiveUp,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self { max_attempts: MAX_ATTEMPTS, first_delay: Duration::from_millis(500) }
    }
}

impl RetrySchedule {
    /// After `failed` attempts have failed (1 after the first), the wait before the next, or give up.
    pub fn after_failure(&self, failed: u32) -> Next {
        if failed == 0 || failed >= self.max_attempts {
            return match failed {
                0 => Next::RetryIn(Duration::ZERO),
                _ => Next::GiveUp,
            };
        }
        Next::RetryIn(self.first_delay.saturating_mul(1 << (failed - 1).min(16)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_attempts_with_doubling_waits_then_give_up() {
        let schedule = RetrySchedule::default();
        let waits: Vec<Next> = (1..=5).map(|failed| schedule.after_failure(failed)).collect();
        let ms = |n| Next::RetryIn(Duration::from_millis(n));
        assert_eq!(waits, [ms(500), ms(1000), ms(2000), ms(4000), Next::GiveUp]);
        assert_eq!(schedule.after_failure(9), Next::GiveUp);
    }

    #[test]
    fn nothing_failed_yet_means_try_now() {
        assert_eq!(RetrySchedule::default().after_failure(0), Next::RetryIn(Duration::ZERO));
    }

    #[test]
    fn a_long_schedule_does_not_overflow() {
        let schedule = RetrySchedule { max_attempts: 100, first_delay: Duration::from_secs(1) };
        assert!(matches!(schedule.after_failure(99), Next::RetryIn(wait) if wait == Duration::from_secs(1 << 16)));
    }
}
