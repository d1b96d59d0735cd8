//! The events of reference §6.1 with their fields, as the CDR and webhooks
//! carry them. Built by the conference core (session, participant, stream and
//! signal events) and the cluster (media node status changes); pure data.

use serde_json::{Map, Value, json};

use super::reason::EndReason;
use crate::openvidu_enums::WireEnum;

/// The session an event belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRef {
    pub session_id: String,
    /// When the session was created (ms): `uniqueSessionId` is `<sessionId>_<createdAt>`.
    pub created_at: u64,
}

/// The participant of `participantJoined`/`participantLeft`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantInfo {
    pub connection_id: String,
    pub location: String,
    pub ip: String,
    pub platform: String,
    pub client_data: String,
    pub server_data: String,
}

/// One WebRTC connection: a publisher's (`OUTBOUND`) or a subscription (`INBOUND`).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamInfo {
    pub stream_id: String,
    pub connection_id: String,
    /// The publisher's connection, for a subscription.
    pub receiving_from: Option<String>,
    pub video_source: String,
    pub video_framerate: Option<i64>,
    pub video_dimensions: String,
    pub audio_enabled: bool,
    pub video_enabled: bool,
}

/// What an end event adds: when the thing started, and why it ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ended {
    pub start_time: u64,
    pub reason: EndReason,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    SessionCreated {
        session: SessionRef,
    },
    SessionDestroyed {
        session: SessionRef,
        ended: Ended,
    },
    ParticipantJoined {
        session: SessionRef,
        participant: ParticipantInfo,
    },
    ParticipantLeft {
        session: SessionRef,
        participant: ParticipantInfo,
        ended: Ended,
    },
    WebrtcConnectionCreated {
        session: SessionRef,
        stream: StreamInfo,
    },
    WebrtcConnectionDestroyed {
        session: SessionRef,
        stream: StreamInfo,
        ended: Ended,
    },
    /// `from` is `None` for a REST signal; `to` are the connections actually targeted.
    SignalSent {
        session: SessionRef,
        from: Option<String>,
        to: Vec<String>,
        kind: Option<String>,
        data: Option<String>,
    },
    MediaNodeStatusChanged {
        id: String,
        environment_id: Option<String>,
        ip: Option<String>,
        uri: Option<String>,
        cluster_id: String,
        old_status: Option<&'static str>,
        new_status: &'static str,
    },
}

/// An event and when it happened (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub timestamp: u64,
    pub event: Event,
}

impl Event {
    pub fn at(self, timestamp: u64) -> EventRecord {
        EventRecord { timestamp, event: self }
    }

    /// What the event is about, for logs: the session, the connection or stream in it, or the node.
    pub fn subject(&self) -> String {
        match self {
            Event::SessionCreated { session } | Event::SessionDestroyed { session, .. } => session.session_id.clone(),
            Event::ParticipantJoined { session, participant } | Event::ParticipantLeft { session, participant, .. } => {
                format!("{}/{}", session.session_id, participant.connection_id)
            }
            Event::WebrtcConnectionCreated { session, stream }
            | Event::WebrtcConnectionDestroyed { session, stream, .. } => {
                format!("{}/{}/{}", session.session_id, stream.connection_id, stream.stream_id)
            }
            Event::SignalSent { session, .. } => session.session_id.clone(),
            Event::MediaNodeStatusChanged { id, new_status, .. } => format!("{id} {new_status}"),
        }
    }

    /// The event's name (`OPENVIDU_WEBHOOK_EVENTS` spelling).
    pub fn name(&self) -> &'static str {
        match self {
            Event::SessionCreated { .. } => "sessionCreated",
            Event::SessionDestroyed { .. } => "sessionDestroyed",
            Event::ParticipantJoined { .. } => "participantJoined",
            Event::ParticipantLeft { .. } => "participantLeft",
            Event::WebrtcConnectionCreated { .. } => "webrtcConnectionCreated",
            Event::WebrtcConnectionDestroyed { .. } => "webrtcConnectionDestroyed",
            Event::SignalSent { .. } => "signalSent",
            Event::MediaNodeStatusChanged { .. } => "mediaNodeStatusChanged",
        }
    }
}

impl EventRecord {
    /// The event's fields, `timestamp` first, without the `event` key.
    pub fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("timestamp".into(), json!(self.timestamp));
        match &self.event {
            Event::SessionCreated { session } => add_session(&mut fields, session),
            Event::SessionDestroyed { session, ended } => {
                add_session(&mut fields, session);
                self.add_ended(&mut fields, ended);
            }
            Event::ParticipantJoined { session, participant } => {
                add_session(&mut fields, session);
                add_participant(&mut fields, participant);
            }
            Event::ParticipantLeft { session, participant, ended } => {
                add_session(&mut fields, session);
                add_participant(&mut fields, participant);
                self.add_ended(&mut fields, ended);
            }
            Event::WebrtcConnectionCreated { session, stream } => {
                add_session(&mut fields, session);
                add_stream(&mut fields, stream);
            }
            Event::WebrtcConnectionDestroyed { session, stream, ended } => {
                add_session(&mut fields, session);
                add_stream(&mut fields, stream);
                self.add_ended(&mut fields, ended);
            }
            Event::SignalSent { session, from, to, kind, data } => {
                add_session(&mut fields, session);
                fields.insert("from".into(), json!(from));
                fields.insert("to".into(), json!(to));
                fields.insert("type".into(), json!(kind));
                fields.insert("data".into(), json!(data));
            }
            Event::MediaNodeStatusChanged { id, environment_id, ip, uri, cluster_id, old_status, new_status } => {
                fields.insert("id".into(), json!(id));
                fields.insert("environmentId".into(), json!(environment_id));
                fields.insert("ip".into(), json!(ip));
                fields.insert("uri".into(), json!(uri));
                fields.insert("clusterId".into(), json!(cluster_id));
                fields.insert("oldStatus".into(), json!(old_status));
                fields.insert("newStatus".into(), json!(new_status));
            }
        }
        fields
    }

    /// One CDR line: `{"<event>": {fields}}`.
    pub fn cdr_line(&self) -> String {
        let mut line = Map::new();
        line.insert(self.event.name().into(), Value::Object(self.fields()));
        Value::Object(line).to_string()
    }

    fn add_ended(&self, fields: &mut Map<String, Value>, ended: &Ended) {
        fields.insert("startTime".into(), json!(ended.start_time));
        fields.insert("duration".into(), json!(self.timestamp.saturating_sub(ended.start_time) / 1000));
        fields.insert("reason".into(), json!(ended.reason.as_str()));
    }
}

fn add_session(fields: &mut Map<String, Value>, session: &SessionRef) {
    fields.insert("sessionId".into(), json!(session.session_id));
    fields.insert("uniqueSessionId".into(), json!(format!("{}_{}", session.session_id, session.created_at)));
}

fn add_participant(fields: &mut Map<String, Value>, participant: &ParticipantInfo) {
    fields.insert("participantId".into(), json!(participant.connection_id));
    fields.insert("connectionId".into(), json!(participant.connection_id));
    fields.insert("location".into(), json!(participant.location));
    fields.insert("ip".into(), json!(participant.ip));
    fields.insert("platform".into(), json!(participant.platform));
    fields.insert("clientData".into(), json!(participant.client_data));
    fields.insert("serverData".into(), json!(participant.server_data));
}

fn add_stream(fields: &mut Map<String, Value>, stream: &StreamInfo) {
    fields.insert("streamId".into(), json!(stream.stream_id));
    fields.insert("participantId".into(), json!(stream.connection_id));
    fields.insert("connectionId".into(), json!(stream.connection_id));
    let direction = if stream.receiving_from.is_some() { "INBOUND" } else { "OUTBOUND" };
    fields.insert("connection".into(), json!(direction));
    if let Some(publisher) = &stream.receiving_from {
        fields.insert("receivingFrom".into(), json!(publisher));
    }
    fields.insert("videoSource".into(), json!(stream.video_source));
    fields.insert("videoFramerate".into(), json!(stream.video_framerate));
    fields.insert("videoDimensions".into(), json!(stream.video_dimensions));
    fields.insert("audioEnabled".into(), json!(stream.audio_enabled));
    fields.insert("videoEnabled".into(), json!(stream.video_enabled));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> SessionRef {
        SessionRef { session_id: "room".into(), created_at: 1_000 }
    }

    #[test]
    fn end_events_carry_start_time_duration_in_seconds_and_reason() {
        let record = Event::SessionDestroyed {
            session: session(),
            ended: Ended { start_time: 1_000, reason: EndReason::LastParticipantLeft },
        }
        .at(62_500);
        assert_eq!(
            record.cdr_line(),
            r#"{"sessionDestroyed":{"timestamp":62500,"sessionId":"room","uniqueSessionId":"room_1000","startTime":1000,"duration":61,"reason":"lastParticipantLeft"}}"#
        );
    }

    #[test]
    fn subscriptions_are_inbound_and_name_their_publisher() {
        let stream = StreamInfo {
            stream_id: "str_CAM_Abcd_con_P".into(),
            connection_id: "con_S".into(),
            receiving_from: Some("con_P".into()),
            video_source: "CAMERA".into(),
            video_framerate: Some(30),
            video_dimensions: r#"{"width":640,"height":480}"#.into(),
            audio_enabled: true,
            video_enabled: true,
        };
        let fields = Event::WebrtcConnectionCreated { session: session(), stream: stream.clone() }.at(5).fields();
        assert_eq!(fields["connection"], "INBOUND");
        assert_eq!(fields["receivingFrom"], "con_P");
        assert_eq!(fields["participantId"], fields["connectionId"]);
        let outbound = StreamInfo { receiving_from: None, ..stream };
        let fields = Event::WebrtcConnectionCreated { session: session(), stream: outbound }.at(5).fields();
        assert_eq!(fields["connection"], "OUTBOUND");
        assert!(!fields.contains_key("receivingFrom"));
    }

    #[test]
    fn rest_signals_have_a_null_sender() {
        let record = Event::SignalSent {
            session: session(),
            from: None,
            to: vec!["con_A".into()],
            kind: None,
            data: Some("x".into()),
        }
        .at(7);
        let fields = record.fields();
        assert_eq!(fields["from"], Value::Null);
        assert_eq!(fields["to"], json!(["con_A"]));
        assert_eq!(record.event.name(), "signalSent");
    }
}
