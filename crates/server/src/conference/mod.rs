//! The conference core: every change to a session goes through here.
//!
//! A command (join, leave, evict, publish, subscribe, signal, close, ...) and
//! the current time go in; what must happen comes out as an [`Outcome`]: the
//! notifications for participants, the media work for the session's node,
//! what the cluster must release, and the lifecycle events (with OpenVidu's
//! reasons) for the [event bus](crate::events). The core does no I/O and
//! reads no clock, so every rule is unit-tested without sockets. The services
//! ([`crate::services`]) run each command under one lock and apply its
//! outcome before the lock is released, so what participants see, what the
//! node does and what the bus records follow the order of the decisions.
//!
//! Commands that need the media node in the middle (publish, subscribe) are
//! split in two: `begin_*` checks and reserves, the adapter negotiates with
//! the node, then `finish_*` records the result (or `abort_*` forgets it).

mod close;
mod join;
mod leave;
mod media_reset;
mod outcome;
mod recording;
mod refusal;
mod rest;
mod signals;
mod streams;
mod views;

#[cfg(test)]
mod reasons_tests;
#[cfg(test)]
mod test_support;

use std::collections::HashSet;

pub use join::{HiddenJoin, JoinRequest, Placement, token_id};
pub use outcome::{Effect, Notice, Outcome, Recipients};
pub use refusal::{Code, Refusal};
pub use signals::SignalMessage;
pub use streams::{PropertyChange, PublishRequest, PublishTicket, SubscribeTicket};
pub use views::{metadata, owner_of_stream, stream_json};

use crate::events::{EndReason, Ended, Event, EventRecord};
use crate::openvidu_enums::Role;
use crate::session::{Session, SessionStore};

pub struct Conference {
    store: SessionStore,
    /// `(session, connection)` whose publish is being negotiated with the node.
    publishing: HashSet<(String, String)>,
}

impl Conference {
    pub fn new(store: SessionStore) -> Self {
        Self { store, publishing: HashSet::new() }
    }

    /// What is there now, for the REST views.
    pub fn store(&self) -> &SessionStore {
        &self.store
    }

    /// Who receives the session's notifications: joined participants and hidden ones.
    pub fn members(&self, session: &str) -> Vec<String> {
        let Some(session) = self.store.session(session) else { return Vec::new() };
        let joined = session.connections.values().filter(|c| c.is_active()).map(|c| c.id.clone());
        joined.chain(session.hidden.keys().cloned()).collect()
    }

    /// A participant's role; hidden participants are subscribers.
    fn role(&self, session: &str, connection: &str) -> Option<Role> {
        match self.store.connection(session, connection) {
            Ok(c) => c.props.role,
            Err(_) => {
                self.store.session(session).filter(|s| s.hidden.contains_key(connection)).map(|_| Role::Subscriber)
            }
        }
    }

    fn require_moderator(&self, session: &str, connection: &str) -> Result<(), Refusal> {
        match self.role(session, connection) {
            Some(Role::Moderator) => Ok(()),
            _ => Err(Refusal::new(Code::UserUnauthorized, "Only a MODERATOR can do this")),
        }
    }
}

/// Which subscriptions [`stream_end_events`] ends besides the connection's own streams.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Subscriptions {
    /// Its own and the others' subscriptions to its streams (it leaves alone).
    OwnAndToMine,
    /// Its own only (every participant goes: each subscription is ended once).
    OwnOnly,
}

/// The end events of the WebRTC connections `connection` takes part in: its own
/// streams, its subscriptions, and (`OwnAndToMine`) the subscriptions to its streams.
fn stream_end_events(
    session: &Session,
    connection: &str,
    scope: Subscriptions,
    reason: EndReason,
    now: u64,
) -> Vec<EventRecord> {
    let mut events = Vec::new();
    let reference = views::session_ref(session);
    let ended = |start_time| Ended { start_time, reason };
    let Some(me) = session.connections.get(connection).and_then(|c| c.participant.as_ref()) else { return events };
    for publisher in &me.publishers {
        let others = subscriptions_to(session, &publisher.stream_id).filter(|_| scope == Subscriptions::OwnAndToMine);
        events.extend(others.map(|(subscriber, created_at)| {
            let stream = views::stream_info(subscriber, publisher, Some(connection));
            Event::WebrtcConnectionDestroyed { session: reference.clone(), stream, ended: ended(created_at) }.at(now)
        }));
        let stream = views::stream_info(connection, publisher, None);
        events.push(
            Event::WebrtcConnectionDestroyed { session: reference.clone(), stream, ended: ended(publisher.created_at) }
                .at(now),
        );
    }
    for subscription in &me.subscribers {
        if let Some((owner, publisher)) = published(session, &subscription.stream_id) {
            let stream = views::stream_info(connection, publisher, Some(owner));
            let ended = ended(subscription.created_at);
            events.push(Event::WebrtcConnectionDestroyed { session: reference.clone(), stream, ended }.at(now));
        }
    }
    events
}

/// The `participantLeft` event of `connection`: it took part from its join until `now`.
fn participant_left(
    session: &Session,
    connection: &crate::session::Connection,
    reason: EndReason,
    now: u64,
) -> EventRecord {
    let started = connection.participant.as_ref().map_or(connection.created_at, |p| p.active_at);
    let ended = Ended { start_time: started, reason };
    let participant = views::participant_info(connection);
    Event::ParticipantLeft { session: views::session_ref(session), participant, ended }.at(now)
}

/// `(subscriber, subscribed at)` of every subscription to `stream_id`.
fn subscriptions_to<'a>(session: &'a Session, stream_id: &'a str) -> impl Iterator<Item = (&'a str, u64)> + 'a {
    session.connections.values().filter_map(move |c| {
        let participant = c.participant.as_ref()?;
        let subscription = participant.subscribers.iter().find(|s| s.stream_id == stream_id)?;
        Some((c.id.as_str(), subscription.created_at))
    })
}

/// The publisher of `stream_id`: its connection id and stream.
fn published<'a>(
    session: &'a Session,
    stream_id: &str,
) -> Option<(&'a str, &'a crate::session::connection::Publisher)> {
    session.connections.values().find_map(|c| {
        let publisher = c.participant.as_ref()?.publishers.iter().find(|p| p.stream_id == stream_id)?;
        Some((c.id.as_str(), publisher))
    })
}
