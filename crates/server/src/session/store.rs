//! All sessions of the master and the rules that change them.
//!
//! Pure: every operation takes the current time and returns what happened, so
//! the REST handlers (and later the signaling) are thin adapters and the rules
//! are tested without a server.

use indexmap::IndexMap;

use super::connection::{Connection, Token};
use super::connection_properties::{ConnectionProperties, ConnectionUpdate};
use super::model::Session;
use super::properties::SessionProperties;
use crate::ids::IdGenerator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("session already exists")]
    SessionExists,
    #[error("session not found")]
    SessionNotFound,
    #[error("connection not found")]
    ConnectionNotFound,
    #[error("stream not found")]
    StreamNotFound,
    /// The stream belongs to an IP camera, which cannot be unpublished by REST.
    #[error("stream belongs to an IP camera")]
    StreamOfIpcam,
    #[error("session has no participants")]
    SessionNotActive,
    #[error("connection {0} is not an active connection of the session")]
    UnknownSignalTarget(usize),
}

pub struct SessionStore {
    sessions: IndexMap<String, Session>,
    ids: IdGenerator,
}

impl SessionStore {
    pub fn new(ids: IdGenerator) -> Self {
        Self { sessions: IndexMap::new(), ids }
    }

    /// Creates a session, with its custom id or a fresh `ses_` id.
    pub fn create_session(&mut self, props: SessionProperties, now: u64) -> Result<&Session, StoreError> {
        let id = if props.custom_session_id.is_empty() {
            loop {
                let id = self.ids.session_id();
                if !self.sessions.contains_key(&id) {
                    break id;
                }
            }
        } else if self.sessions.contains_key(&props.custom_session_id) {
            return Err(StoreError::SessionExists);
        } else {
            props.custom_session_id.clone()
        };
        let session = Session::new(id.clone(), props, now);
        Ok(self.sessions.entry(id).or_insert(session))
    }

    /// The generator every id of this store's sessions comes from.
    pub fn ids(&mut self) -> &mut IdGenerator {
        &mut self.ids
    }

    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.get(id)
    }

    /// The only way to a `&mut Session`: it clears the session's cached JSON
    /// first, so whatever the caller changes is seen by the next read.
    pub fn session_mut(&mut self, id: &str) -> Option<&mut Session> {
        let session = self.sessions.get_mut(id)?;
        session.invalidate_json();
        Some(session)
    }

    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    pub fn remove_session(&mut self, id: &str) -> Result<Session, StoreError> {
        self.sessions.shift_remove(id).ok_or(StoreError::SessionNotFound)
    }

    /// Removes the sessions named in `ids` in one pass, keeping the others in order;
    /// returns the ids removed. One `remove_session` per id would shift the entries
    /// behind each removal: quadratic when a sweep or a stop closes thousands.
    pub fn remove_sessions(&mut self, ids: &[String]) -> Vec<String> {
        let doomed: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut removed = Vec::new();
        self.sessions.retain(|id, _| {
            let keep = !doomed.contains(id.as_str());
            if !keep {
                removed.push(id.clone());
            }
            keep
        });
        removed
    }

    /// Creates a pending WebRTC connection with a fresh single-use token whose
    /// URL starts with `token_prefix` (`ws(s)://public-host[:port]`).
    pub fn create_connection(
        &mut self,
        session_id: &str,
        props: ConnectionProperties,
        token_prefix: &str,
        now: u64,
    ) -> Result<&Connection, StoreError> {
        self.create_connection_with_query(session_id, props, token_prefix, now, |_| String::new())
    }

    /// [`Self::create_connection`], with `extra_query(&connection)` appended to the
    /// token URL after `?sessionId=...&token=tok_...` (such as the `&role=...&version=...`
    /// of 2.13-era tokens). The connection handed to `extra_query` is complete (role,
    /// ICE servers with their generated TURN credentials) but has the plain URL; the
    /// URL with the extra query is the one stored, so REST shows what the client got.
    pub fn create_connection_with_query(
        &mut self,
        session_id: &str,
        props: ConnectionProperties,
        token_prefix: &str,
        now: u64,
        extra_query: impl FnOnce(&Connection) -> String,
    ) -> Result<&Connection, StoreError> {
        if !self.sessions.contains_key(session_id) {
            return Err(StoreError::SessionNotFound);
        }
        let connection_id = self.fresh_connection_id(session_id);
        let token_id = self.ids.token_id();
        let ids = &mut self.ids;
        let ice_servers = props.resolved_ice_servers(now, &mut || ids.alphanumeric(8));
        let mut connection = Connection {
            id: connection_id.clone(),
            session_id: session_id.to_string(),
            created_at: now,
            token: Some(Token { url: format!("{token_prefix}?sessionId={session_id}&token={token_id}"), id: token_id }),
            props,
            ice_servers,
            participant: None,
        };
        let extra = extra_query(&connection);
        if let Some(token) = connection.token.as_mut() {
            token.url.push_str(&extra);
        }
        let session = self.session_mut(session_id).expect("checked above");
        Ok(session.connections.entry(connection_id).or_insert(connection))
    }

    /// Looks a connection up. A missing session is told apart from a missing
    /// connection because OpenVidu answers them with different status codes.
    pub fn connection(&self, session_id: &str, connection_id: &str) -> Result<&Connection, StoreError> {
        let session = self.sessions.get(session_id).ok_or(StoreError::SessionNotFound)?;
        session.connections.get(connection_id).ok_or(StoreError::ConnectionNotFound)
    }

    /// Applies a PATCH; returns the connection and whether anything changed.
    pub fn update_connection(
        &mut self,
        session_id: &str,
        connection_id: &str,
        update: &ConnectionUpdate,
    ) -> Result<(&Connection, bool), StoreError> {
        let session = self.session_mut(session_id).ok_or(StoreError::SessionNotFound)?;
        let connection = session.connections.get_mut(connection_id).ok_or(StoreError::ConnectionNotFound)?;
        let mut changed = false;
        if let (Some(role), Some(current)) = (update.role, connection.props.role) {
            changed |= role != current;
            connection.props.role = Some(role);
        }
        if let Some(record) = update.record {
            changed |= record != connection.props.record;
            connection.props.record = record;
        }
        Ok((connection, changed))
    }

    /// Removes a connection; for a pending one this invalidates its token.
    pub fn remove_connection(&mut self, session_id: &str, connection_id: &str) -> Result<Connection, StoreError> {
        let session = self.session_mut(session_id).ok_or(StoreError::SessionNotFound)?;
        let removed = session.connections.shift_remove(connection_id).ok_or(StoreError::ConnectionNotFound)?;
        Ok(removed)
    }

    /// The joined participant of a connection, to record its streams.
    pub fn participant_mut(
        &mut self,
        session_id: &str,
        connection_id: &str,
    ) -> Option<&mut crate::session::connection::Participant> {
        self.session_mut(session_id)?.connections.get_mut(connection_id)?.participant.as_mut()
    }

    /// Finds the connection that publishes `stream_id` in an active session.
    pub fn stream_owner(&self, session_id: &str, stream_id: &str) -> Result<&Connection, StoreError> {
        let session = self.sessions.get(session_id).ok_or(StoreError::SessionNotFound)?;
        let owner = session
            .connections
            .values()
            .find(|c| c.participant.as_ref().is_some_and(|p| p.publishers.iter().any(|s| s.stream_id == stream_id)))
            .ok_or(StoreError::StreamNotFound)?;
        if owner.props.ipcam.is_some() {
            return Err(StoreError::StreamOfIpcam);
        }
        Ok(owner)
    }

    /// The active connections a REST signal goes to: all of them when `to` is
    /// empty, else exactly the ones named (each must be active).
    pub fn signal_targets(&self, session_id: &str, to: &[String]) -> Result<Vec<String>, StoreError> {
        let session = self.sessions.get(session_id).ok_or(StoreError::SessionNotFound)?;
        if !session.is_active() {
            return Err(StoreError::SessionNotActive);
        }
        if to.is_empty() {
            return Ok(session.connections.values().filter(|c| c.is_active()).map(|c| c.id.clone()).collect());
        }
        to.iter()
            .enumerate()
            .map(|(i, id)| match session.connections.get(id) {
                Some(c) if c.is_active() => Ok(c.id.clone()),
                _ => Err(StoreError::UnknownSignalTarget(i)),
            })
            .collect()
    }

    /// Sessions that have had no participants for longer than `threshold_ms`; a session
    /// being recorded is not idle (the recording's automatic stop closes it).
    pub fn idle_sessions(&self, now: u64, threshold_ms: u64) -> Vec<String> {
        self.sessions
            .values()
            .filter(|s| !s.recording)
            .filter(|s| s.empty_since.is_some_and(|since| now.saturating_sub(since) > threshold_ms))
            .map(|s| s.id.clone())
            .collect()
    }

    /// A connection id unused in the session. Ids carry 9 random alphanumerics
    /// (about 2^53 values), so checking the session alone keeps creation O(1)
    /// while a clash with another session's id stays practically impossible.
    fn fresh_connection_id(&mut self, session_id: &str) -> String {
        loop {
            let id = self.ids.connection_id();
            if !self.sessions.get(session_id).is_some_and(|s| s.connections.contains_key(&id)) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_fields::Fields;
    use crate::openvidu_enums::{Role, VideoCodec};
    use crate::session::connection::Participant;
    use crate::session::connection_properties::ConnectionDefaults;
    use crate::session::properties::SessionDefaults;
    use serde_json::json;

    fn session_props(body: serde_json::Value) -> SessionProperties {
        let map = body.as_object().unwrap().clone();
        SessionProperties::parse(
            &Fields::new(&map),
            SessionDefaults { forced_video_codec: VideoCodec::Vp8, allow_transcoding: false },
        )
        .unwrap()
    }

    fn connection_props(body: serde_json::Value) -> ConnectionProperties {
        let map = body.as_object().unwrap().clone();
        ConnectionProperties::parse(&Fields::new(&map), &ConnectionDefaults { ice_servers: &[] }).unwrap()
    }

    fn store() -> SessionStore {
        SessionStore::new(IdGenerator::seeded(42))
    }

    fn activate(store: &mut SessionStore, sid: &str, cid: &str, now: u64) {
        let session = store.session_mut(sid).unwrap();
        session.connections.get_mut(cid).unwrap().participant = Some(Participant {
            active_at: now,
            location: "unknown".into(),
            ip: "127.0.0.1".into(),
            platform: "test".into(),
            client_data: String::new(),
            publishers: vec![],
            subscribers: vec![],
        });
        session.empty_since = None;
    }

    #[test]
    fn custom_ids_are_unique() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        assert_eq!(
            store.create_session(session_props(json!({"customSessionId": "room"})), 2).unwrap_err(),
            StoreError::SessionExists
        );
        let generated = store.create_session(session_props(json!({})), 3).unwrap().id.clone();
        assert!(generated.starts_with("ses_"));
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn connections_carry_a_token_bound_to_their_session() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        let connection =
            store.create_connection("room", connection_props(json!({"data": "d"})), "wss://h:4443", 5).unwrap();
        let token = connection.token.clone().unwrap();
        assert!(token.url.starts_with("wss://h:4443?sessionId=room&token=tok_"), "{}", token.url);
        assert!(token.url.ends_with(&token.id));
        assert_eq!(connection.created_at, 5);
        assert_eq!(
            store.create_connection("nope", connection_props(json!({})), "wss://h", 5).unwrap_err(),
            StoreError::SessionNotFound
        );
    }

    #[test]
    fn an_extra_query_is_appended_to_the_stored_token_url() {
        use crate::openvidu_enums::WireEnum;
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        let props = connection_props(json!({"role": "SUBSCRIBER"}));
        let connection = store
            .create_connection_with_query("room", props, "wss://h", 5, |c| {
                let token = c.token.as_ref().unwrap();
                assert!(token.url.ends_with(&token.id), "the extra query sees the plain URL: {}", token.url);
                format!("&role={}", c.props.role.unwrap().as_str())
            })
            .unwrap();
        let (cid, token) = (connection.id.clone(), connection.token.clone().unwrap());
        assert_eq!(token.url, format!("wss://h?sessionId=room&token={}&role=SUBSCRIBER", token.id));
        assert_eq!(store.connection("room", &cid).unwrap().token.as_ref(), Some(&token), "stored as handed out");
    }

    #[test]
    fn lookups_tell_missing_session_from_missing_connection() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        assert_eq!(store.connection("nope", "con_X").unwrap_err(), StoreError::SessionNotFound);
        assert_eq!(store.connection("room", "con_X").unwrap_err(), StoreError::ConnectionNotFound);
    }

    #[test]
    fn updates_report_whether_anything_changed() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        let cid = store
            .create_connection("room", connection_props(json!({"record": false})), "ws://h", 1)
            .unwrap()
            .id
            .clone();
        let same = ConnectionUpdate { role: Some(Role::Publisher), record: Some(false) };
        assert!(!store.update_connection("room", &cid, &same).unwrap().1);
        let (connection, changed) = store
            .update_connection("room", &cid, &ConnectionUpdate { role: Some(Role::Moderator), record: None })
            .unwrap();
        assert!(changed);
        assert_eq!(connection.props.role, Some(Role::Moderator));
        assert!(!connection.props.record, "record must be untouched");
    }

    #[test]
    fn signals_need_an_active_session_and_active_targets() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        let a = store.create_connection("room", connection_props(json!({})), "ws://h", 1).unwrap().id.clone();
        let b = store.create_connection("room", connection_props(json!({})), "ws://h", 1).unwrap().id.clone();
        assert_eq!(store.signal_targets("room", &[]).unwrap_err(), StoreError::SessionNotActive);
        activate(&mut store, "room", &a, 2);
        assert_eq!(store.signal_targets("room", &[]).unwrap(), vec![a.clone()]);
        assert_eq!(
            store.signal_targets("room", &[a.clone(), b.clone()]).unwrap_err(),
            StoreError::UnknownSignalTarget(1)
        );
        assert_eq!(store.signal_targets("nope", &[]).unwrap_err(), StoreError::SessionNotFound);
    }

    #[test]
    fn removing_many_sessions_keeps_the_others_in_order() {
        let mut store = store();
        for id in ["a", "b", "c", "d"] {
            store.create_session(session_props(json!({"customSessionId": id})), 1_000).unwrap();
        }
        let removed = store.remove_sessions(&["c".to_string(), "a".to_string(), "zz".to_string()]);
        assert_eq!(removed, ["a", "c"]);
        let left: Vec<&str> = store.sessions().map(|s| s.id.as_str()).collect();
        assert_eq!(left, ["b", "d"]);
    }

    #[test]
    fn idle_sessions_are_those_empty_for_longer_than_the_threshold() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "old"})), 1_000).unwrap();
        store.create_session(session_props(json!({"customSessionId": "new"})), 5_000).unwrap();
        store.create_session(session_props(json!({"customSessionId": "busy"})), 1_000).unwrap();
        let cid = store.create_connection("busy", connection_props(json!({})), "ws://h", 1_000).unwrap().id.clone();
        activate(&mut store, "busy", &cid, 1_500);
        assert_eq!(store.idle_sessions(6_000, 3_000), vec!["old".to_string()]);
        assert!(store.idle_sessions(4_000, 3_000).is_empty(), "exactly at the threshold is not over it");
    }

    #[test]
    fn every_mutation_is_seen_by_the_next_json_read() {
        use crate::session::model::SessionView;
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        let pending = SessionView { pending_connections: true, ..SessionView::default() };
        let count = |store: &SessionStore| {
            let bytes = store.session("room").unwrap().json_bytes(pending);
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["connections"]["numberOfElements"]
                .as_u64()
                .unwrap()
        };
        assert_eq!(count(&store), 0);
        let cid = store.create_connection("room", connection_props(json!({})), "ws://h", 1).unwrap().id.clone();
        assert_eq!(count(&store), 1);
        store.update_connection("room", &cid, &ConnectionUpdate { role: Some(Role::Moderator), record: None }).unwrap();
        let bytes = store.session("room").unwrap().json_bytes(pending);
        let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(json["connections"]["content"][0]["role"], "MODERATOR");
        store.remove_connection("room", &cid).unwrap();
        assert_eq!(count(&store), 0);
    }

    #[test]
    fn removing_a_pending_connection_forgets_its_token() {
        let mut store = store();
        store.create_session(session_props(json!({"customSessionId": "room"})), 1).unwrap();
        let cid = store.create_connection("room", connection_props(json!({})), "ws://h", 1).unwrap().id.clone();
        store.remove_connection("room", &cid).unwrap();
        assert_eq!(store.connection("room", &cid).unwrap_err(), StoreError::ConnectionNotFound);
        assert_eq!(store.remove_connection("room", &cid).unwrap_err(), StoreError::ConnectionNotFound);
    }
}
