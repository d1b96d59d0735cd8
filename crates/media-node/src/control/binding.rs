//! Which session a request runs in, and which websocket a session's events go to.
//!
//! Kurento's rules: a request without `sessionId` runs in the session bound
//! to its socket; on an unbound socket most methods start a new session,
//! while `unsubscribe`, `ref`, `unref`, `keepAlive` and `closeSession` need
//! one. After a successful response the socket is bound to the session the
//! result names; a session is bound to one socket at a time (the newest wins,
//! so a reconnected client receives its events on the new socket).

use std::collections::HashMap;

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::method::Call;

/// Identifies one websocket connection.
pub type SocketId = u64;

#[derive(Debug, Default)]
pub struct Bindings {
    session_of_socket: HashMap<SocketId, String>,
    socket_of_session: HashMap<String, SocketId>,
}

impl Bindings {
    /// The session a call runs in: the one it names, else the socket's, else a
    /// new one from `mint` (when the call may start a session).
    pub fn session_for(
        &self,
        socket: SocketId,
        named: Option<&str>,
        call: &Call,
        mint: impl FnOnce() -> String,
    ) -> Result<String, RpcError> {
        if let Some(session) = named {
            return Ok(session.to_string());
        }
        if let Some(session) = self.session_of_socket.get(&socket) {
            return Ok(session.clone());
        }
        if call.may_start_session() {
            Ok(mint())
        } else {
            Err(RpcError::new(ErrorCode::ServerError, "'sessionId' parameter is required"))
        }
    }

    /// Binds `socket` to `session` after a successful response. Returns the
    /// socket the session was bound to before, if it was another one.
    pub fn bind(&mut self, socket: SocketId, session: &str) -> Option<SocketId> {
        if let Some(previous) = self.session_of_socket.insert(socket, session.to_string())
            && previous != session
            && self.socket_of_session.get(&previous) == Some(&socket)
        {
            self.socket_of_session.remove(&previous);
        }
        let before = self.socket_of_session.insert(session.to_string(), socket).filter(|s| *s != socket);
        if let Some(old) = before {
            self.session_of_socket.remove(&old);
        }
        before
    }

    /// Forgets a closed socket; returns the session it was bound to.
    pub fn socket_closed(&mut self, socket: SocketId) -> Option<String> {
        let session = self.session_of_socket.remove(&socket)?;
        if self.socket_of_session.get(&session) == Some(&socket) {
            self.socket_of_session.remove(&session);
        }
        Some(session)
    }

    /// Where events of `session` go now.
    pub fn socket_of(&self, session: &str) -> Option<SocketId> {
        self.socket_of_session.get(session).copied()
    }

    pub fn session_of(&self, socket: SocketId) -> Option<&str> {
        self.session_of_socket.get(&socket).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mint() -> String {
        "new".to_string()
    }

    #[test]
    fn named_then_bound_then_minted() {
        let mut bindings = Bindings::default();
        let create = Call::Describe { object: "x".into() };
        assert_eq!(bindings.session_for(1, None, &create, mint).unwrap(), "new");
        assert_eq!(bindings.session_for(1, Some("S"), &create, mint).unwrap(), "S");
        bindings.bind(1, "S");
        assert_eq!(bindings.session_for(1, None, &create, mint).unwrap(), "S");
        let keep_alive = Call::KeepAlive;
        assert_eq!(
            bindings.session_for(2, None, &keep_alive, mint).unwrap_err().message,
            "'sessionId' parameter is required"
        );
    }

    #[test]
    fn the_newest_socket_of_a_session_receives_its_events() {
        let mut bindings = Bindings::default();
        bindings.bind(1, "S");
        assert_eq!(bindings.bind(2, "S"), Some(1), "reconnected on socket 2");
        assert_eq!(bindings.socket_of("S"), Some(2));
        assert_eq!(bindings.session_of(1), None);
        assert_eq!(bindings.socket_closed(1), None);
        assert_eq!(bindings.socket_closed(2), Some("S".to_string()));
        assert_eq!(bindings.socket_of("S"), None);
    }

    #[test]
    fn rebinding_a_socket_to_another_session_releases_the_first() {
        let mut bindings = Bindings::default();
        bindings.bind(1, "S");
        bindings.bind(1, "T");
        assert_eq!(bindings.socket_of("S"), None);
        assert_eq!(bindings.socket_of("T"), Some(1));
        assert_eq!(bindings.session_of(1), Some("T"));
    }
}
