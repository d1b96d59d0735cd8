//! How a full queue says what it dropped without flooding the log: the first
//! drop of each second is logged with its event, and the drops after it in
//! that second are counted into one line, written with the next drop after
//! the second or as soon as the queue has room again. The `dropped` counter
//! counts every one. Pure: the intake gives `now`.

/// One second between detailed lines.
const WINDOW_MS: u64 = 1_000;

#[derive(Debug, Default)]
pub struct DropLog {
    /// When the last detailed line was written.
    last_line_at: Option<u64>,
    /// Drops since then that were not logged one by one.
    unlogged: u64,
}

/// What to log now.
#[derive(Debug, PartialEq, Eq)]
pub enum DropLine {
    /// Log this drop in detail; `unlogged_before` more were dropped since the last line.
    Detailed { unlogged_before: u64 },
    /// Counted only.
    Counted,
}

impl DropLog {
    /// An event was dropped at `now`.
    pub fn dropped(&mut self, now: u64) -> DropLine {
        match self.last_line_at {
            Some(at) if now.saturating_sub(at) < WINDOW_MS => {
                self.unlogged += 1;
                DropLine::Counted
            }
            _ => {
                self.last_line_at = Some(now);
                DropLine::Detailed { unlogged_before: std::mem::take(&mut self.unlogged) }
            }
        }
    }

    /// An event was queued without a drop (or the intake ended): the drops not yet
    /// logged one by one, once, so a burst's count is never left unsaid.
    pub fn settled(&mut self) -> Option<u64> {
        (self.unlogged > 0).then(|| std::mem::take(&mut self.unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_detailed_line_a_second_and_every_other_drop_counted_once() {
        let mut log = DropLog::default();
        assert_eq!(log.dropped(1_000), DropLine::Detailed { unlogged_before: 0 });
        assert_eq!(log.dropped(1_001), DropLine::Counted);
        assert_eq!(log.dropped(1_999), DropLine::Counted);
        assert_eq!(log.dropped(2_000), DropLine::Detailed { unlogged_before: 2 });
        assert_eq!(log.dropped(2_500), DropLine::Counted);
        assert_eq!(log.settled(), Some(1));
        assert_eq!(log.settled(), None, "said once");
        assert_eq!(log.dropped(2_600), DropLine::Counted, "still within the second of the last line");
        assert_eq!(log.dropped(3_100), DropLine::Detailed { unlogged_before: 1 });
    }
}
