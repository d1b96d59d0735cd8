//! Which CDR file an event goes to, and which files are old enough to delete.
//!
//! As OpenVidu's logback policy: one file per day, `CDR.<yyyy-MM-dd>_<startup ms>.log`,
//! 30 days kept. Pure: the writer gives the day of each event and the names it sees.

use crate::clock::civil_date;

/// How many days of CDR files are kept, today's included.
pub const KEPT_DAYS: u64 = 30;

const DAY_MS: u64 = 86_400_000;

/// The CDR file names of a master started at `started_ms`.
#[derive(Debug, Clone, Copy)]
pub struct CdrFiles {
    pub started_ms: u64,
}

impl CdrFiles {
    /// The file of the day `at` (ms) falls on.
    pub fn name_for(&self, at: u64) -> String {
        format!("CDR.{}_{}.log", civil_date(at), self.started_ms)
    }

    /// The names among `names` that are CDR files (any master's) from before the
    /// [`KEPT_DAYS`] days ending with the day of `now`. Anything else is never touched.
    pub fn expired<'a>(&self, names: impl IntoIterator<Item = &'a str>, now: u64) -> Vec<&'a str> {
        let oldest_kept = civil_date(now.saturating_sub((KEPT_DAYS - 1) * DAY_MS));
        names.into_iter().filter(|name| day_of(name).is_some_and(|day| day < oldest_kept.as_str())).collect()
    }
}

/// The `yyyy-MM-dd` of a CDR file name, if `name` is one.
pub fn day_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("CDR.")?.strip_suffix(".log")?;
    let (day, started) = rest.split_once('_')?;
    let well_formed = day.len() == 10
        && day.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() })
        && !started.is_empty()
        && started.bytes().all(|b| b.is_ascii_digit());
    well_formed.then_some(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_26: u64 = 1_795_651_200_000;

    #[test]
    fn each_day_has_its_file_named_after_the_startup() {
        let files = CdrFiles { started_ms: 42 };
        assert_eq!(files.name_for(NOV_26), "CDR.2026-11-26_42.log");
        assert_eq!(files.name_for(NOV_26 + DAY_MS - 1), "CDR.2026-11-26_42.log");
        assert_eq!(files.name_for(NOV_26 + DAY_MS), "CDR.2026-11-27_42.log");
    }

    #[test]
    fn thirty_days_are_kept_and_only_cdr_files_expire() {
        let files = CdrFiles { started_ms: 42 };
        let names = [
            "CDR.2026-10-27_1.log", // 30 days before Nov 26: the 31st day back
            "CDR.2026-10-28_1.log", // the oldest day kept
            "CDR.2026-11-26_42.log",
            "CDR.2025-01-01_x.log",
            "notes.txt",
            "CDR.2026-1-01_1.log",
        ];
        assert_eq!(files.expired(names, NOV_26 + 5), ["CDR.2026-10-27_1.log"]);
    }

    #[test]
    fn names_are_parsed_strictly() {
        assert_eq!(day_of("CDR.2026-11-26_1795651200000.log"), Some("2026-11-26"));
        assert_eq!(day_of("CDR.2026-11-26_.log"), None);
        assert_eq!(day_of("CDR.2026/11/26_1.log"), None);
        assert_eq!(day_of("XCDR.2026-11-26_1.log"), None);
    }
}
