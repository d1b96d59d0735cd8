//! Every end reason the conference core decides, each from the command that causes it,
//! checked where participants see it (the notification) and where the bus records it.

use super::test_support::*;
use crate::events::EndReason;
use crate::openvidu_enums::WireEnum;

/// The `reason` of the first notification named `method`, and of the first end event named `event`.
fn reasons(outcome: &super::Outcome, method: &str, event: &str) -> (Option<String>, Option<String>) {
    let notice =
        outcome.notices().find(|n| n.method == method).and_then(|n| n.params["reason"].as_str().map(str::to_string));
    let recorded = outcome
        .events
        .iter()
        .find(|e| e.event.name() == event)
        .and_then(|e| e.fields()["reason"].as_str().map(str::to_string));
    (notice, recorded)
}

#[test]
fn each_reason_comes_from_its_command() {
    let both = |reason: EndReason| (Some(reason.as_str().to_string()), Some(reason.as_str().to_string()));

    // Participants leaving, on their own or forced.
    for reason in [EndReason::Disconnect, EndReason::NetworkDisconnect] {
        let mut world = World::new();
        world.joined("room", "r0");
        let leaving = world.joined("room", "r1");
        let outcome = world.conference.leave("room", &leaving, reason, 5);
        assert_eq!(reasons(&outcome, "participantLeft", "participantLeft"), both(reason), "{reason}");
    }
    let mut world = World::new();
    world.joined("room", "r0");
    let target = world.joined("room", "r1");
    let outcome = world.conference.delete_connection("room", &target, 5).unwrap();
    assert_eq!(reasons(&outcome, "participantEvicted", "participantLeft"), both(EndReason::ForceDisconnectByServer));
    let moderator = world.joined_as("room", "rm", "MODERATOR");
    let target = world.joined("room", "r2");
    let outcome = world.conference.force_disconnect("room", &moderator, &target, 6).unwrap();
    assert_eq!(reasons(&outcome, "participantEvicted", "participantLeft"), both(EndReason::ForceDisconnectByUser));

    // Sessions closing.
    let mut world = World::new();
    let last = world.joined("room", "r0");
    let outcome = world.conference.leave("room", &last, EndReason::Disconnect, 7);
    assert_eq!(reasons(&outcome, "-", "sessionDestroyed").1, both(EndReason::LastParticipantLeft).1);
    for (reason, close) in [
        (EndReason::SessionClosedByServer, 0),
        (EndReason::MediaServerDisconnect, 1),
        (EndReason::OpenviduServerStopped, 1),
        (EndReason::AutomaticStop, 1),
    ] {
        let mut world = World::new();
        world.joined("room", "r0");
        let outcome = match close {
            0 => world.conference.delete_session("room", 8).unwrap(),
            _ => world.conference.close_sessions(&["room".to_string()], reason, 8),
        };
        assert_eq!(reasons(&outcome, "participantEvicted", "participantLeft"), both(reason), "{reason}");
        assert_eq!(reasons(&outcome, "-", "sessionDestroyed").1, both(reason).1, "{reason}");
    }

    // Streams ending.
    let mut world = World::new();
    let publisher = world.joined("room", "rp");
    let viewer = world.joined("room", "rv");
    let moderator = world.joined_as("room", "rm", "MODERATOR");
    let stream = world.published("room", &publisher, 10);
    world.subscribed("room", &viewer, &stream, 11);
    let outcome = world.conference.unsubscribe("room", &viewer, &publisher, 12).unwrap();
    assert_eq!(reasons(&outcome, "-", "webrtcConnectionDestroyed").1, both(EndReason::Unsubscribe).1);
    let outcome = world.conference.unpublish("room", &publisher, EndReason::Unpublish, false, 13).unwrap();
    assert_eq!(reasons(&outcome, "participantUnpublished", "webrtcConnectionDestroyed"), both(EndReason::Unpublish));
    let stream = world.published("room", &publisher, 14);
    let outcome = world.conference.force_unpublish("room", &moderator, &stream, 15).unwrap();
    assert_eq!(
        reasons(&outcome, "participantUnpublished", "webrtcConnectionDestroyed"),
        both(EndReason::ForceUnpublishByUser)
    );
    let stream = world.published("room", &publisher, 16);
    let outcome = world.conference.remove_stream("room", &stream, 17).unwrap();
    assert_eq!(
        reasons(&outcome, "participantUnpublished", "webrtcConnectionDestroyed"),
        both(EndReason::ForceUnpublishByServer)
    );
}
