//! What a decision of the conference core asks the adapters to do, in order.

use serde_json::Value;

use crate::events::EventRecord;

/// Who in a session receives a notification (among those whose socket is bound).
#[derive(Debug, Clone, PartialEq)]
pub enum Recipients {
    All,
    AllBut(String),
    Only(Vec<String>),
}

/// One signaling notification (reference §3.5).
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub session: String,
    pub to: Recipients,
    pub method: &'static str,
    pub params: Value,
}

/// One step for the adapters, applied in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// The websocket of rpc session `rpc` now carries this participant.
    Bind {
        rpc: String,
        session: String,
        connection: String,
    },
    Notify(Notice),
    /// The participant no longer receives the session's notifications (its socket stays open).
    Unbind {
        session: String,
        connection: String,
    },
    /// Its websocket closes after what is queued, and it no longer receives notifications.
    Disconnect {
        session: String,
        connection: String,
    },
    /// Release the participant's media: its publisher endpoint and every subscription from or to it.
    ForgetMedia {
        session: String,
        connection: String,
    },
    /// Release a publisher's endpoint, PassThrough and the subscriptions to it.
    UnpublishMedia {
        session: String,
        connection: String,
    },
    /// Release one subscription.
    UnsubscribeMedia {
        session: String,
        subscriber: String,
        publisher: String,
    },
    /// Release the session's pipeline; once the node answered, the cluster forgets the session
    /// (which may complete a `when-no-sessions` drain).
    CloseMedia {
        session: String,
    },
    /// The node lost the session's objects (it restarted): forget them without releasing,
    /// so the next publish builds a new pipeline there. The placement stays.
    ResetMedia {
        session: String,
    },
}

/// Effects and the lifecycle events that occurred, both in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    pub events: Vec<EventRecord>,
}

impl Outcome {
    pub fn effect(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    pub fn notify(&mut self, session: &str, to: Recipients, method: &'static str, params: Value) {
        self.effects.push(Effect::Notify(Notice { session: session.to_string(), to, method, params }));
    }

    pub fn event(&mut self, event: EventRecord) {
        self.events.push(event);
    }

    pub fn append(&mut self, other: Outcome) {
        self.effects.extend(other.effects);
        self.events.extend(other.events);
    }

    /// The notifications, for tests and logs.
    pub fn notices(&self) -> impl Iterator<Item = &Notice> {
        self.effects.iter().filter_map(|effect| match effect {
            Effect::Notify(notice) => Some(notice),
            _ => None,
        })
    }
}
