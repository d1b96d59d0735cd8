//! Closing sessions: by REST, because the last participant left, because its
//! media node went away, because it sat unused (the garbage collector), or
//! because the master stops or restarts.

use serde_json::json;

use super::outcome::{Effect, Outcome, Recipients};
use super::views::session_ref;
use super::{Conference, Subscriptions, participant_left, stream_end_events};
use crate::events::{EndReason, Ended, Event};
use crate::openvidu_enums::WireEnum;

impl Conference {
    /// Every member gets `participantEvicted` with `reason` and is disconnected; the
    /// session's media is released. `None` when there is no such session.
    pub fn close_session(&mut self, session_id: &str, reason: EndReason, now: u64) -> Option<Outcome> {
        self.store.session(session_id)?;
        let outcome = self.closing(session_id, reason, now);
        self.publishing.retain(|(session, _)| session != session_id);
        let _ = self.store.remove_session(session_id);
        Some(outcome)
    }

    /// Closes many sessions at once (a node removed, a stop, a sweep), removing them in one
    /// pass over the store: one removal each would be quadratic with thousands.
    pub fn close_sessions(&mut self, ids: &[String], reason: EndReason, now: u64) -> Outcome {
        let closed: Vec<String> = ids.iter().filter(|id| self.store.session(id).is_some()).cloned().collect();
        let mut outcome = Outcome::default();
        for id in &closed {
            outcome.append(self.closing(id, reason, now));
        }
        self.publishing.retain(|(session, _)| !closed.contains(session));
        self.store.remove_sessions(&closed);
        outcome
    }

    /// Sessions without participants for longer than `threshold_ms` (the garbage collector).
    pub fn close_idle(&mut self, now: u64, threshold_ms: u64) -> (Vec<String>, Outcome) {
        let idle = self.store.idle_sessions(now, threshold_ms);
        let outcome = self.close_sessions(&idle, EndReason::AutomaticStop, now);
        (idle, outcome)
    }

    /// What closing a session means, before it is removed from the store.
    fn closing(&self, session_id: &str, reason: EndReason, now: u64) -> Outcome {
        let mut outcome = Outcome::default();
        let Some(session) = self.store.session(session_id) else { return outcome };
        for member in self.members(session_id) {
            let params = json!({"connectionId": member, "reason": reason.as_str()});
            outcome.notify(session_id, Recipients::Only(vec![member.clone()]), "participantEvicted", params);
            outcome.effect(Effect::Disconnect { session: session_id.into(), connection: member });
        }
        let reference = session_ref(session);
        for connection in session.connections.values().filter(|c| c.is_active()) {
            // Each subscription is ended once, as its subscriber's.
            for event in stream_end_events(session, &connection.id, Subscriptions::OwnOnly, reason, now) {
                outcome.event(event);
            }
            outcome.event(participant_left(session, connection, reason, now));
        }
        let ended = Ended { start_time: session.created_at, reason };
        outcome.event(Event::SessionDestroyed { session: reference, ended }.at(now));
        outcome.effect(Effect::CloseMedia { session: session_id.into() });
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;

    #[test]
    fn closing_evicts_every_member_and_ends_everything_once() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        let b = world.joined("room", "rb");
        let hidden = world.hidden("room", "rh");
        let stream = world.published("room", &a, 10);
        world.subscribed("room", &b, &stream, 11);
        let outcome = world.conference.close_session("room", EndReason::SessionClosedByServer, 70).unwrap();
        let evicted: Vec<_> =
            outcome.notices().map(|n| n.params["connectionId"].as_str().unwrap().to_string()).collect();
        assert_eq!(evicted, [a.clone(), b.clone(), hidden]);
        assert!(
            outcome
                .notices()
                .all(|n| n.method == "participantEvicted" && n.params["reason"] == "sessionClosedByServer")
        );
        assert_eq!(
            event_names(&outcome),
            [
                "webrtcConnectionDestroyed",
                "participantLeft",
                "webrtcConnectionDestroyed",
                "participantLeft",
                "sessionDestroyed"
            ]
        );
        assert!(outcome.events.iter().all(|e| e.fields()["reason"] == "sessionClosedByServer"));
        assert_eq!(outcome.effects.last(), Some(&Effect::CloseMedia { session: "room".into() }));
        assert!(world.conference.close_session("room", EndReason::SessionClosedByServer, 71).is_none());
    }

    #[test]
    fn many_sessions_close_in_one_pass_with_the_reason_given() {
        let mut world = World::new();
        for id in ["a", "b", "c"] {
            world.joined(id, &format!("r{id}"));
        }
        let outcome = world.conference.close_sessions(
            &["c".into(), "a".into(), "zz".into()],
            EndReason::OpenviduServerStopped,
            9,
        );
        assert_eq!(outcome.notices().count(), 2);
        let destroyed: Vec<_> = outcome
            .events
            .iter()
            .filter(|e| e.event.name() == "sessionDestroyed")
            .map(|e| (e.fields()["sessionId"].clone(), e.fields()["reason"].clone()))
            .collect();
        assert_eq!(
            destroyed,
            [(json!("c"), json!("openviduServerStopped")), (json!("a"), json!("openviduServerStopped"))]
        );
        let left: Vec<&str> = world.conference.store().sessions().map(|s| s.id.as_str()).collect();
        assert_eq!(left, ["b"]);
    }

    #[test]
    fn unused_sessions_close_as_an_automatic_stop() {
        let mut world = World::new();
        world.session("old", 1_000);
        world.session("new", 5_000);
        let (closed, outcome) = world.conference.close_idle(6_000, 3_000);
        assert_eq!(closed, ["old"]);
        assert_eq!(outcome.events[0].fields()["reason"], "automaticStop");
        assert_eq!(outcome.events[0].fields()["duration"], 5);
    }
}
