//! The operating-system side of a local media node: is a pid still one of
//! ours, and asking it to stop. Pids come from launch records on disk and from
//! API paths, so they are validated before anything is sent: `kill(0)` and
//! `kill(-1)` would reach whole process groups.

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procfs::process::Process;

/// The process an environment id names, if it is a plain positive pid.
pub fn pid_of(environment_id: &str) -> Option<i32> {
    environment_id.parse::<i32>().ok().filter(|&pid| pid > 0)
}

/// Whether a process is alive and is a media node (not a recycled pid, not a zombie).
pub fn is_media_node(environment_id: &str) -> bool {
    let Some(pid) = pid_of(environment_id) else { return false };
    let Ok(cmdline) = Process::new(pid).and_then(|process| process.cmdline()) else { return false };
    cmdline.iter().any(|arg| arg.contains("plenum-media-node"))
}

/// Sends SIGTERM, which ends a media node at once (it has no handler for it).
pub fn request_stop(environment_id: &str) -> Result<(), String> {
    let pid = pid_of(environment_id).ok_or_else(|| format!("{environment_id:?} is not a process id"))?;
    kill(Pid::from_raw(pid), Signal::SIGTERM).map_err(|errno| format!("SIGTERM to {pid}: {errno}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_pids_are_signalled() {
        assert_eq!(pid_of("4242"), Some(4242));
        for bad in ["0", "-1", "", "media_1", "99999999999"] {
            assert_eq!(pid_of(bad), None, "{bad:?}");
            assert!(!is_media_node(bad));
            assert!(request_stop(bad).is_err());
        }
    }

    #[test]
    fn a_process_that_is_no_media_node_is_not_one() {
        // The test binary itself: alive, but not a media node.
        assert!(!is_media_node(&std::process::id().to_string()));
        assert!(!is_media_node(&i32::MAX.to_string()));
    }
}
