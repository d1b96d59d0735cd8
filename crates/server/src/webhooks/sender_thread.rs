//! The webhook sender's own thread, at the lowest CPU priority (`SCHED_IDLE`).
//!
//! Delivering an event costs about as much CPU as the REST request that caused
//! it (an HTTP request, and a JSON body). On a saturated master that work would
//! be taken from the call path; on a thread the kernel only runs when nothing
//! else wants the CPU, it never is. Under sustained overload the queue fills
//! and drops its oldest events, counted and logged, which is the documented
//! trade: the call is never slowed for its webhook.

use std::future::Future;
use std::thread::JoinHandle;

/// Runs `sender` to completion on a new idle-priority thread with its own runtime.
pub fn spawn(sender: impl Future<Output = ()> + Send + 'static) -> std::io::Result<JoinHandle<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("plenum-webhooks".into()).spawn(move || {
        lower_priority();
        runtime.block_on(sender);
    })
}

/// `SCHED_IDLE` for the calling thread; a failure is logged, and the thread runs at normal priority.
fn lower_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler reads `param` only during the call; pid 0 is the calling thread on Linux.
    let result = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if result != 0 {
        let error = std::io::Error::last_os_error();
        tracing::warn!(%error, "cannot lower the webhook sender's priority; it runs at normal priority");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sender_runs_to_completion_at_idle_priority() {
        let (tell, told) = std::sync::mpsc::channel();
        let thread = super::spawn(async move {
            // SAFETY: sched_getscheduler has no pointer arguments.
            let policy = unsafe { libc::sched_getscheduler(0) };
            tokio::task::yield_now().await;
            tell.send(policy).unwrap();
        })
        .unwrap();
        thread.join().unwrap();
        assert_eq!(told.recv().unwrap(), libc::SCHED_IDLE);
    }
}
