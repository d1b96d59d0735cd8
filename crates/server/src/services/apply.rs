//! Runs an [`Outcome`] of the conference core: notifications through the hub,
//! media work on the session's node, cluster releases, and events onto the bus.
//! Called with the conference lock held; nothing here awaits (node calls are
//! spawned), so the lock stays short.

use super::AppState;
use crate::conference::{Conference, Effect, Notice, Outcome, Recipients};

impl AppState {
    /// `conference` is the conference the outcome came from, still locked: the
    /// recording service reads who publishes what from it.
    pub(super) fn apply(&self, outcome: Outcome, conference: &Conference) {
        self.recordings_before_effects(&outcome, conference);
        for effect in outcome.effects {
            self.apply_effect(effect);
        }
        self.recordings_after_events(&outcome.events, conference);
        for event in outcome.events {
            // Names and ids at info; the whole record only at debug (building it costs more
            // than some requests, bench/rest.sh).
            let (session_id, connection_id) = (event.event.session_id(), event.event.connection_id());
            tracing::info!(session_id, connection_id, subject = %event.event.subject(), "{}", event.event.name());
            tracing::debug!(event = %event.cdr_line(), "event");
            self.events().publish(event);
        }
    }

    fn apply_effect(&self, effect: Effect) {
        let hub = self.hub();
        match effect {
            Effect::Bind { rpc, session, connection } => hub.bind(&rpc, &session, &connection),
            Effect::Notify(Notice { session, to, method, params }) => match to {
                Recipients::All => hub.notify(&session, None, method, &params),
                Recipients::AllBut(except) => hub.notify_except(&session, &except, method, &params),
                Recipients::Only(targets) => hub.notify(&session, Some(&targets), method, &params),
            },
            Effect::Unbind { session, connection } => {
                hub.unbind(&session, &connection);
            }
            Effect::Disconnect { session, connection } => {
                hub.close(&session, &connection);
                hub.unbind(&session, &connection);
            }
            Effect::ForgetMedia { session, connection } => self.media().forget(&session, &connection),
            Effect::UnpublishMedia { session, connection } => {
                self.media().unpublish(&session, &connection);
            }
            Effect::UnsubscribeMedia { session, subscriber, publisher } => {
                self.media().unsubscribe(&session, &subscriber, &publisher);
            }
            Effect::CloseMedia { session } => {
                // The node learns that the session is gone only after its pipeline is released:
                // a drain it completes may close the connection to the node. A recording of the
                // session finishes its files first.
                let release = self.close_media_after_recording(&session);
                let cluster = self.cluster().clone();
                tokio::spawn(async move {
                    if let Some(release) = release {
                        let _ = release.await;
                    }
                    cluster.session_closed(&session);
                });
            }
            Effect::ResetMedia { session } => self.media().reset(&session),
        }
    }
}
