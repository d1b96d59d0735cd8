//! A client joining with its token, and leaving: the session-side rules of
//! the signaling `joinRoom`/`leaveRoom`. Pure; the websocket adapter calls them.

use super::connection::Participant;
use super::store::{SessionStore, StoreError};

/// What the joining client tells about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JoinDetails {
    pub ip: String,
    pub platform: String,
    /// The client's `metadata` (openvidu-browser's `clientData`).
    pub client_data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("Session {0} not found")]
    SessionNotFound(String),
    /// Forged, used already, or of another session (OpenVidu code 401).
    #[error("Unable to join session {session}. Token {token} is not valid")]
    TokenNotValid { session: String, token: String },
}

impl SessionStore {
    /// Consumes the token `token_id` of session `session_id`: its connection becomes active.
    /// Returns the connection id.
    pub fn join(
        &mut self,
        session_id: &str,
        token_id: &str,
        details: JoinDetails,
        now: u64,
    ) -> Result<String, JoinError> {
        let invalid = || JoinError::TokenNotValid { session: session_id.to_string(), token: token_id.to_string() };
        let session = self.session_mut(session_id).ok_or_else(|| JoinError::SessionNotFound(session_id.to_string()))?;
        let connection = session
            .connections
            .values_mut()
            .find(|c| c.token.as_ref().is_some_and(|t| t.id == token_id))
            .ok_or_else(invalid)?;
        if connection.participant.is_some() {
            return Err(invalid());
        }
        connection.participant = Some(Participant {
            active_at: now,
            location: "unknown".into(),
            ip: details.ip,
            platform: details.platform,
            client_data: details.client_data,
            publishers: Vec::new(),
            subscribers: Vec::new(),
        });
        let id = connection.id.clone();
        session.empty_since = None;
        Ok(id)
    }

    /// A participant left: its connection is gone. True when it was the last active
    /// participant (the caller then closes the session with `lastParticipantLeft`).
    pub fn leave(&mut self, session_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        self.remove_connection(session_id, connection_id)?;
        let session = self.session(session_id).ok_or(StoreError::SessionNotFound)?;
        Ok(!session.connections.values().any(|c| c.is_active()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::IdGenerator;
    use crate::session::{ConnectionDefaults, ConnectionProperties, SessionDefaults, SessionProperties};

    fn store_with_token() -> (SessionStore, String, String) {
        let mut store = SessionStore::new(IdGenerator::seeded(7));
        let fields = crate::json_fields::Fields::empty();
        let props = SessionProperties::parse(
            &fields,
            SessionDefaults { forced_video_codec: crate::openvidu_enums::VideoCodec::Vp8, allow_transcoding: false },
        )
        .unwrap();
        let session = store.create_session(props, 1).unwrap().id.clone();
        let props = ConnectionProperties::parse(&fields, &ConnectionDefaults { ice_servers: &[] }).unwrap();
        let connection = store.create_connection(&session, props, "ws://h", 2).unwrap();
        let token = connection.token.clone().unwrap().id;
        (store, session, token)
    }

    #[test]
    fn a_token_joins_once() {
        let (mut store, session, token) = store_with_token();
        let details = JoinDetails { ip: "127.0.0.1".into(), platform: "Chrome".into(), client_data: "alice".into() };
        let id = store.join(&session, &token, details.clone(), 5).unwrap();
        let connection = store.connection(&session, &id).unwrap();
        assert_eq!(connection.participant.as_ref().unwrap().active_at, 5);
        assert_eq!(connection.participant.as_ref().unwrap().client_data, "alice");
        assert!(matches!(store.join(&session, &token, details, 6), Err(JoinError::TokenNotValid { .. })));
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let (mut store, session, token) = store_with_token();
        let forged = store.join(&session, "tok_Forged000000000", JoinDetails::default(), 5);
        assert!(matches!(forged, Err(JoinError::TokenNotValid { .. })));
        let error = store.join("ses_Other", &token, JoinDetails::default(), 5).unwrap_err();
        assert_eq!(error, JoinError::SessionNotFound("ses_Other".into()));
    }

    #[test]
    fn the_last_active_participant_leaving_is_reported() {
        let (mut store, session, token) = store_with_token();
        let id = store.join(&session, &token, JoinDetails::default(), 5).unwrap();
        assert_eq!(store.leave(&session, &id), Ok(true));
        assert!(store.connection(&session, &id).is_err());
    }
}
