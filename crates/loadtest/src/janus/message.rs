//! The Janus API's JSON messages (WebSocket transport, subprotocol
//! `janus-protocol`): the requests this client sends, and what it makes of
//! whatever Janus sends back. Pure functions, so the protocol is tested
//! without a Janus; nothing here panics on malformed input.

use serde_json::{Map, Value, json};

use crate::driver::IceCandidate;

/// A session or plugin handle id, as Janus hands them out.
pub type Id = u64;

/// An SDP with its role, as carried in a message's `jsep`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jsep {
    pub kind: String,
    pub sdp: String,
}

impl Jsep {
    pub fn offer(sdp: &str) -> Self {
        Self { kind: "offer".into(), sdp: sdp.into() }
    }

    pub fn answer(sdp: &str) -> Self {
        Self { kind: "answer".into(), sdp: sdp.into() }
    }

    fn to_json(&self) -> Value {
        json!({"type": self.kind, "sdp": self.sdp})
    }

    fn from_json(value: &Value) -> Option<Self> {
        let kind = value.get("type")?.as_str()?;
        let sdp = value.get("sdp")?.as_str()?;
        Some(Self { kind: kind.into(), sdp: sdp.into() })
    }
}

/// Builds a request of `kind`, addressed to `session` and `handle` when given.
/// The transaction is added when it is sent (see [`super::transactions`]).
fn request(kind: &str, session: Option<Id>, handle: Option<Id>) -> Map<String, Value> {
    let mut request = Map::new();
    request.insert("janus".into(), json!(kind));
    if let Some(session) = session {
        request.insert("session_id".into(), json!(session));
    }
    if let Some(handle) = handle {
        request.insert("handle_id".into(), json!(handle));
    }
    request
}

pub fn create_session() -> Map<String, Value> {
    request("create", None, None)
}

pub fn destroy_session(session: Id) -> Map<String, Value> {
    request("destroy", Some(session), None)
}

/// Janus drops a session after `session_timeout` (60 s by default) without a request on it.
pub fn keepalive(session: Id) -> Map<String, Value> {
    request("keepalive", Some(session), None)
}

pub fn attach(session: Id, plugin: &str) -> Map<String, Value> {
    let mut request = request("attach", Some(session), None);
    request.insert("plugin".into(), json!(plugin));
    request
}

pub fn detach(session: Id, handle: Id) -> Map<String, Value> {
    request("detach", Some(session), Some(handle))
}

/// A request to the plugin behind `handle`: its `body`, and an SDP if any.
pub fn message(session: Id, handle: Id, body: Value, jsep: Option<&Jsep>) -> Map<String, Value> {
    let mut request = request("message", Some(session), Some(handle));
    request.insert("body".into(), body);
    if let Some(jsep) = jsep {
        request.insert("jsep".into(), jsep.to_json());
    }
    request
}

/// One of the client's candidates for the PeerConnection of `handle`.
pub fn trickle(session: Id, handle: Id, candidate: &IceCandidate) -> Map<String, Value> {
    let mut request = request("trickle", Some(session), Some(handle));
    let mut trickled = Map::new();
    trickled.insert("candidate".into(), json!(candidate.candidate));
    if let Some(mid) = &candidate.sdp_mid {
        trickled.insert("sdpMid".into(), json!(mid));
    }
    trickled.insert("sdpMLineIndex".into(), json!(candidate.sdp_mline_index.unwrap_or(0)));
    request.insert("candidate".into(), Value::Object(trickled));
    request
}

/// What a reply carries: `data` (new session or handle ids), the plugin's
/// answer (`plugindata.data`) and an SDP.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply {
    pub data: Option<Value>,
    pub plugin: Option<Value>,
    pub jsep: Option<Jsep>,
}

impl Reply {
    /// The `id` in `data`: what `create` and `attach` return.
    pub fn id(&self) -> Option<Id> {
        self.data.as_ref()?.get("id")?.as_u64()
    }

    /// The plugin's answer, or the plugin's own error (`error_code` and `error`).
    pub fn plugin_data(&self) -> Result<&Value, String> {
        let data = self.plugin.as_ref().ok_or("the reply has no plugin data")?;
        let code = data.get("error_code");
        let error = data.get("error");
        if code.is_none() && error.is_none() {
            return Ok(data);
        }
        let reason = error.and_then(Value::as_str).unwrap_or("unknown error");
        Err(match code {
            Some(code) => format!("{reason} (plugin error {code})"),
            None => reason.to_string(),
        })
    }
}

/// A message from Janus.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The request was received. Final for `keepalive` and `trickle`; an
    /// asynchronous plugin request (join, start, ...) is answered later by an `event`.
    Ack { transaction: String },
    /// The request's result: new ids in `data`, or a synchronous plugin answer.
    Success { transaction: String, reply: Reply },
    /// A plugin event: the answer to an asynchronous request when it has the
    /// request's transaction, a notification otherwise.
    Event { transaction: Option<String>, sender: Option<Id>, reply: Reply },
    /// The core refused a request (`janus: error`).
    Error { transaction: Option<String>, code: i64, reason: String },
    /// One of Janus's candidates for `sender`'s PeerConnection; `None` once it has sent them all.
    Trickle { sender: Id, candidate: Option<IceCandidate> },
    /// Anything else (`webrtcup`, `media`, `slowlink`, `hangup`, `detached`, `timeout`, ...).
    Notice { kind: String, sender: Option<Id>, message: Value },
}

/// Reads one text frame from Janus.
pub fn parse(text: &str) -> Result<Incoming, String> {
    let message: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let kind = message.get("janus").and_then(Value::as_str).ok_or("no \"janus\" field")?.to_string();
    let transaction = message.get("transaction").and_then(Value::as_str).map(str::to_string);
    let sender = message.get("sender").and_then(Value::as_u64);
    let needs_transaction = |kind: &str| transaction.clone().ok_or_else(|| format!("\"{kind}\" without a transaction"));
    Ok(match kind.as_str() {
        "ack" => Incoming::Ack { transaction: needs_transaction("ack")? },
        "success" => Incoming::Success { transaction: needs_transaction("success")?, reply: reply(&message) },
        "event" => Incoming::Event { transaction, sender, reply: reply(&message) },
        "error" => {
            let error = message.get("error");
            Incoming::Error {
                transaction,
                code: error.and_then(|e| e.get("code")).and_then(Value::as_i64).unwrap_or(0),
                reason: error
                    .and_then(|e| e.get("reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("unspecified error")
                    .to_string(),
            }
        }
        "trickle" => {
            let sender = sender.ok_or("\"trickle\" without a sender")?;
            let candidate = message.get("candidate").ok_or("\"trickle\" without a candidate")?;
            Incoming::Trickle { sender, candidate: trickled(candidate)? }
        }
        _ => Incoming::Notice { kind, sender, message },
    })
}

fn reply(message: &Value) -> Reply {
    Reply {
        data: message.get("data").cloned(),
        plugin: message.get("plugindata").and_then(|p| p.get("data")).cloned(),
        jsep: message.get("jsep").and_then(Jsep::from_json),
    }
}

/// A trickled candidate object; `{"completed": true}` ends the candidates.
fn trickled(candidate: &Value) -> Result<Option<IceCandidate>, String> {
    if candidate.get("completed").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let line =
        candidate.get("candidate").and_then(Value::as_str).ok_or("a trickled candidate without \"candidate\"")?;
    Ok(Some(IceCandidate {
        candidate: line.to_string(),
        sdp_mid: candidate.get("sdpMid").and_then(Value::as_str).map(str::to_string),
        sdp_mline_index: candidate.get("sdpMLineIndex").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_addressed_to_their_session_and_handle() {
        assert_eq!(Value::Object(create_session()), json!({"janus": "create"}));
        assert_eq!(Value::Object(keepalive(7)), json!({"janus": "keepalive", "session_id": 7}));
        assert_eq!(
            Value::Object(attach(7, "janus.plugin.videoroom")),
            json!({"janus": "attach", "session_id": 7, "plugin": "janus.plugin.videoroom"})
        );
        assert_eq!(Value::Object(detach(7, 9)), json!({"janus": "detach", "session_id": 7, "handle_id": 9}));
        assert_eq!(Value::Object(destroy_session(7)), json!({"janus": "destroy", "session_id": 7}));
    }

    #[test]
    fn a_message_carries_its_body_and_sdp() {
        let request = message(1, 2, json!({"request": "start"}), Some(&Jsep::answer("v=0\r\n")));
        assert_eq!(
            Value::Object(request),
            json!({"janus": "message", "session_id": 1, "handle_id": 2, "body": {"request": "start"},
                   "jsep": {"type": "answer", "sdp": "v=0\r\n"}})
        );
        assert!(!message(1, 2, json!({}), None).contains_key("jsep"));
    }

    #[test]
    fn a_trickled_candidate_has_its_mid_and_index() {
        let candidate = IceCandidate {
            candidate: "candidate:1 1 udp 2130706431 10.77.0.1 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        assert_eq!(
            Value::Object(trickle(1, 2, &candidate)),
            json!({"janus": "trickle", "session_id": 1, "handle_id": 2, "candidate": {
                "candidate": "candidate:1 1 udp 2130706431 10.77.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}})
        );
    }

    #[test]
    fn replies_are_read() {
        assert_eq!(
            parse(r#"{"janus":"ack","session_id":1,"transaction":"t1"}"#),
            Ok(Incoming::Ack { transaction: "t1".into() })
        );
        let Ok(Incoming::Success { transaction, reply }) =
            parse(r#"{"janus":"success","transaction":"t2","data":{"id":4503599627370495}}"#)
        else {
            panic!("not a success")
        };
        assert_eq!((transaction.as_str(), reply.id()), ("t2", Some(4503599627370495)));
        let event = parse(
            r#"{"janus":"event","session_id":1,"sender":2,"transaction":"t3",
                "plugindata":{"plugin":"janus.plugin.videoroom","data":{"videoroom":"attached","room":5}},
                "jsep":{"type":"offer","sdp":"v=0"}}"#,
        );
        let Ok(Incoming::Event { transaction, sender, reply }) = event else { panic!("not an event") };
        assert_eq!((transaction.as_deref(), sender), (Some("t3"), Some(2)));
        assert_eq!(reply.plugin_data(), Ok(&json!({"videoroom": "attached", "room": 5})));
        assert_eq!(reply.jsep, Some(Jsep::offer("v=0")));
    }

    #[test]
    fn errors_carry_their_reason() {
        assert_eq!(
            parse(r#"{"janus":"error","transaction":"t","error":{"code":458,"reason":"No such session 3"}}"#),
            Ok(Incoming::Error { transaction: Some("t".into()), code: 458, reason: "No such session 3".into() })
        );
        let reply = Reply {
            plugin: Some(json!({"videoroom": "event", "error_code": 426, "error": "No such room (9)"})),
            ..Reply::default()
        };
        assert_eq!(reply.plugin_data(), Err("No such room (9) (plugin error 426)".to_string()));
        assert_eq!(Reply::default().plugin_data(), Err("the reply has no plugin data".to_string()));
    }

    #[test]
    fn janus_candidates_and_their_end() {
        let candidate = parse(
            r#"{"janus":"trickle","session_id":1,"sender":2,
                "candidate":{"sdpMid":"0","sdpMLineIndex":0,"candidate":"candidate:1 1 udp 1 10.77.0.2 20000 typ host"}}"#,
        );
        assert_eq!(
            candidate,
            Ok(Incoming::Trickle {
                sender: 2,
                candidate: Some(IceCandidate {
                    candidate: "candidate:1 1 udp 1 10.77.0.2 20000 typ host".into(),
                    sdp_mid: Some("0".into()),
                    sdp_mline_index: Some(0),
                }),
            })
        );
        assert_eq!(
            parse(r#"{"janus":"trickle","sender":2,"candidate":{"completed":true}}"#),
            Ok(Incoming::Trickle { sender: 2, candidate: None })
        );
    }

    #[test]
    fn notices_are_kept_whole() {
        let Ok(Incoming::Notice { kind, sender, .. }) = parse(r#"{"janus":"webrtcup","session_id":1,"sender":2}"#)
        else {
            panic!("not a notice")
        };
        assert_eq!((kind.as_str(), sender), ("webrtcup", Some(2)));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for text in [
            "",
            "[]",
            "null",
            "{",
            r#"{"janus":5}"#,
            r#"{"transaction":"t"}"#,
            r#"{"janus":"ack"}"#,
            r#"{"janus":"success","transaction":7}"#,
            r#"{"janus":"trickle","sender":"x","candidate":{}}"#,
            r#"{"janus":"trickle","sender":2,"candidate":{"sdpMid":"0"}}"#,
        ] {
            assert!(parse(text).is_err(), "{text:?} was accepted");
        }
        // Odd but harmless fields are tolerated.
        let Ok(Incoming::Error { code, reason, .. }) = parse(r#"{"janus":"error","error":"boom"}"#) else {
            panic!("not an error")
        };
        assert_eq!((code, reason.as_str()), (0, "unspecified error"));
        let Ok(Incoming::Event { reply, .. }) = parse(r#"{"janus":"event","plugindata":7,"jsep":{"type":"offer"}}"#)
        else {
            panic!("not an event")
        };
        assert_eq!(reply, Reply::default());
    }
}
