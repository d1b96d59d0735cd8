//! CPU and memory figures for the ServerManager, read from `/proc` through the
//! `procfs` crate (the workspace's one /proc reader).
//!
//! CPU use is the machine's busy share between two samples of `/proc/stat`;
//! memory is the node process's resident set (`VmRSS`), in KiB as Kurento
//! reports `getUsedMemory`. A sampler task refreshes the snapshot every second
//! so requests never touch the file system.
//!
//! **Test only:** with [`TEST_CPU_LOAD_FILE`] set, the CPU figure is the number
//! in that file (re-read every second) instead of a measurement, so cluster
//! tests can make a node look loaded or idle at once (autoscaling). A missing or
//! unreadable file falls back to measuring.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use procfs::process::{Process, Status};
use procfs::{CpuTime, CurrentSI, KernelStats};

use crate::control::server_manager::SystemSnapshot;

/// Busy and total ticks of the machine's `cpu` line: idle and iowait are not busy.
pub fn busy_and_total(cpu: &CpuTime) -> (u64, u64) {
    let optional = [cpu.iowait, cpu.irq, cpu.softirq, cpu.steal, cpu.guest, cpu.guest_nice];
    let total = [cpu.user, cpu.nice, cpu.system, cpu.idle]
        .into_iter()
        .chain(optional.into_iter().flatten())
        .fold(0u64, u64::saturating_add);
    let idle = cpu.idle.saturating_add(cpu.iowait.unwrap_or(0));
    (total.saturating_sub(idle), total)
}

/// `VmRSS` of a process status, in KiB.
pub fn rss_kib(status: &Status) -> Option<i64> {
    status.vmrss.and_then(|kib| i64::try_from(kib).ok())
}

/// Busy percent between two `(busy, total)` samples.
pub fn cpu_percent(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1);
    if total == 0 {
        return 0.0;
    }
    after.0.saturating_sub(before.0) as f64 * 100.0 / total as f64
}

/// The environment variable naming the test-only CPU load file.
pub const TEST_CPU_LOAD_FILE: &str = "PLENUM_TEST_CPU_LOAD_FILE";

/// The CPU percent a test load file says: one number, clamped to 0–100.
pub fn forced_cpu(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|x| x.is_finite()).map(|x| x.clamp(0.0, 100.0))
}

fn read_forced_cpu(path: Option<&std::path::Path>) -> Option<f64> {
    forced_cpu(&std::fs::read_to_string(path?).ok()?)
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
        let forced = std::env::var_os(TEST_CPU_LOAD_FILE).map(std::path::PathBuf::from);
        if let Some(path) = &forced {
            tracing::warn!(file = %path.display(), "{TEST_CPU_LOAD_FILE} is set: getUsedCpu reports that file (test only)");
        }
        let monitor = Self {
            latest: Arc::new(Mutex::new(SystemSnapshot {
                used_cpu_percent: read_forced_cpu(forced.as_deref()).unwrap_or(0.0),
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
                if let Some(cpu) = read_forced_cpu(forced.as_deref()) {
                    latest.used_cpu_percent = cpu;
                } else if let (Some(before), Some(after)) = (previous, current) {
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
    Some(busy_and_total(&KernelStats::current().ok()?.total))
}

fn read_rss() -> Option<i64> {
    rss_kib(&Process::myself().ok()?.status().ok()?)
}

#[cfg(test)]
mod tests {
    use procfs::{ExplicitSystemInfo, FromBufRead, FromBufReadSI};

    use super::*;

    /// A node's `/proc/<pid>/status`, cut to the lines every kernel since 4.x has.
    const STATUS: &str = "Name:\tplenum-media-no\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\n\
        Pid:\t4242\nPPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t \n\
        VmPeak:\t  90000 kB\nVmHWM:\t  30000 kB\nVmRSS:\t  20480 kB\nThreads:\t9\nSigQ:\t0/96363\n\
        SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\nSigBlk:\t0000000000000000\n\
        SigIgn:\t0000000000001000\nSigCgt:\t0000000100004440\nCapInh:\t0000000000000000\n\
        CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n\
        CapAmb:\t0000000000000000\nvoluntary_ctxt_switches:\t10\nnonvoluntary_ctxt_switches:\t1\n";

    fn kernel_stats(text: &str) -> KernelStats {
        let system =
            ExplicitSystemInfo { boot_time_secs: 0, ticks_per_second: 100, page_size: 4096, is_little_endian: true };
        KernelStats::from_buf_read(text.as_bytes(), &system).unwrap()
    }

    #[test]
    fn parses_proc_formats() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\nctxt 1\nbtime 2\nprocesses 3\n";
        assert_eq!(busy_and_total(&kernel_stats(stat).total), (150, 1000));
        // An old kernel's four fields: no iowait.
        let old = "cpu  100 0 50 850\nctxt 1\nbtime 2\nprocesses 3\n";
        assert_eq!(busy_and_total(&kernel_stats(old).total), (150, 1000));
        let status = Status::from_buf_read(STATUS.as_bytes()).unwrap();
        assert_eq!(rss_kib(&status), Some(20480));
        assert_eq!(cpu_percent((150, 1000), (250, 1200)), 50.0);
        assert_eq!(cpu_percent((1, 1), (1, 1)), 0.0);
    }

    #[test]
    fn a_test_load_file_holds_one_clamped_number() {
        assert_eq!(forced_cpu("90\n"), Some(90.0));
        assert_eq!(forced_cpu(" 12.5 "), Some(12.5));
        assert_eq!(forced_cpu("150"), Some(100.0));
        assert_eq!(forced_cpu("-3"), Some(0.0));
        assert_eq!(forced_cpu(""), None);
        assert_eq!(forced_cpu("NaN"), None);
        assert_eq!(forced_cpu("high"), None);
        assert_eq!(read_forced_cpu(None), None);
        assert_eq!(read_forced_cpu(Some(std::path::Path::new("/nonexistent/load"))), None);
    }

    #[test]
    fn reads_this_machine() {
        assert!(read_cpu().is_some());
        assert!(read_rss().unwrap() > 0);
    }
}
