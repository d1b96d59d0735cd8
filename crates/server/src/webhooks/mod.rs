//! OpenVidu webhooks: every event of the generation's bus that
//! `OPENVIDU_WEBHOOK_EVENTS` names, POSTed as JSON to `OPENVIDU_WEBHOOK_ENDPOINT`
//! (reference §6.1), optionally signed (`PLENUM_WEBHOOK_SIGNING`).
//!
//! Rules are pure: the bounded queue ([`queue`]), the retry schedule ([`retry`]),
//! the signature ([`signing`]) and the settings ([`settings`]). The I/O is in
//! [`delivery`] (one HTTP attempt) and [`dispatcher`] (the two tasks, with the
//! order, restart and call-path guarantees). [`Webhooks`] is what a generation of
//! services holds: it starts the tasks and reads the counters.

pub mod delivery;
pub mod dispatcher;
pub mod drop_log;
pub mod no_verify;
pub mod queue;
pub mod retry;
mod sender_thread;
pub mod settings;
pub mod signing;
pub mod stats;

use std::sync::Arc;

pub use retry::RetrySchedule;
pub use settings::{WebhookError, WebhookSettings};
pub use stats::{WebhookCounters, WebhookStats};

use crate::events::EventBus;

/// The running webhooks of one generation.
pub struct Webhooks {
    stats: Arc<WebhookStats>,
    sender: std::thread::JoinHandle<()>,
}

impl Webhooks {
    /// Subscribes to `bus` now (so no event published after this is missed) and starts delivering.
    pub fn start(settings: WebhookSettings, bus: &EventBus) -> Result<Self, WebhookError> {
        let client = delivery::client()?;
        tracing::info!(
            endpoint = %settings.endpoint,
            events = settings.events.len(),
            signed = settings.signing_secret.is_some(),
            queue_capacity = settings.queue_capacity,
            "sending webhooks"
        );
        let stats = Arc::new(WebhookStats::default());
        let sender = dispatcher::spawn(settings, client, bus, stats.clone(), RetrySchedule::default())
            .map_err(|e| WebhookError::Thread(e.to_string()))?;
        Ok(Self { stats, sender })
    }

    pub fn counters(&self) -> WebhookCounters {
        self.stats.counters()
    }

    /// Whether everything the closed bus held has been delivered or dropped.
    pub fn finished(&self) -> bool {
        self.sender.is_finished()
    }
}
