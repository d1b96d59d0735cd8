//! A media node that restarted while its link was down (it came back within the
//! reconnection timeout but without our Kurento session) has lost every media
//! object of its sessions. OpenVidu 2.32 (`KurentoSession.restartStatusInKurentoAfterReconnectionToNewKms`)
//! keeps the sessions and their participants, ends every stream with
//! `mediaServerReconnect` (each participant, the publisher too, gets
//! `participantUnpublished`; openvidu-browser shows `streamDestroyed` with that
//! reason) and starts a fresh pipeline, so publishers can publish again.

use super::Conference;
use super::outcome::{Effect, Outcome};
use crate::events::EndReason;

impl Conference {
    /// Ends every stream of `ids` with `mediaServerReconnect` and forgets their media, which
    /// the node no longer has; the sessions, participants and placements stay.
    pub fn media_server_reconnected(&mut self, ids: &[String], now: u64) -> Outcome {
        let mut outcome = Outcome::default();
        for id in ids {
            let Some(session) = self.store.session(id) else { continue };
            let publishers: Vec<String> = session
                .connections
                .values()
                .filter(|c| c.participant.as_ref().is_some_and(|p| !p.publishers.is_empty()))
                .map(|c| c.id.clone())
                .collect();
            for publisher in publishers {
                if let Ok(ended) = self.unpublish(id, &publisher, EndReason::MediaServerReconnect, true, now) {
                    outcome.append(ended);
                }
            }
            // Publishes being negotiated on the lost objects fail on their own.
            outcome.effect(Effect::ResetMedia { session: id.clone() });
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;

    #[test]
    fn every_stream_ends_with_media_server_reconnect_and_the_session_stays() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        let b = world.joined("room", "rb");
        let stream_a = world.published("room", &a, 10);
        let stream_b = world.published("room", &b, 11);
        world.subscribed("room", &b, &stream_a, 12);
        world.subscribed("room", &a, &stream_b, 13);
        let outcome = world.conference.media_server_reconnected(&["room".into(), "gone".into()], 50);
        assert_eq!(event_names(&outcome), ["webrtcConnectionDestroyed"; 4]);
        assert!(outcome.events.iter().all(|e| e.fields()["reason"] == "mediaServerReconnect"));
        let unpublished: Vec<_> = outcome.notices().filter(|n| n.method == "participantUnpublished").collect();
        assert_eq!(unpublished.len(), 2);
        assert!(unpublished.iter().all(|n| n.to == crate::conference::Recipients::All));
        assert!(unpublished.iter().all(|n| n.params["reason"] == "mediaServerReconnect"));
        assert_eq!(outcome.effects.last(), Some(&Effect::ResetMedia { session: "room".into() }));
        assert_eq!(outcome.effects.iter().filter(|e| matches!(e, Effect::ResetMedia { .. })).count(), 1);
        let session = world.conference.store().session("room").expect("the session stays");
        assert_eq!(session.connections.values().filter(|c| c.is_active()).count(), 2);
        assert!(
            session
                .connections
                .values()
                .filter_map(|c| c.participant.as_ref())
                .all(|p| p.publishers.is_empty() && p.subscribers.is_empty())
        );
    }
}
