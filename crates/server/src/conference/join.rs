//! `joinRoom`: a participant joins with its token, or a hidden one with the secret.

use serde_json::{Value, json};

use super::Conference;
use super::outcome::{Effect, Outcome, Recipients};
use super::refusal::{Code, Refusal};
use super::views::{metadata, participant_entry, participant_info, session_ref};
use crate::config::OPENVIDU_VERSION;
use crate::events::Event;
use crate::openvidu_enums::WireEnum;
use crate::session::SessionProperties;
use crate::session::join::{JoinDetails, JoinError};

/// Places a session on a media node: `(session, node it asked for)` → the node's id, or why not.
/// Called only at a session's first join, inside the same decision.
pub type Placement<'a> = &'a mut dyn FnMut(&str, Option<&str>) -> Result<String, String>;

pub struct JoinRequest {
    /// The rpc session of the websocket that joins.
    pub rpc: String,
    pub session: String,
    /// The `token` parameter exactly as the client sent it (openvidu-browser sends the whole URL).
    pub token: String,
    pub details: JoinDetails,
}

/// A join with `secret=<OPENVIDU_SECRET>`, already checked by the adapter.
pub struct HiddenJoin {
    pub rpc: String,
    pub session: String,
    /// `recorder=true`: the connection id is `RECORDER`.
    pub recorder: bool,
    /// The session to create when it does not exist (recording mode ALWAYS).
    pub create: SessionProperties,
}

/// The token id of a `joinRoom` token, given as the whole token URL or as the bare id.
pub fn token_id(token: &str) -> String {
    match token.split_once('?') {
        Some((_, query)) => url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default(),
        None => token.to_string(),
    }
}

impl Conference {
    /// Consumes the token, places the session at its first join, binds the socket and tells
    /// the others. Returns the 2.32 `joinRoom` result.
    pub fn join(&mut self, request: JoinRequest, place: Placement<'_>, now: u64) -> Result<(Value, Outcome), Refusal> {
        let JoinRequest { rpc, session: session_id, token, details } = request;
        let token_id = token_id(&token);
        let Some(session) = self.store.session(&session_id) else {
            return Err(Refusal::new(Code::RoomNotFound, JoinError::SessionNotFound(session_id).to_string()));
        };
        let usable = session
            .connections
            .values()
            .any(|c| c.participant.is_none() && c.token.as_ref().is_some_and(|t| t.id == token_id));
        if !usable {
            let invalid = JoinError::TokenNotValid { session: session_id, token };
            return Err(Refusal::new(Code::UserUnauthorized, invalid.to_string()));
        }
        let node = match &session.media_node_id {
            Some(_) => None,
            None => Some(
                place(&session_id, session.props.media_node.as_deref())
                    .map_err(|problem| Refusal::new(Code::RoomCannotBeCreated, problem))?,
            ),
        };
        let connection_id = self.store.join(&session_id, &token_id, details, now).map_err(|error| match error {
            JoinError::SessionNotFound(_) => Refusal::new(Code::RoomNotFound, error.to_string()),
            JoinError::TokenNotValid { .. } => Refusal::new(Code::UserUnauthorized, error.to_string()),
        })?;
        let final_user_id = self.store.ids().final_user_id();
        let session = self.store.session_mut(&session_id).expect("joined just now");
        if let Some(node) = node {
            session.media_node_id = Some(node);
        }
        let me = session.connections.get(&connection_id).expect("joined just now");
        let created_at = me.participant.as_ref().map(|p| p.active_at).unwrap_or(now);
        let others: Vec<Value> = session
            .connections
            .values()
            .filter(|c| c.id != connection_id && c.is_active())
            .map(participant_entry)
            .collect();
        let mut outcome = Outcome::default();
        outcome.effect(Effect::Bind { rpc, session: session_id.clone(), connection: connection_id.clone() });
        outcome.notify(
            &session_id,
            Recipients::AllBut(connection_id.clone()),
            "participantJoined",
            json!({"id": connection_id, "createdAt": created_at, "metadata": metadata(me)}),
        );
        outcome.event(
            Event::ParticipantJoined { session: session_ref(session), participant: participant_info(me) }.at(now),
        );
        let result = json!({
            "id": connection_id,
            "finalUserId": final_user_id,
            "createdAt": created_at,
            "metadata": metadata(me),
            "value": others,
            "session": session_id,
            "version": OPENVIDU_VERSION,
            "mediaServer": "kurento",
            "videoSimulcast": false,
            "record": me.props.record,
            "role": me.props.role.map(|r| r.as_str()),
            "customIceServers": me.ice_servers,
        });
        Ok((result, outcome))
    }

    /// The recorder's way in: a hidden SUBSCRIBER that REST and the other participants never
    /// see, with connection id `RECORDER` for `recorder=true`. The session is created if needed.
    pub fn join_hidden(
        &mut self,
        request: HiddenJoin,
        place: Placement<'_>,
        now: u64,
    ) -> Result<(Value, Outcome), Refusal> {
        let HiddenJoin { rpc, session: session_id, recorder, create } = request;
        let (placed, named) = match self.store.session(&session_id) {
            Some(session) => (session.media_node_id.is_some(), session.props.media_node.clone()),
            None => (false, create.media_node.clone()),
        };
        // Placed before the session is created, so a refusal leaves nothing behind.
        let node = match placed {
            true => None,
            false => Some(
                place(&session_id, named.as_deref())
                    .map_err(|problem| Refusal::new(Code::RoomCannotBeCreated, problem))?,
            ),
        };
        let mut outcome = Outcome::default();
        if self.store.session(&session_id).is_none() {
            let created = self
                .store
                .create_session(create, now)
                .map_err(|e| Refusal::new(Code::RoomCannotBeCreated, e.to_string()))?;
            outcome.event(Event::SessionCreated { session: session_ref(created) }.at(now));
        }
        let connection_id = if recorder { "RECORDER".to_string() } else { self.store.ids().connection_id() };
        let session = self.store.session(&session_id).expect("exists or created above");
        if session.hidden.contains_key(&connection_id) {
            return Err(Refusal::new(Code::Generic, format!("'{connection_id}' is connected already")));
        }
        let final_user_id = self.store.ids().final_user_id();
        let session = self.store.session_mut(&session_id).expect("checked above");
        if let Some(node) = node {
            session.media_node_id = Some(node);
        }
        session.hidden.insert(connection_id.clone(), now);
        let others: Vec<Value> =
            session.connections.values().filter(|c| c.is_active()).map(participant_entry).collect();
        outcome.effect(Effect::Bind { rpc, session: session_id.clone(), connection: connection_id.clone() });
        let result = json!({
            "id": connection_id,
            "finalUserId": final_user_id,
            "createdAt": now,
            "metadata": "",
            "value": others,
            "session": session_id,
            "version": OPENVIDU_VERSION,
            "mediaServer": "kurento",
            "videoSimulcast": false,
            "record": false,
            "role": "SUBSCRIBER",
            "customIceServers": [],
        });
        Ok((result, outcome))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;

    #[test]
    fn token_ids_come_from_urls_or_stand_alone() {
        assert_eq!(token_id("wss://h:4443?sessionId=s&token=tok_AbC"), "tok_AbC");
        assert_eq!(token_id("tok_AbC"), "tok_AbC");
        assert_eq!(token_id("wss://h?sessionId=s"), "");
    }

    #[test]
    fn the_first_join_places_the_session_binds_the_socket_and_tells_the_others() {
        let mut world = World::new();
        let a = world.token("room");
        let (result, outcome) = world.conference.join(request("rpc-a", "room", &a), &mut placer("node_1"), 10).unwrap();
        let first = result["id"].as_str().unwrap().to_string();
        assert_eq!(world.conference.store().session("room").unwrap().media_node_id.as_deref(), Some("node_1"));
        assert_eq!(
            outcome.effects[0],
            Effect::Bind { rpc: "rpc-a".into(), session: "room".into(), connection: first.clone() }
        );
        assert_eq!(names(&outcome), ["participantJoined"]);
        assert_eq!(result["value"], json!([]));
        assert_eq!(event_names(&outcome), ["participantJoined"]);

        let b = world.token("room");
        let mut never = |_: &str, _: Option<&str>| -> Result<String, String> { panic!("placed once only") };
        let (result, outcome) = world.conference.join(request("rpc-b", "room", &b), &mut never, 11).unwrap();
        assert_eq!(result["value"][0]["id"], first.as_str());
        let notice = outcome.notices().next().unwrap();
        assert_eq!(notice.to, Recipients::AllBut(result["id"].as_str().unwrap().into()));
        assert_eq!(notice.params["createdAt"], 11);
    }

    #[test]
    fn a_token_joins_once_and_the_error_names_it_as_sent() {
        let mut world = World::new();
        let token = world.token("room");
        let url = format!("ws://h:4443?sessionId=room&token={token}");
        world.conference.join(request("r1", "room", &url), &mut placer("n"), 1).unwrap();
        let refusal = world.conference.join(request("r2", "room", &url), &mut placer("n"), 2).unwrap_err();
        assert_eq!(refusal.code, Code::UserUnauthorized);
        assert_eq!(refusal.message, format!("Unable to join session room. Token {url} is not valid"));
        let refusal = world.conference.join(request("r3", "nope", &url), &mut placer("n"), 2).unwrap_err();
        assert_eq!((refusal.code, refusal.message.as_str()), (Code::RoomNotFound, "Session nope not found"));
    }

    #[test]
    fn a_session_no_node_can_host_is_refused_and_nothing_changes() {
        let mut world = World::new();
        let token = world.token("room");
        let mut none = |_: &str, _: Option<&str>| Err("No media node is available".to_string());
        let refusal = world.conference.join(request("r", "room", &token), &mut none, 1).unwrap_err();
        assert_eq!(refusal.code, Code::RoomCannotBeCreated);
        assert!(world.conference.members("room").is_empty());
        world.conference.join(request("r", "room", &token), &mut placer("n"), 2).expect("the token is still good");
    }

    #[test]
    fn hidden_participants_are_members_but_not_connections() {
        let mut world = World::new();
        let create = world.session_props("rec");
        let request = HiddenJoin { rpc: "r".into(), session: "rec".into(), recorder: true, create };
        let (result, outcome) = world.conference.join_hidden(request, &mut placer("n"), 5).unwrap();
        assert_eq!(result["id"], "RECORDER");
        assert_eq!(result["role"], "SUBSCRIBER");
        assert_eq!(event_names(&outcome), ["sessionCreated"]);
        assert_eq!(world.conference.members("rec"), ["RECORDER"]);
        assert!(world.conference.store().session("rec").unwrap().connections.is_empty());
        let again =
            HiddenJoin { rpc: "r2".into(), session: "rec".into(), recorder: true, create: world.session_props("rec") };
        let refusal = world.conference.join_hidden(again, &mut placer("n"), 6).unwrap_err();
        assert_eq!(refusal.message, "'RECORDER' is connected already");
        let other =
            HiddenJoin { rpc: "r3".into(), session: "rec".into(), recorder: false, create: world.session_props("rec") };
        let (result, _) = world.conference.join_hidden(other, &mut placer("n"), 7).unwrap();
        assert!(crate::ids::has_form(result["id"].as_str().unwrap(), "con_", 9), "{result}");
    }
}
