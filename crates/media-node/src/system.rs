//! CPU and memory figures for the ServerManager, read from `/proc`.
//!
//! CPU use is the machine's busy share between two samples of `/proc/stat`;
//! memory is the node process's resident set (`VmRSS`), in KiB as Kurento
//! reports `getUsedMemory`. A sampler task refreshes the snapshot every second
//! so requests never touch the file system.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::control::server_manager::SystemSnapshot;

/// Busy and total jiffies from the first line of `/proc/stat`.
pub fn parse_cpu_times(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let fields: Vec<u64> = line.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    if fields.len() < 4 {
        return None;
    }
    let total: u64 = fields.iter().sum();
    let idle = fields[3] + fields.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// `VmRSS` from `/proc/self/status`, in KiB.
pub fn parse_rss_kib(status: &str) -> Option<i64> {
    status.lines().find_map(|line| line.strip_prefix("VmRSS:")?.split_whitespace().next()?.parse().ok())
}

/// Busy percent between two `(busy, total)` samples.
pub fn cpu_percent(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1);
    if total == 0 {
        return 0.0;
    }
    after.0.saturating_sub(before.0) as f64 * 100.0 / total as f64
}

/// The latest snapshot, shared with the control plane.
#[derive(Clone)]
pub struct SystemMonitor {
    latest: Arc<Mutex<SystemSnapshot>>,
}

impl SystemMonitor {
    /// Takes a first snapshot and starts refreshing it every second.
    pub fn start() -> Self {
        let cpu_count = std::thread::available_parallelism().map(|n| n.get() as i64).unwrap_or(1);
        let monitor = Self {
            latest: Arc::new(Mutex::new(SystemSnapshot {
                used_cpu_percent: 0.0,
                used_memory_kib: read_rss().unwrap_or(0),
                cpu_count,
            })),
        };
        let shared = monitor.latest.clone();
        tokio::spawn(async move {
            let mut previous = read_cpu();
            let mut ticker = tokio::time::interval(Duration::from_secs(1));
            loop {
                ticker.tick().await;
                let current = read_cpu();
                let mut latest = shared.lock().unwrap_or_else(|p| p.into_inner());
                if let (Some(before), Some(after)) = (previous, current) {
                    latest.used_cpu_percent = cpu_percent(before, after);
                }
                latest.used_memory_kib = read_rss().unwrap_or(latest.used_memory_kib);
                previous = current;
            }
        });
        monitor
    }

    pub fn snapshot(&self) -> SystemSnapshot {
        *self.latest.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn read_cpu() -> Option<(u64, u64)> {
    parse_cpu_times(&std::fs::read_to_string("/proc/stat").ok()?)
}

fn read_rss() -> Option<i64> {
    parse_rss_kib(&std::fs::read_to_string("/proc/self/status").ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_formats() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(parse_cpu_times(stat), Some((150, 1000)));
        assert_eq!(parse_rss_kib("Name:\tx\nVmRSS:\t  20480 kB\n"), Some(20480));
        assert_eq!(cpu_percent((150, 1000), (250, 1200)), 50.0);
        assert_eq!(cpu_percent((1, 1), (1, 1)), 0.0);
    }

    #[test]
    fn reads_this_machine() {
        assert!(read_cpu().is_some());
        assert!(read_rss().unwrap() > 0);
    }
}
