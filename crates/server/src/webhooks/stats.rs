//! The webhook counters, for the dashboard and metrics.
//!
//! Atomics updated by the dispatcher and read with relaxed loads: reading them
//! takes no lock and never waits for a delivery.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct WebhookStats {
    sent: AtomicU64,
    failed_attempts: AtomicU64,
    dropped: AtomicU64,
    queued: AtomicU64,
}

/// A snapshot of [`WebhookStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCounters {
    /// Events the receiver accepted (a 2xx answer).
    pub sent: u64,
    /// Attempts that failed (connection error, timeout, or an answer other than 2xx).
    pub failed_attempts: u64,
    /// Events given up: pushed out of a full queue, or failed on every attempt.
    pub dropped: u64,
    /// Events accepted for delivery and neither sent nor dropped yet (the one being sent included).
    pub queued: u64,
}

impl WebhookStats {
    pub fn counters(&self) -> WebhookCounters {
        WebhookCounters {
            sent: self.sent.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            queued: self.queued.load(Ordering::Relaxed),
        }
    }

    pub(super) fn queued(&self) {
        self.queued.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }

    pub(super) fn failed_attempt(&self) {
        self.failed_attempts.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
        self.queued.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_counts_what_is_neither_sent_nor_dropped() {
        let stats = WebhookStats::default();
        for _ in 0..3 {
            stats.queued();
        }
        stats.failed_attempt();
        stats.sent();
        stats.dropped();
        assert_eq!(stats.counters(), WebhookCounters { sent: 1, failed_attempts: 1, dropped: 1, queued: 1 });
    }
}
