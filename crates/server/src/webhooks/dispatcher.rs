//! The webhooks of one generation: the intake, a [`BusSink`], puts each wanted
//! event into the endpoint's [`BoundedQueue`] as it is published; the sender
//! delivers the queue one event at a time on a thread of its own.
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
//! The conference publishes onto the bus, which never blocks; the intake only
//! takes the queue's lock for a push (no channel, no task wake-up per event).
//! Whatever the receiver does (refuses, hangs, is absent), only the sender waits,
//! and it runs at idle CPU priority.
//!
//! # Restart
//!
//! Each generation has its own tasks, built from its own configuration. When a
//! generation retires its bus closes: the intake is told, and the sender
//! delivers everything queued (retries included) and then ends. So a restart loses no accepted event, and the old endpoint gets
//! the old generation's last events (its sessions' `openviduServerStopped` ends)
//! while the new generation's tasks already send to the new endpoint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use bytes::Bytes;
use tokio::sync::Notify;

use super::delivery::{self, Attempt};
use super::drop_log::{DropLine, DropLog};
use super::queue::{BoundedQueue, Queued};
use super::retry::{Next, RetrySchedule};
use super::sender_thread;
use super::settings::WebhookSettings;
use super::stats::WebhookStats;
use crate::clock::now_ms;
use crate::events::{BusSink, EventBus, EventRecord};

/// The queue and how its drops are being logged, under one lock.
struct Inbox {
    queue: BoundedQueue,
    drops: DropLog,
}

/// What the intake and the sender share.
struct Shared {
    inbox: Mutex<Inbox>,
    /// Rung by the intake after each push and once at the end.
    wake: Notify,
    /// Set once the bus closed: the sender ends when the queue is empty.
    closed: AtomicBool,
    stats: Arc<WebhookStats>,
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Attaches the intake to `bus` (it filters and queues inside `publish`, no task of
/// its own) and starts the sender on its own idle-priority thread ([`sender_thread`]);
/// the returned handle is the sender's, done once all is delivered.
pub fn spawn(
    settings: WebhookSettings,
    client: reqwest::Client,
    bus: &EventBus,
    stats: Arc<WebhookStats>,
    schedule: RetrySchedule,
) -> std::io::Result<JoinHandle<()>> {
    let settings = Arc::new(settings);
    let inbox = Inbox { queue: BoundedQueue::new(settings.queue_capacity), drops: DropLog::default() };
    let shared =
        Arc::new(Shared { inbox: Mutex::new(inbox), wake: Notify::new(), closed: AtomicBool::new(false), stats });
    let sender = sender_thread::spawn(send_all(settings.clone(), client, shared.clone(), schedule))?;
    bus.attach(Arc::new(Intake { settings, shared }));
    Ok(sender)
}

/// Queues every wanted event of the bus until it closes.
struct Intake {
    settings: Arc<WebhookSettings>,
    shared: Arc<Shared>,
}

/// What one push did, to log once the inbox lock is released.
enum Pushed {
    Kept { unlogged: Option<u64> },
    Dropped { queued: Queued, line: DropLine },
}

impl BusSink for Intake {
    fn accept(&self, record: &Arc<EventRecord>) {
        if !self.settings.wants(record.event.name()) {
            return;
        }
        let now = now_ms();
        let pushed = {
            let mut inbox = self.shared.inbox();
            match inbox.queue.push(record.clone(), now) {
                Some(queued) => Pushed::Dropped { queued, line: inbox.drops.dropped(now) },
                None => Pushed::Kept { unlogged: inbox.drops.settled() },
            }
        };
        self.shared.stats.queued();
        match pushed {
            Pushed::Dropped { queued: Queued { record, queued_at }, line } => {
                self.shared.stats.dropped();
                if let DropLine::Detailed { unlogged_before } = line {
                    tracing::warn!(
                        event = record.event.name(),
                        subject = %record.event.subject(),
                        queued_ms_ago = now.saturating_sub(queued_at),
                        capacity = self.settings.queue_capacity,
                        dropped_since_last_line = unlogged_before,
                        "webhook queue full: dropped the oldest event"
                    );
                }
            }
            Pushed::Kept { unlogged } => log_unlogged(unlogged),
        }
        self.shared.wake.notify_one();
    }

    fn closed(&self) {
        log_unlogged(self.shared.inbox().drops.settled());
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}

fn log_unlogged(count: Option<u64>) {
    if let Some(count) = count {
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
        let next = shared.inbox().queue.pop();
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
