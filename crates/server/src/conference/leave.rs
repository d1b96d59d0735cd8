//! A participant leaves (`leaveRoom`, a closed socket, the ping watchdog) or is
//! evicted (a moderator, REST): the others are told, its media is released, and
//! the last one out closes the session (`lastParticipantLeft`), unless it is
//! being recorded: then it stays until the recording's automatic stop closes it
//! (`OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT`, as OpenVidu does).

use serde_json::json;

use super::outcome::{Effect, Outcome, Recipients};
use super::refusal::{Code, Refusal};
use super::{Conference, Subscriptions, participant_left, stream_end_events};
use crate::events::EndReason;
use crate::openvidu_enums::WireEnum;

impl Conference {
    /// The participant's socket no longer carries it; the others get `participantLeft`.
    pub fn leave(&mut self, session: &str, connection: &str, reason: EndReason, now: u64) -> Outcome {
        let mut outcome = Outcome::default();
        if !self.members(session).iter().any(|m| m == connection) {
            return outcome;
        }
        outcome.effect(Effect::Unbind { session: session.into(), connection: connection.into() });
        let Some((last, hidden)) = self.depart(session, connection, reason, now, &mut outcome) else { return outcome };
        if !hidden {
            let params = json!({"connectionId": connection, "reason": reason.as_str()});
            outcome.notify(session, Recipients::All, "participantLeft", params);
        }
        if last && !self.is_recorded(session) {
            outcome.append(self.close_session(session, EndReason::LastParticipantLeft, now).unwrap_or_default());
        }
        outcome
    }

    /// The participant gets `participantEvicted` and its socket closes; the others get
    /// `participantLeft` with the same reason (openvidu-browser acts on `participantEvicted`
    /// only for its own connection).
    pub fn evict(&mut self, session: &str, connection: &str, reason: EndReason, now: u64) -> Outcome {
        let mut outcome = Outcome::default();
        if !self.members(session).iter().any(|m| m == connection) {
            return outcome;
        }
        let params = json!({"connectionId": connection, "reason": reason.as_str()});
        outcome.notify(session, Recipients::Only(vec![connection.into()]), "participantEvicted", params.clone());
        outcome.effect(Effect::Disconnect { session: session.into(), connection: connection.into() });
        let Some((last, hidden)) = self.depart(session, connection, reason, now, &mut outcome) else { return outcome };
        if !hidden {
            outcome.notify(session, Recipients::All, "participantLeft", params);
        }
        if last && !self.is_recorded(session) {
            outcome.append(self.close_session(session, EndReason::LastParticipantLeft, now).unwrap_or_default());
        }
        outcome
    }

    /// `forceDisconnect` by a moderator.
    pub fn force_disconnect(&mut self, session: &str, by: &str, target: &str, now: u64) -> Result<Outcome, Refusal> {
        self.require_moderator(session, by)?;
        if !self.members(session).iter().any(|m| m == target) {
            return Err(Refusal::new(Code::UserNotFound, format!("Connection '{target}' not found")));
        }
        Ok(self.evict(session, target, EndReason::ForceDisconnectByUser, now))
    }

    /// Removes a member and its media; returns `(it was the last participant, it was hidden)`.
    fn depart(
        &mut self,
        session_id: &str,
        connection: &str,
        reason: EndReason,
        now: u64,
        outcome: &mut Outcome,
    ) -> Option<(bool, bool)> {
        self.publishing.remove(&(session_id.to_string(), connection.to_string()));
        let session = self.store.session(session_id)?;
        outcome.effect(Effect::ForgetMedia { session: session_id.into(), connection: connection.into() });
        if session.hidden.contains_key(connection) {
            self.store.session_mut(session_id)?.hidden.shift_remove(connection);
            return Some((false, true));
        }
        let leaving = session.connections.get(connection)?;
        for event in stream_end_events(session, connection, Subscriptions::OwnAndToMine, reason, now) {
            outcome.event(event);
        }
        outcome.event(participant_left(session, leaving, reason, now));
        let streams: Vec<String> =
            leaving.participant.iter().flat_map(|p| &p.publishers).map(|p| p.stream_id.clone()).collect();
        let last = self.store.leave(session_id, connection).ok()?;
        // Subscriptions to its streams went with its media.
        if let Some(session) = self.store.session_mut(session_id) {
            for other in session.connections.values_mut().filter_map(|c| c.participant.as_mut()) {
                other.subscribers.retain(|s| !streams.contains(&s.stream_id));
            }
        }
        Some((last, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;

    #[test]
    fn the_others_are_told_and_the_last_one_out_closes_the_session() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        let b = world.joined("room", "rb");
        let outcome = world.conference.leave("room", &a, EndReason::Disconnect, 50);
        assert_eq!(outcome.effects[0], Effect::Unbind { session: "room".into(), connection: a.clone() });
        assert!(outcome.effects.contains(&Effect::ForgetMedia { session: "room".into(), connection: a.clone() }));
        let left = outcome.notices().next().unwrap();
        assert_eq!((left.method, left.params["reason"].as_str()), ("participantLeft", Some("disconnect")));
        assert_eq!(event_names(&outcome), ["participantLeft"]);
        assert_eq!(outcome.events[0].fields()["reason"], "disconnect");

        let outcome = world.conference.leave("room", &b, EndReason::NetworkDisconnect, 60);
        assert_eq!(event_names(&outcome), ["participantLeft", "sessionDestroyed"]);
        assert_eq!(outcome.events[1].fields()["reason"], "lastParticipantLeft");
        assert!(outcome.effects.contains(&Effect::CloseMedia { session: "room".into() }));
        assert!(world.conference.store().session("room").is_none());
    }

    #[test]
    fn leaving_twice_or_from_nowhere_changes_nothing() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        world.joined("room", "rb");
        assert!(!world.conference.leave("room", &a, EndReason::Disconnect, 5).effects.is_empty());
        assert_eq!(world.conference.leave("room", &a, EndReason::Disconnect, 6), Outcome::default());
        assert_eq!(world.conference.leave("nope", &a, EndReason::Disconnect, 6), Outcome::default());
    }

    #[test]
    fn an_evicted_participant_is_told_first_then_disconnected() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        let b = world.joined("room", "rb");
        let outcome = world.conference.evict("room", &b, EndReason::ForceDisconnectByServer, 9);
        assert_eq!(
            outcome.effects[0],
            Effect::Notify(crate::conference::Notice {
                session: "room".into(),
                to: Recipients::Only(vec![b.clone()]),
                method: "participantEvicted",
                params: json!({"connectionId": b, "reason": "forceDisconnectByServer"}),
            })
        );
        assert_eq!(outcome.effects[1], Effect::Disconnect { session: "room".into(), connection: b.clone() });
        assert_eq!(names(&outcome), ["participantEvicted", "participantLeft"]);
        assert_eq!(world.conference.members("room"), [a]);
    }

    #[test]
    fn only_moderators_force_disconnects_and_only_of_members() {
        let mut world = World::new();
        let moderator = world.joined_as("room", "rm", "MODERATOR");
        let publisher = world.joined("room", "rp");
        let refusal = world.conference.force_disconnect("room", &publisher, &moderator, 1).unwrap_err();
        assert_eq!(refusal.code, Code::UserUnauthorized);
        let refusal = world.conference.force_disconnect("room", &moderator, "con_Nobody", 1).unwrap_err();
        assert_eq!(refusal.code, Code::UserNotFound);
        let outcome = world.conference.force_disconnect("room", &moderator, &publisher, 2).unwrap();
        assert_eq!(outcome.notices().next().unwrap().params["reason"], "forceDisconnectByUser");
    }

    #[test]
    fn a_leaving_publisher_ends_its_stream_and_the_subscriptions_to_it() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        let b = world.joined("room", "rb");
        let stream = world.published("room", &a, 20);
        world.subscribed("room", &b, &stream, 21);
        let outcome = world.conference.leave("room", &a, EndReason::Disconnect, 30);
        let destroyed: Vec<_> =
            outcome.events.iter().map(|e| e.fields()).filter(|f| f.contains_key("streamId")).collect();
        assert_eq!(destroyed.len(), 2, "the publisher's and the subscriber's");
        assert_eq!(destroyed[0]["connection"], "INBOUND");
        assert_eq!(destroyed[0]["connectionId"], b.as_str());
        assert_eq!(destroyed[1]["connection"], "OUTBOUND");
        let subscriber = world.conference.store().connection("room", &b).unwrap();
        assert!(subscriber.participant.as_ref().unwrap().subscribers.is_empty(), "the subscription went too");
    }

    #[test]
    fn a_hidden_participant_leaves_without_telling_anyone() {
        let mut world = World::new();
        world.joined("room", "ra");
        let hidden = world.hidden("room", "rh");
        let outcome = world.conference.leave("room", &hidden, EndReason::Disconnect, 5);
        assert_eq!(names(&outcome), Vec::<&str>::new());
        assert!(outcome.events.is_empty());
        assert!(!world.conference.members("room").contains(&hidden));
    }
}
