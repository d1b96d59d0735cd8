//! One clock for all tracks of a recording. Each track's RTP clock starts at a
//! random value, so a frame's time is the arrival of its track's first frame
//! (relative to the recording's start) plus its RTP distance from that frame.
//! Pauses are cut out of the timeline.

use std::time::{Duration, Instant};

/// The timeline of one track.
#[derive(Debug, Clone, Copy)]
pub struct TrackClock {
    first_rtp: u64,
    clock_rate: u32,
    /// Where the track's first frame sits on the recording's timeline.
    offset: Duration,
    last: Option<Duration>,
}

impl TrackClock {
    /// The first frame of a track, arrived at `arrival`, in a recording started at `start`.
    pub fn new(start: Instant, arrival: Instant, rtp_time: u64, clock_rate: u32) -> Self {
        Self::at(arrival.saturating_duration_since(start), rtp_time, clock_rate)
    }

    /// A track whose first frame sits at `offset`.
    pub fn at(offset: Duration, rtp_time: u64, clock_rate: u32) -> Self {
        Self { first_rtp: rtp_time, clock_rate: clock_rate.max(1), offset, last: None }
    }

    /// The time of a frame: never before the track's start, and strictly increasing
    /// (muxers refuse going back; a reordered frame is put just after the previous one).
    pub fn time_of(&mut self, rtp_time: u64) -> Duration {
        let delta = rtp_time.wrapping_sub(self.first_rtp) as i64;
        let nanos = i128::from(delta) * 1_000_000_000 / i128::from(self.clock_rate);
        let raw = if nanos >= 0 {
            self.offset + Duration::from_nanos(nanos.min(u64::MAX as i128) as u64)
        } else {
            self.offset.saturating_sub(Duration::from_nanos((-nanos).min(u64::MAX as i128) as u64))
        };
        let time = match self.last {
            Some(last) if raw <= last => last + Duration::from_micros(1),
            _ => raw,
        };
        self.last = Some(time);
        time
    }
}

/// Time spent paused, cut from what follows.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pauses {
    since: Option<Instant>,
    total: Duration,
}

impl Pauses {
    pub fn pause(&mut self, now: Instant) {
        self.since.get_or_insert(now);
    }

    pub fn resume(&mut self, now: Instant) {
        if let Some(since) = self.since.take() {
            self.total += now.saturating_duration_since(since);
        }
    }

    pub fn is_paused(&self) -> bool {
        self.since.is_some()
    }

    /// A timeline position with the pauses before it removed.
    pub fn cut(&self, time: Duration) -> Duration {
        time.saturating_sub(self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_with_random_rtp_offsets_meet_on_one_timeline() {
        let start = Instant::now();
        let mut video = TrackClock::new(start, start + Duration::from_millis(40), 3_000_000_000, 90_000);
        let mut audio = TrackClock::new(start, start, 17, 48_000);
        assert_eq!(video.time_of(3_000_000_000), Duration::from_millis(40));
        assert_eq!(video.time_of(3_000_090_000), Duration::from_millis(1040));
        assert_eq!(audio.time_of(17), Duration::ZERO);
        assert_eq!(audio.time_of(17 + 48_000), Duration::from_secs(1));
    }

    #[test]
    fn times_never_go_back() {
        let start = Instant::now();
        let mut clock = TrackClock::new(start, start + Duration::from_millis(10), 1_000, 1_000);
        assert_eq!(clock.time_of(1_100), Duration::from_millis(110));
        let reordered = clock.time_of(1_050);
        assert!(reordered > Duration::from_millis(110));
        assert_eq!(clock.time_of(500), reordered + Duration::from_micros(1), "before the start: clamped and after");
    }

    #[test]
    fn pauses_are_cut_out() {
        let start = Instant::now();
        let mut pauses = Pauses::default();
        pauses.pause(start + Duration::from_secs(2));
        assert!(pauses.is_paused());
        pauses.resume(start + Duration::from_secs(5));
        assert_eq!(pauses.cut(Duration::from_secs(6)), Duration::from_secs(3));
        pauses.resume(start + Duration::from_secs(9));
        assert_eq!(pauses.cut(Duration::from_secs(6)), Duration::from_secs(3), "resume without pause is a no-op");
    }
}
