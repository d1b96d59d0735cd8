//! The webhook tasks of one generation: the intake drains the generation's bus
//! subscription into the endpoint's [`BoundedQueue`], the sender delivers the
//! queue one event at a time.
//!
//! # Order
//!
//! One sender per endpoint sends strictly in queue order and retries an event
//! before the next is sent, so the receiver gets every session's events (and
//! every node's) in the order they were decided. The price is that a slow
//! receiver slows every session's delivery; the queue absorbs that up to its
//! capacity and then drops the oldest events, which is the specified behaviour.
//!
//! # Never on the call path
//!
//! The conference publishes onto the bus, which never blocks; the intake is the
//! only reader of that subscription and only takes the queue's lock for a push.
//! Whatever the receiver does (refuses, hangs, is absent), only the sender waits.
//!
//! # Restart
//!
//! Each generation has its own tasks, built from its own configuration. When a
//! generation retires its bus closes: the intake queues what the bus still held
//! and ends, and the sender delivers everything queued (retries included) and
//! then ends. So a restart loses no accepted event, and the old endpoint gets
//! the old generation's last events (its sessions' `openviduServerStopped` ends)
//! while the new generation's tasks already send to the new endpoint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use std::thread::JoinHandle;

use tokio::sync::Notify;

use super::delivery::{self, Attempt};
use super::drop_log::{DropLine, DropLog};
use super::queue::{BoundedQueue, Queued};
use super::retry::{Next, RetrySchedule};
use super::sender_thread;
use super::settings::WebhookSettings;
use super::stats::WebhookStats;
use crate::clock::now_ms;
use crate::events::Subscription;

/// What the intake and the sender share.
struct Shared {
    queue: Mutex<BoundedQueue>,
    /// Rung by the intake after each push and once at the end.
    wake: Notify,
    /// Set once the subscription ended: the sender ends when the queue is empty.
    closed: AtomicBool,
    stats: Arc<WebhookStats>,
}

impl Shared {
    fn queue(&self) -> MutexGuard<'_, BoundedQueue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Starts the intake on `runtime` (it only filters and queues) and the sender on its own
/// idle-priority thread ([`sender_thread`]); the returned handle is the sender's, done
/// once all is delivered.
pub fn spawn(
    settings: WebhookSettings,
    client: reqwest::Client,
    subscription: Subscription,
    stats: Arc<WebhookStats>,
    schedule: RetrySchedule,
    runtime: &tokio::runtime::Handle,
) -> std::io::Result<JoinHandle<()>> {
    let settings = Arc::new(settings);
    let shared = Arc::new(Shared {
        queue: Mutex::new(BoundedQueue::new(settings.queue_capacity)),
        wake: Notify::new(),
        closed: AtomicBool::new(false),
        stats,
    });
    let sender = sender_thread::spawn(send_all(settings.clone(), client, shared.clone(), schedule))?;
    runtime.spawn(intake(subscription, settings, shared));
    Ok(sender)
}

/// Queues every wanted event of the subscription until the bus closes.
async fn intake(mut subscription: Subscription, settings: Arc<WebhookSettings>, shared: Arc<Shared>) {
    let mut drops = DropLog::default();
    while let Some(record) = subscription.recv().await {
        if !settings.wants(record.event.name()) {
            continue;
        }
        let now = now_ms();
        let dropped = shared.queue().push(record, now);
        shared.stats.queued();
        match dropped {
            Some(Queued { record, queued_at }) => {
                shared.stats.dropped();
                if let DropLine::Detailed { unlogged_before } = drops.dropped(now) {
                    tracing::warn!(
                        event = record.event.name(),
                        subject = %record.event.subject(),
                        queued_ms_ago = now.saturating_sub(queued_at),
                        capacity = settings.queue_capacity,
                        dropped_since_last_line = unlogged_before,
                        "webhook queue full: dropped the oldest event"
                    );
                }
            }
            None => log_unlogged(&mut drops),
        }
        shared.wake.notify_one();
    }
    log_unlogged(&mut drops);
    shared.closed.store(true, Ordering::SeqCst);
    shared.wake.notify_one();
}

fn log_unlogged(drops: &mut DropLog) {
    if let Some(count) = drops.settled() {
        tracing::warn!(count, "webhook queue full: dropped more of the oldest events (see the dropped counter)");
    }
}

/// Delivers the queue in order until the intake has ended and the queue is empty.
async fn send_all(
    settings: Arc<WebhookSettings>,
    client: reqwest::Client,
    shared: Arc<Shared>,
    schedule: RetrySchedule,
) {
    loop {
        // Read `closed` before popping: an empty queue after the intake ended stays empty.
        let closed = shared.closed.load(Ordering::SeqCst);
        let next = shared.queue().pop();
        match next {
            Some(queued) => deliver(&settings, &client, &shared.stats, &schedule, queued).await,
            None if closed => break,
            None => shared.wake.notified().await,
        }
    }
    tracing::debug!(endpoint = %settings.endpoint, "webhook sender finished");
}

/// Tries one event until it is delivered or the schedule gives up.
async fn deliver(
    settings: &WebhookSettings,
    client: &reqwest::Client,
    stats: &WebhookStats,
    schedule: &RetrySchedule,
    queued: Queued,
) {
    let record = &queued.record;
    let body = Bytes::from(serde_json::Value::Object(record.webhook_body()).to_string());
    let mut failed = 0;
    loop {
        let (status, error) = match delivery::attempt(client, settings, &body, now_ms()).await {
            Attempt::Delivered { status } => {
                if status != 200 {
                    tracing::info!(event = record.event.name(), status, "webhook answered 2xx but not 200; delivered");
                }
                stats.sent();
                return;
            }
            Attempt::Refused { status } => (Some(status), None),
            Attempt::Failed { error } => (None, Some(error)),
        };
        failed += 1;
        stats.failed_attempt();
        tracing::warn!(
            event = record.event.name(),
            subject = %record.event.subject(),
            attempt = failed,
            status,
            error,
            endpoint = %settings.endpoint,
            "webhook attempt failed"
        );
        match schedule.after_failure(failed) {
            Next::RetryIn(wait) => tokio::time::sleep(wait).await,
            Next::GiveUp => {
                stats.dropped();
                tracing::error!(
                    event = record.event.name(),
                    subject = %record.event.subject(),
                    attempts = failed,
                    endpoint = %settings.endpoint,
                    "webhook event dropped: every attempt failed"
                );
                return;
            }
        }
    }
}
