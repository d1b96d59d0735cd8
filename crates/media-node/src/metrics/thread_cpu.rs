//! CPU time of one thread of this process, from `/proc/self/task/<tid>/stat`
//! (through `procfs`, the workspace's one /proc reader). Read at scrape time,
//! never by the workers themselves.

use procfs::process::Process;

/// The calling thread's id, from the `/proc/thread-self` link (`<pid>/task/<tid>`).
pub fn current_thread_id() -> Option<i32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Seconds of user + system time of each thread (`None` for a thread that cannot be read).
pub fn cpu_seconds(threads: &[Option<i32>]) -> Vec<Option<f64>> {
    let process = Process::myself().ok();
    let ticks = procfs::ticks_per_second() as f64;
    threads
        .iter()
        .map(|tid| {
            let stat = process.as_ref()?.task_from_tid((*tid)?).ok()?.stat().ok()?;
            Some(stat.utime.saturating_add(stat.stime) as f64 / ticks)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_thread_has_cpu_time() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let busy = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut x = 0u64;
            // Spin long enough for the kernel to charge a few ticks (one tick is 10 ms at 100 Hz).
            while started.elapsed() < std::time::Duration::from_millis(100) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            sender.send((current_thread_id(), x)).unwrap();
            // Stay alive until read: an ended thread's task entry is gone.
            let _ = finished.recv();
        });
        let (tid, _) = receiver.recv().unwrap();
        let seconds = cpu_seconds(&[tid, None, Some(i32::MAX)]);
        drop(done);
        busy.join().unwrap();
        assert!(tid.is_some());
        assert!(seconds[0].is_some_and(|s| s > 0.0), "{seconds:?}");
        assert_eq!(&seconds[1..], &[None, None]);
    }
}
