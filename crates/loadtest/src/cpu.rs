//! CPU time of a process (user + system), in seconds, as the `procfs` crate
//! reads it from `/proc/<pid>/stat`: the one /proc reader of the workspace, so
//! the load generator, the UDP relay's load generator and the media node agree
//! on what a tick is and on how the `stat` line is split.

use procfs::process::{Process, Stat};

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 when that is not positive).
pub fn clock_ticks() -> u64 {
    match procfs::ticks_per_second() {
        0 => 100,
        ticks => ticks,
    }
}

/// `utime + stime` in clock ticks.
pub fn stat_ticks(stat: &Stat) -> u64 {
    stat.utime.saturating_add(stat.stime)
}

/// CPU seconds `pid` has used so far (`None` if it is gone or unreadable).
pub fn process_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = Process::new(i32::try_from(pid).ok()?).ok()?.stat().ok()?;
    Some(stat_ticks(&stat) as f64 / clock_ticks() as f64)
}

/// CPU seconds this process has used so far.
pub fn own_cpu_seconds() -> Option<f64> {
    let stat = Process::myself().ok()?.stat().ok()?;
    Some(stat_ticks(&stat) as f64 / clock_ticks() as f64)
}

#[cfg(test)]
mod tests {
    use procfs::FromRead;

    use super::*;

    /// A `stat` line whose command name holds spaces and parentheses, as a media node's may.
    const ODD_NAME: &str = "4242 (media node (x)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 100 \
                            1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn reads_utime_and_stime_even_with_odd_names() {
        let stat = Stat::from_read(ODD_NAME.as_bytes()).unwrap();
        assert_eq!(stat.comm, "media node (x)");
        assert_eq!(stat_ticks(&stat), 300);
        assert!(Stat::from_read("garbage".as_bytes()).is_err());
    }

    #[test]
    fn reads_this_process() {
        let mut spin = 0u64;
        for i in 0..2_000_000u64 {
            spin = spin.wrapping_add(i * i);
        }
        assert!(spin > 0);
        assert!(own_cpu_seconds().is_some_and(|s| s >= 0.0));
        assert!(process_cpu_seconds(std::process::id()).is_some_and(|s| s >= 0.0));
        assert_eq!(process_cpu_seconds(u32::MAX), None);
        assert!(clock_ticks() > 0);
    }
}
