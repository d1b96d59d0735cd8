//! The events of reference §6.1 with their fields, as the CDR and webhooks
//! carry them. Built by the conference core (session, participant, stream and
//! signal events) and the cluster (media node status changes); pure data.

use serde_json::{Map, Value, json};

use super::autoscaling_report::AutoscalingReport;
use super::node_ref::NodeRef;
use super::reason::EndReason;
use super::recording_info::RecordingInfo;
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
    /// A recording started, stopped, became ready or failed (fed by recording).
    RecordingStatusChanged {
        session: SessionRef,
        recording: RecordingInfo,
    },
    /// An event of a filter on a stream (fed once filters exist).
    FilterEventDispatched {
        session: SessionRef,
        connection_id: String,
        stream_id: String,
        filter_type: String,
        event_type: String,
        data: String,
    },
    MediaNodeStatusChanged {
        node: NodeRef,
        cluster_id: String,
        old_status: Option<&'static str>,
        new_status: &'static str,
    },
    /// A node stayed unreachable past the reconnection timeout: what it hosted is lost.
    NodeCrashed {
        node: NodeRef,
        cluster_id: String,
        session_ids: Vec<String>,
        recording_ids: Vec<String>,
        broadcasts: Vec<String>,
        /// When the link dropped (ms).
        time_of_disconnection: u64,
    },
    /// A node that had dropped came back within the reconnection timeout.
    NodeRecovered {
        node: NodeRef,
        cluster_id: String,
    },
    /// One autoscaling decision; followed by the status changes it causes.
    Autoscaling {
        cluster_id: String,
        report: AutoscalingReport,
    },
}

/// Every event name, in reference §6.1 order (the default `OPENVIDU_WEBHOOK_EVENTS`
/// without the broadcast events, which need the broadcast issue).
pub const EVENT_NAMES: [&str; 13] = [
    "sessionCreated",
    "sessionDestroyed",
    "participantJoined",
    "participantLeft",
    "webrtcConnectionCreated",
    "webrtcConnectionDestroyed",
    "recordingStatusChanged",
    "filterEventDispatched",
    "signalSent",
    "mediaNodeStatusChanged",
    "autoscaling",
    "nodeCrashed",
    "nodeRecovered",
];

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
            Event::RecordingStatusChanged { session, recording } => {
                format!("{}/{} {}", session.session_id, recording.id, recording.status)
            }
            Event::FilterEventDispatched { session, connection_id, stream_id, .. } => {
                format!("{}/{connection_id}/{stream_id}", session.session_id)
            }
            Event::MediaNodeStatusChanged { node, new_status, .. } => format!("{} {new_status}", node.id),
            Event::NodeCrashed { node, .. } | Event::NodeRecovered { node, .. } => node.id.clone(),
            Event::Autoscaling { cluster_id, .. } => cluster_id.clone(),
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
            Event::RecordingStatusChanged { .. } => "recordingStatusChanged",
            Event::FilterEventDispatched { .. } => "filterEventDispatched",
            Event::MediaNodeStatusChanged { .. } => "mediaNodeStatusChanged",
            Event::NodeCrashed { .. } => "nodeCrashed",
            Event::NodeRecovered { .. } => "nodeRecovered",
            Event::Autoscaling { .. } => "autoscaling",
        }
    }

    /// The session the event belongs to, if any: webhooks keep each session's events in order.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Event::SessionCreated { session }
            | Event::SessionDestroyed { session, .. }
            | Event::ParticipantJoined { session, .. }
            | Event::ParticipantLeft { session, .. }
            | Event::WebrtcConnectionCreated { session, .. }
            | Event::WebrtcConnectionDestroyed { session, .. }
            | Event::SignalSent { session, .. }
            | Event::RecordingStatusChanged { session, .. }
            | Event::FilterEventDispatched { session, .. } => Some(&session.session_id),
            Event::MediaNodeStatusChanged { .. }
            | Event::NodeCrashed { .. }
            | Event::NodeRecovered { .. }
            | Event::Autoscaling { .. } => None,
        }
    }

    /// The connection the event is about, if any (logs carry it as `connection_id`).
    pub fn connection_id(&self) -> Option<&str> {
        match self {
            Event::ParticipantJoined { participant, .. } | Event::ParticipantLeft { participant, .. } => {
                Some(&participant.connection_id)
            }
            Event::WebrtcConnectionCreated { stream, .. } | Event::WebrtcConnectionDestroyed { stream, .. } => {
                Some(&stream.connection_id)
            }
            Event::FilterEventDispatched { connection_id, .. } => Some(connection_id),
            _ => None,
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
            Event::RecordingStatusChanged { session, recording } => {
                add_session(&mut fields, session);
                recording.add_to(&mut fields);
            }
            Event::FilterEventDispatched { session, connection_id, stream_id, filter_type, event_type, data } => {
                add_session(&mut fields, session);
                fields.insert("participantId".into(), json!(connection_id));
                fields.insert("connectionId".into(), json!(connection_id));
                fields.insert("streamId".into(), json!(stream_id));
                fields.insert("filterType".into(), json!(filter_type));
                fields.insert("eventType".into(), json!(event_type));
                fields.insert("data".into(), json!(data));
            }
            Event::MediaNodeStatusChanged { node, cluster_id, old_status, new_status } => {
                node.add_to(&mut fields);
                fields.insert("clusterId".into(), json!(cluster_id));
                fields.insert("oldStatus".into(), json!(old_status));
                fields.insert("newStatus".into(), json!(new_status));
            }
            Event::NodeCrashed { node, cluster_id, session_ids, recording_ids, broadcasts, time_of_disconnection } => {
                node.add_to(&mut fields);
                fields.insert("nodeRole".into(), json!("medianode"));
                fields.insert("sessionIds".into(), json!(session_ids));
                fields.insert("recordingIds".into(), json!(recording_ids));
                fields.insert("broadcasts".into(), json!(broadcasts));
                fields.insert("clusterId".into(), json!(cluster_id));
                fields.insert("timeOfDisconnection".into(), json!(time_of_disconnection));
            }
            Event::NodeRecovered { node, cluster_id } => {
                node.add_to(&mut fields);
                fields.insert("nodeRole".into(), json!("medianode"));
                fields.insert("clusterId".into(), json!(cluster_id));
            }
            Event::Autoscaling { cluster_id, report } => {
                fields.insert("clusterId".into(), json!(cluster_id));
                fields.insert("reason".into(), json!(report.reason));
                fields.insert("mediaNodes".into(), report.media_nodes());
                fields.insert("system".into(), report.system());
            }
        }
        fields
    }

    /// A webhook body: the fields plus `"event": "<name>"`.
    pub fn webhook_body(&self) -> Map<String, Value> {
        let mut body = self.fields();
        body.insert("event".into(), json!(self.event.name()));
        body
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

    fn node() -> NodeRef {
        NodeRef {
            id: "media_n1".into(),
            environment_id: Some("local_1".into()),
            ip: Some("127.0.0.1".into()),
            uri: Some("ws://127.0.0.1:8888/kurento".into()),
        }
    }

    fn keys(record: &EventRecord) -> Vec<String> {
        record.webhook_body().keys().cloned().collect()
    }

    #[test]
    fn node_crashed_lists_what_the_node_hosted_and_recovered_only_the_node() {
        let crashed = Event::NodeCrashed {
            node: node(),
            cluster_id: "c1".into(),
            session_ids: vec!["s1".into()],
            recording_ids: vec![],
            broadcasts: vec![],
            time_of_disconnection: 40,
        }
        .at(50);
        assert_eq!(
            keys(&crashed),
            [
                "timestamp",
                "id",
                "environmentId",
                "ip",
                "uri",
                "nodeRole",
                "sessionIds",
                "recordingIds",
                "broadcasts",
                "clusterId",
                "timeOfDisconnection",
                "event"
            ]
        );
        assert_eq!(crashed.fields()["sessionIds"], json!(["s1"]));
        assert_eq!(crashed.event.session_id(), None);
        let recovered = Event::NodeRecovered { node: node(), cluster_id: "c1".into() }.at(60);
        assert_eq!(
            keys(&recovered),
            ["timestamp", "id", "environmentId", "ip", "uri", "nodeRole", "clusterId", "event"]
        );
        assert_eq!(recovered.webhook_body()["event"], "nodeRecovered");
    }

    #[test]
    fn autoscaling_totals_count_every_listed_node() {
        use crate::events::{AutoscalingLimits, AutoscalingReport, ClusterFigures, NodeSummary};
        let summary =
            NodeSummary { id: "media_a".into(), environment_id: None, ip: None, load: 5.0, status: "launching" };
        let report = AutoscalingReport {
            reason: "below".into(),
            new_nodes: 0,
            revived: vec![],
            relaunched: vec![],
            drained: vec![],
            canceled: vec![summary],
            limits: AutoscalingLimits { max_nodes: 3, min_nodes: 1, max_avg_load: 70.0, min_avg_load: 30.0 },
            figures: ClusterFigures {
                num_nodes: 2,
                total_load: 10.0,
                avg_load: 5.0,
                running_nodes: 1,
                launching_nodes: 1,
                waiting_idle_to_terminate_nodes: 0,
                canceled_nodes: 0,
            },
        };
        let fields = Event::Autoscaling { cluster_id: "c1".into(), report }.at(1).fields();
        assert_eq!(fields["mediaNodes"]["terminate"]["total"], 1);
        assert_eq!(fields["mediaNodes"]["terminate"]["launchingNodes"][0]["id"], "media_a");
        assert_eq!(fields["mediaNodes"]["launch"]["total"], 0);
        assert_eq!(fields["system"]["config"]["minAvgLoad"], 30.0);
        assert_eq!(fields["system"]["status"]["numNodes"], 2);
    }

    #[test]
    fn every_event_name_is_accepted_by_the_webhook_filter() {
        for name in EVENT_NAMES {
            assert!(crate::config::WEBHOOK_EVENTS.contains(&name), "{name}");
        }
    }
}
