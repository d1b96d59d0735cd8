//! What the conference knows of recordings: whether a session is being
//! recorded (its `recording` flag in the Session JSON), which keeps an empty
//! session open until the recording stops.

use super::Conference;

impl Conference {
    pub fn is_recorded(&self, session: &str) -> bool {
        self.store.session(session).is_some_and(|s| s.recording)
    }

    /// Sets the session's `recording` flag; false when there is no such session.
    pub fn set_recording(&mut self, session: &str, recording: bool) -> bool {
        match self.store.session_mut(session) {
            Some(s) => {
                s.recording = recording;
                true
            }
            None => false,
        }
    }

    /// Whether the session has joined participants (hidden ones do not count).
    pub fn has_participants(&self, session: &str) -> bool {
        self.store.session(session).is_some_and(|s| s.connections.values().any(|c| c.is_active()))
    }

    /// Whether anyone publishes in the session.
    pub fn has_publishers(&self, session: &str) -> bool {
        self.store.session(session).is_some_and(|s| {
            s.connections.values().filter_map(|c| c.participant.as_ref()).any(|p| !p.publishers.is_empty())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::conference::test_support::*;
    use crate::events::EndReason;

    #[test]
    fn a_recorded_session_outlives_its_last_participant() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        assert!(world.conference.set_recording("room", true));
        let stream = world.published("room", &a, 10);
        assert!(!stream.is_empty());
        assert!(world.conference.has_publishers("room"));
        let outcome = world.conference.leave("room", &a, EndReason::Disconnect, 50);
        assert_eq!(event_names(&outcome), ["webrtcConnectionDestroyed", "participantLeft"]);
        assert!(world.conference.store().session("room").is_some());
        assert!(!world.conference.has_participants("room"));
        assert!(world.conference.store().idle_sessions(1_000_000, 0).is_empty(), "not idle while recorded");
        world.conference.set_recording("room", false);
        assert!(!world.conference.is_recorded("room"));
        assert!(!world.conference.set_recording("nope", true));
    }
}
