//! The History page's model: past sessions rebuilt from CDR lines.
//!
//! Pure: takes the lines (`{"<event>": {fields}}`, one a line, as the CDR writer
//! wrote them) and returns one summary per session instance (`uniqueSessionId`,
//! so a session id reused later is another entry) with its event timeline. A line
//! that is not a CDR event is counted and skipped, never fatal: a file may end
//! in a half-written line while the writer works.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

/// One past (or still running) session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PastSession {
    pub session_id: String,
    pub unique_session_id: String,
    /// `sessionCreated`'s timestamp, or the first event's when the CDR began later.
    pub start_time: u64,
    /// `sessionDestroyed`'s timestamp; `None` while the session is live (or its end is not in the CDR).
    pub end_time: Option<u64>,
    /// Seconds, as `sessionDestroyed` says.
    pub duration: Option<u64>,
    /// Why the session ended.
    pub reason: Option<String>,
    /// Distinct connections that joined.
    pub users: usize,
    /// Distinct published streams.
    pub publishers: usize,
    /// Subscriptions made.
    pub subscribers: usize,
    /// Distinct recording ids.
    pub recordings: Vec<String>,
    /// Why each participant left, counted.
    pub leave_reasons: BTreeMap<String, usize>,
    pub timeline: Vec<TimelineEntry>,
}

/// One event of a session's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub timestamp: u64,
    pub event: String,
    /// The event's fields as the CDR has them.
    pub fields: Map<String, Value>,
}

/// What parsing found.
#[derive(Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    /// Newest first.
    pub sessions: Vec<PastSession>,
    pub skipped_lines: usize,
}

#[derive(Default)]
struct Building {
    session_id: String,
    created: Option<u64>,
    first: u64,
    end_time: Option<u64>,
    duration: Option<u64>,
    reason: Option<String>,
    users: BTreeSet<String>,
    publishers: BTreeSet<String>,
    subscribers: usize,
    recordings: BTreeSet<String>,
    leave_reasons: BTreeMap<String, usize>,
    timeline: Vec<TimelineEntry>,
}

/// Rebuilds the sessions of `lines` (in the CDR's order, files oldest first).
pub fn parse<'a>(lines: impl IntoIterator<Item = &'a str>) -> History {
    let mut sessions: BTreeMap<String, Building> = BTreeMap::new();
    let mut skipped_lines = 0;
    for line in lines.into_iter().map(str::trim).filter(|line| !line.is_empty()) {
        let Some((event, fields)) = event_of(line) else {
            skipped_lines += 1;
            continue;
        };
        let Some(unique) = fields.get("uniqueSessionId").and_then(Value::as_str) else { continue };
        let timestamp = fields.get("timestamp").and_then(Value::as_u64).unwrap_or(0);
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_string);
        let session = sessions.entry(unique.to_string()).or_insert_with(|| Building {
            session_id: text("sessionId").unwrap_or_default(),
            first: timestamp,
            ..Building::default()
        });
        match event.as_str() {
            "sessionCreated" => session.created = Some(timestamp),
            "sessionDestroyed" => {
                session.end_time = Some(timestamp);
                session.duration = fields.get("duration").and_then(Value::as_u64);
                session.reason = text("reason");
            }
            "participantJoined" => session.users.extend(text("connectionId")),
            "participantLeft" => {
                *session.leave_reasons.entry(text("reason").unwrap_or_default()).or_default() += 1;
            }
            "webrtcConnectionCreated" if text("connection").as_deref() == Some("INBOUND") => session.subscribers += 1,
            "webrtcConnectionCreated" => session.publishers.extend(text("streamId")),
            "recordingStatusChanged" => session.recordings.extend(text("id")),
            _ => {}
        }
        session.timeline.push(TimelineEntry { timestamp, event, fields });
    }
    let mut sessions: Vec<PastSession> = sessions
        .into_iter()
        .map(|(unique_session_id, b)| PastSession {
            session_id: b.session_id,
            unique_session_id,
            start_time: b.created.unwrap_or(b.first),
            end_time: b.end_time,
            duration: b.duration,
            reason: b.reason,
            users: b.users.len(),
            publishers: b.publishers.len(),
            subscribers: b.subscribers,
            recordings: b.recordings.into_iter().collect(),
            leave_reasons: b.leave_reasons,
            timeline: b.timeline,
        })
        .collect();
    sessions
        .sort_by(|a, b| b.start_time.cmp(&a.start_time).then_with(|| a.unique_session_id.cmp(&b.unique_session_id)));
    History { sessions, skipped_lines }
}

/// The event name and fields of one CDR line.
fn event_of(line: &str) -> Option<(String, Map<String, Value>)> {
    let Value::Object(object) = serde_json::from_str::<Value>(line).ok()? else { return None };
    if object.len() != 1 {
        return None;
    }
    let (name, fields) = object.into_iter().next()?;
    match fields {
        Value::Object(fields) => Some((name, fields)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDR: &str = r#"
{"sessionCreated":{"timestamp":1000,"sessionId":"room","uniqueSessionId":"room_1000"}}
{"participantJoined":{"timestamp":1100,"sessionId":"room","uniqueSessionId":"room_1000","connectionId":"con_A"}}
{"participantJoined":{"timestamp":1200,"sessionId":"room","uniqueSessionId":"room_1000","connectionId":"con_B"}}
{"webrtcConnectionCreated":{"timestamp":1300,"sessionId":"room","uniqueSessionId":"room_1000","streamId":"str_A","connection":"OUTBOUND"}}
{"webrtcConnectionCreated":{"timestamp":1400,"sessionId":"room","uniqueSessionId":"room_1000","streamId":"str_A","connection":"INBOUND","receivingFrom":"con_A"}}
{"recordingStatusChanged":{"timestamp":1500,"sessionId":"room","uniqueSessionId":"room_1000","id":"room","status":"started"}}
{"recordingStatusChanged":{"timestamp":1600,"sessionId":"room","uniqueSessionId":"room_1000","id":"room","status":"ready"}}
{"mediaNodeStatusChanged":{"timestamp":1650,"id":"media_1","newStatus":"running"}}
{"participantLeft":{"timestamp":1700,"sessionId":"room","uniqueSessionId":"room_1000","connectionId":"con_B","reason":"disconnect"}}
{"participantLeft":{"timestamp":1800,"sessionId":"room","uniqueSessionId":"room_1000","connectionId":"con_A","reason":"forceDisconnectByServer"}}
{"sessionDestroyed":{"timestamp":62000,"sessionId":"room","uniqueSessionId":"room_1000","startTime":1000,"duration":61,"reason":"lastParticipantLeft"}}
{"sessionCreated":{"timestamp":70000,"sessionId":"room","uniqueSessionId":"room_70000"}}
not json
{"sessionCreated":{"timest"#;

    #[test]
    fn a_finished_session_is_summarised_with_its_timeline() {
        let history = parse(CDR.lines());
        assert_eq!(history.skipped_lines, 2, "the garbage line and the half-written last one");
        assert_eq!(history.sessions.len(), 2);
        let done = &history.sessions[1];
        assert_eq!(done.unique_session_id, "room_1000");
        assert_eq!((done.start_time, done.end_time, done.duration), (1000, Some(62000), Some(61)));
        assert_eq!(done.reason.as_deref(), Some("lastParticipantLeft"));
        assert_eq!((done.users, done.publishers, done.subscribers), (2, 1, 1));
        assert_eq!(done.recordings, ["room"]);
        assert_eq!(done.leave_reasons.get("forceDisconnectByServer"), Some(&1));
        assert_eq!(done.timeline.len(), 10, "the node's event belongs to no session");
        assert_eq!(done.timeline[0].event, "sessionCreated");
        assert_eq!(done.timeline[9].event, "sessionDestroyed");
    }

    #[test]
    fn a_reused_session_id_is_another_entry_and_a_live_one_has_no_end() {
        let history = parse(CDR.lines());
        let live = &history.sessions[0];
        assert_eq!((live.session_id.as_str(), live.unique_session_id.as_str()), ("room", "room_70000"));
        assert_eq!((live.end_time, live.reason.as_ref()), (None, None));
    }

    #[test]
    fn a_session_whose_start_is_not_in_the_cdr_starts_at_its_first_event() {
        let line = r#"{"participantLeft":{"timestamp":5,"sessionId":"s","uniqueSessionId":"s_1","reason":"x"}}"#;
        let history = parse([line]);
        assert_eq!(history.sessions[0].start_time, 5);
    }
}
