//! Why something ended: OpenVidu's `EndReason` names, carried by the
//! participant notifications (`participantLeft`, `participantEvicted`,
//! `participantUnpublished`) and by the end events of the CDR and webhooks.

crate::openvidu_enums::wire_enum!(EndReason {
    LastParticipantLeft = "lastParticipantLeft",
    SessionClosedByServer = "sessionClosedByServer",
    MediaServerDisconnect = "mediaServerDisconnect",
    MediaServerReconnect = "mediaServerReconnect",
    NodeCrashed = "nodeCrashed",
    OpenviduServerStopped = "openviduServerStopped",
    AutomaticStop = "automaticStop",
    Disconnect = "disconnect",
    ForceDisconnectByUser = "forceDisconnectByUser",
    ForceDisconnectByServer = "forceDisconnectByServer",
    NetworkDisconnect = "networkDisconnect",
    Unsubscribe = "unsubscribe",
    Unpublish = "unpublish",
    ForceUnpublishByUser = "forceUnpublishByUser",
    ForceUnpublishByServer = "forceUnpublishByServer",
    RecordingStoppedByServer = "recordingStoppedByServer",
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openvidu_enums::WireEnum;

    #[test]
    fn reasons_print_as_openvidu_spells_them() {
        assert_eq!(EndReason::LastParticipantLeft.as_str(), "lastParticipantLeft");
        assert_eq!(EndReason::parse("openviduServerStopped"), Some(EndReason::OpenviduServerStopped));
        assert_eq!(EndReason::ALL.len(), 16);
    }
}
