//! Signals: `sendMessage` from a participant and `POST /signal` from the application server.

use serde_json::{Map, Value, json};

use super::Conference;
use super::outcome::{Outcome, Recipients};
use super::refusal::{Code, Refusal};
use super::views::session_ref;
use crate::events::Event;
use crate::session::StoreError;

/// A signal: empty `to` means everyone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalMessage {
    pub to: Vec<String>,
    pub kind: Option<Value>,
    pub data: Option<Value>,
}

impl Conference {
    /// `sendMessage`: every target must be a member; the message carries `from`.
    pub fn send_message(
        &mut self,
        session: &str,
        from: &str,
        message: SignalMessage,
        now: u64,
    ) -> Result<Outcome, Refusal> {
        let members = self.members(session);
        if let Some(unknown) = message.to.iter().find(|id| !members.contains(id)) {
            return Err(Refusal::new(
                Code::SignalToInvalid,
                format!("'{unknown}' is not a participant of the session"),
            ));
        }
        let targets = if message.to.is_empty() { members } else { message.to.clone() };
        Ok(self.deliver(session, Some(from), message, targets, now))
    }

    /// `POST /signal`: the session must have participants and every target must be an active
    /// connection (OpenVidu answers 404 and 406 apart, so the store's errors come back).
    pub fn rest_signal(
        &mut self,
        session: &str,
        message: SignalMessage,
        now: u64,
    ) -> Result<(Vec<String>, Outcome), StoreError> {
        let targets = self.store.signal_targets(session, &message.to)?;
        Ok((targets.clone(), self.deliver(session, None, message, targets, now)))
    }

    fn deliver(
        &self,
        session: &str,
        from: Option<&str>,
        message: SignalMessage,
        targets: Vec<String>,
        now: u64,
    ) -> Outcome {
        let mut params = Map::new();
        if let Some(from) = from {
            params.insert("from".into(), json!(from));
        }
        for (key, value) in [("type", &message.kind), ("data", &message.data)] {
            if let Some(value) = value {
                params.insert(key.into(), value.clone());
            }
        }
        let mut outcome = Outcome::default();
        let to = if message.to.is_empty() { Recipients::All } else { Recipients::Only(message.to.clone()) };
        outcome.notify(session, to, "sendMessage", Value::Object(params));
        let text =
            |value: &Option<Value>| value.as_ref().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
        if let Some(reference) = self.store.session(session).map(session_ref) {
            let event = Event::SignalSent {
                session: reference,
                from: from.map(str::to_string),
                to: targets,
                kind: text(&message.kind),
                data: text(&message.data),
            };
            outcome.event(event.at(now));
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;

    #[test]
    fn participants_signal_members_only_and_every_signal_is_an_event() {
        let mut world = World::new();
        let a = world.joined("room", "ra");
        let b = world.joined("room", "rb");
        let message = SignalMessage { to: vec!["con_Nobody".into()], ..SignalMessage::default() };
        assert_eq!(world.conference.send_message("room", &a, message, 1).unwrap_err().code, Code::SignalToInvalid);
        let message = SignalMessage { to: vec![b.clone()], kind: Some(json!("signal:chat")), data: Some(json!("hi")) };
        let outcome = world.conference.send_message("room", &a, message, 2).unwrap();
        let notice = outcome.notices().next().unwrap();
        assert_eq!(notice.to, Recipients::Only(vec![b.clone()]));
        assert_eq!(notice.params, json!({"from": a, "type": "signal:chat", "data": "hi"}));
        let fields = outcome.events[0].fields();
        assert_eq!((fields["from"].clone(), fields["to"].clone()), (json!(a), json!([b])));
    }

    #[test]
    fn rest_signals_need_an_active_session_and_have_no_sender() {
        let mut world = World::new();
        world.session("empty", 1);
        assert_eq!(
            world.conference.rest_signal("empty", SignalMessage::default(), 2).unwrap_err(),
            StoreError::SessionNotActive
        );
        let a = world.joined("room", "ra");
        let (targets, outcome) = world.conference.rest_signal("room", SignalMessage::default(), 3).unwrap();
        assert_eq!(targets, [a]);
        assert!(outcome.notices().next().unwrap().params.get("from").is_none());
        assert_eq!(outcome.events[0].fields()["from"], Value::Null);
    }
}
