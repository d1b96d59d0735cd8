//! What one media worker counts, as plain integers it alone writes, and the
//! pure rules that turn str0m's cumulative per-stream statistics into
//! increments of those counters.
//!
//! str0m reports each stream's totals since it began (`MediaEgressStats`,
//! `MediaIngressStats`). An endpoint that is released takes its totals with it,
//! so the worker adds each report's increase over the previous one
//! ([`StreamCursor`]) to its own totals instead of summing live streams:
//! counters never go down when a participant leaves.

/// Counters of what was dropped (datagrams and frames).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drops {
    /// Datagrams that are not STUN, DTLS, RTP or RTCP at all.
    pub malformed: u64,
    /// Datagrams no endpoint of the worker accepted (unknown sender, no ICE pair).
    pub unclaimed: u64,
    /// Datagrams an endpoint refused (bad STUN, undecryptable SRTP, …).
    pub rejected: u64,
    pub send_failed: u64,
    /// Frames a subscriber's endpoint did not take (no matching codec, or its send queue is full).
    pub not_written: u64,
    /// Frames a recorder's or Composite's queue had no room for (the taps' `framesDropped`).
    pub tap_full: u64,
}

/// RTP packets and their bytes (retransmissions included).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Volume {
    pub packets: u64,
    pub bytes: u64,
}

/// RTCP feedback messages.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Feedback {
    pub nacks: u64,
    pub plis: u64,
    pub firs: u64,
}

/// Everything a worker counts. Arrays indexed by media are audio 0, video 1.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkerCounters {
    /// UDP datagrams (all protocols) received and sent by the worker's socket.
    pub datagrams_in: Volume,
    pub datagrams_out: Volume,
    /// RTP sent to subscribers, by media.
    pub forwarded: [Volume; 2],
    /// RTP received from publishers, by media.
    pub received: [Volume; 2],
    /// Feedback subscribers sent the node, and the node sent publishers.
    pub feedback_received: Feedback,
    pub feedback_sent: Feedback,
    /// Forwarded packets that subscribers reported lost (RTCP receiver reports).
    pub forwarded_lost: u64,
    pub drops: Drops,
}

/// A worker's counters at one moment, with what a scrape needs to label and complete them.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct WorkerSnapshot {
    pub worker: usize,
    /// The worker thread's id (`/proc/self/task/<tid>`), once it has run.
    pub thread_id: Option<i32>,
    pub counters: WorkerCounters,
    /// Mean fraction of packets lost over the streams that reported one: arriving from
    /// publishers (`loss_in`) and reaching subscribers (`loss_out`).
    pub loss_in: Option<f64>,
    pub loss_out: Option<f64>,
}

/// One cumulative report of a stream, as str0m gives it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamTotals {
    pub volume: Volume,
    pub feedback: Feedback,
    /// Packets the remote side reported lost (egress only).
    pub lost: u64,
}

impl StreamTotals {
    fn fields(&self) -> [u64; 6] {
        [self.volume.packets, self.volume.bytes, self.feedback.nacks, self.feedback.plis, self.feedback.firs, self.lost]
    }

    fn from_fields(f: [u64; 6]) -> Self {
        Self {
            volume: Volume { packets: f[0], bytes: f[1] },
            feedback: Feedback { nacks: f[2], plis: f[3], firs: f[4] },
            lost: f[5],
        }
    }
}

/// The last totals seen for one stream.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StreamCursor {
    last: StreamTotals,
}

impl StreamCursor {
    /// The totals of the previous report.
    pub fn last(&self) -> StreamTotals {
        self.last
    }

    /// The increase since the previous report. A total below the previous one means
    /// the stream started over (renegotiated); its whole value is then new.
    pub fn advance(&mut self, now: StreamTotals) -> StreamTotals {
        let (before, after) = (self.last.fields(), now.fields());
        let delta = std::array::from_fn(|i| after[i].checked_sub(before[i]).unwrap_or(after[i]));
        self.last = now;
        StreamTotals::from_fields(delta)
    }
}

impl Volume {
    pub fn add(&mut self, other: Volume) {
        self.packets = self.packets.saturating_add(other.packets);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

impl Feedback {
    pub fn add(&mut self, other: Feedback) {
        self.nacks = self.nacks.saturating_add(other.nacks);
        self.plis = self.plis.saturating_add(other.plis);
        self.firs = self.firs.saturating_add(other.firs);
    }
}

/// The mean of loss fractions, skipping streams without one.
#[derive(Debug, Default, Clone, Copy)]
pub struct LossMean {
    sum: f64,
    count: u32,
}

impl LossMean {
    pub fn add(&mut self, fraction: Option<f32>) {
        if let Some(f) = fraction.filter(|f| f.is_finite()) {
            self.sum += f64::from(f.clamp(0.0, 1.0));
            self.count += 1;
        }
    }

    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / f64::from(self.count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(packets: u64, bytes: u64, nacks: u64, plis: u64, lost: u64) -> StreamTotals {
        StreamTotals { volume: Volume { packets, bytes }, feedback: Feedback { nacks, plis, firs: 0 }, lost }
    }

    #[test]
    fn a_cursor_yields_increases_and_restarts_from_zero() {
        let mut cursor = StreamCursor::default();
        assert_eq!(cursor.advance(totals(10, 1000, 1, 0, 0)), totals(10, 1000, 1, 0, 0));
        assert_eq!(cursor.advance(totals(25, 2500, 1, 2, 3)), totals(15, 1500, 0, 2, 3));
        assert_eq!(cursor.advance(totals(25, 2500, 1, 2, 3)), StreamTotals::default());
        // A renegotiated stream counts from zero again: its new totals are all new.
        assert_eq!(cursor.advance(totals(4, 400, 0, 0, 0)), totals(4, 400, 0, 0, 0));
    }

    #[test]
    fn loss_is_the_mean_of_the_streams_that_reported() {
        let mut mean = LossMean::default();
        assert_eq!(mean.mean(), None);
        mean.add(None);
        mean.add(Some(0.1));
        mean.add(Some(0.3));
        mean.add(Some(f32::NAN));
        mean.add(Some(7.0));
        assert!((mean.mean().unwrap() - (0.1 + 0.3 + 1.0) / 3.0).abs() < 1e-6);
    }

    #[test]
    fn sums_saturate() {
        let mut volume = Volume { packets: u64::MAX, bytes: 1 };
        volume.add(Volume { packets: 1, bytes: 2 });
        assert_eq!(volume, Volume { packets: u64::MAX, bytes: 3 });
        let mut feedback = Feedback::default();
        feedback.add(Feedback { nacks: 1, plis: 2, firs: 3 });
        assert_eq!(feedback, Feedback { nacks: 1, plis: 2, firs: 3 });
    }
}
