//! Which websocket carries which participant, and delivery of notifications.
//! Each socket has an outbox drained by its writer task; the hub never awaits.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::mpsc;

/// What a socket's writer task is told to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Outbound {
    Text(String),
    /// Close the websocket (after what was queued before).
    Close,
}

pub type Outbox = mpsc::UnboundedSender<Outbound>;

#[derive(Default)]
struct State {
    /// rpc session id → its socket and, once joined, `(session, connection)`.
    peers: HashMap<String, (Outbox, Option<(String, String)>)>,
    /// session → connection → rpc session id.
    members: HashMap<String, HashMap<String, String>>,
}

#[derive(Default)]
pub struct Hub {
    state: Mutex<State>,
}

impl Hub {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn register(&self, rpc_session: &str, outbox: Outbox) {
        self.state().peers.insert(rpc_session.to_string(), (outbox, None));
    }

    /// A socket ended; returns whom it carried, if anyone.
    pub fn unregister(&self, rpc_session: &str) -> Option<(String, String)> {
        let mut state = self.state();
        let (_, joined) = state.peers.remove(rpc_session)?;
        let (session, connection) = joined?;
        if let Some(members) = state.members.get_mut(&session) {
            members.remove(&connection);
        }
        Some((session, connection))
    }

    pub fn bind(&self, rpc_session: &str, session: &str, connection: &str) {
        let mut state = self.state();
        if let Some(peer) = state.peers.get_mut(rpc_session) {
            peer.1 = Some((session.to_string(), connection.to_string()));
        }
        state.members.entry(session.to_string()).or_default().insert(connection.to_string(), rpc_session.to_string());
    }

    /// Forgets a participant without closing its socket (it left, or was evicted).
    pub fn unbind(&self, session: &str, connection: &str) -> Option<String> {
        let mut state = self.state();
        let rpc = state.members.get_mut(session)?.remove(connection)?;
        if let Some(peer) = state.peers.get_mut(&rpc) {
            peer.1 = None;
        }
        Some(rpc)
    }

    pub fn joined(&self, rpc_session: &str) -> Option<(String, String)> {
        self.state().peers.get(rpc_session).and_then(|p| p.1.clone())
    }

    /// Moves a live rpc session onto a new socket (`connect {reconnect: true}`).
    pub fn rebind_socket(&self, rpc_session: &str, outbox: Outbox) -> bool {
        match self.state().peers.get_mut(rpc_session) {
            Some(peer) => {
                peer.0 = outbox;
                true
            }
            None => false,
        }
    }

    /// Sends a notification to the given connections of a session (every member with `None`).
    pub fn notify(&self, session: &str, to: Option<&[String]>, method: &str, params: &Value) {
        self.deliver(session, |connection| to.is_none_or(|to| to.iter().any(|c| c == connection)), method, params);
    }

    /// Sends a notification to every member of a session but `except` (what the others are told).
    pub fn notify_except(&self, session: &str, except: &str, method: &str, params: &Value) {
        self.deliver(session, |connection| connection != except, method, params);
    }

    fn deliver(&self, session: &str, wanted: impl Fn(&str) -> bool, method: &str, params: &Value) {
        let frame = kurento_protocol::jsonrpc::notification(method, params);
        let state = self.state();
        let Some(members) = state.members.get(session) else { return };
        for (connection, rpc) in members {
            if !wanted(connection) {
                continue;
            }
            if let Some((outbox, _)) = state.peers.get(rpc) {
                let _ = outbox.send(Outbound::Text(frame.clone()));
            }
        }
    }

    /// Closes a participant's websocket (after what is queued).
    pub fn close(&self, session: &str, connection: &str) {
        let state = self.state();
        let rpc = state.members.get(session).and_then(|m| m.get(connection));
        if let Some((outbox, _)) = rpc.and_then(|rpc| state.peers.get(rpc)) {
            let _ = outbox.send(Outbound::Close);
        }
    }

    /// The connections with a live socket in a session.
    pub fn members(&self, session: &str) -> Vec<String> {
        self.state().members.get(session).map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    /// Closes every socket (the master stops or restarts).
    pub fn close_all(&self) {
        let mut state = self.state();
        for (outbox, _) in state.peers.values() {
            let _ = outbox.send(Outbound::Close);
        }
        state.members.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn notifications_reach_the_chosen_members_only() {
        let hub = Hub::default();
        let (a, mut a_in) = mpsc::unbounded_channel();
        let (b, mut b_in) = mpsc::unbounded_channel();
        hub.register("ra", a);
        hub.register("rb", b);
        hub.bind("ra", "s", "con_a");
        hub.bind("rb", "s", "con_b");
        hub.notify("s", Some(&["con_b".to_string()]), "sendMessage", &json!({"data": "x"}));
        assert!(a_in.try_recv().is_err());
        assert!(matches!(b_in.try_recv(), Ok(Outbound::Text(t)) if t.contains("sendMessage")));
        hub.notify("s", None, "participantLeft", &json!({}));
        assert!(a_in.try_recv().is_ok() && b_in.try_recv().is_ok());
        hub.notify_except("s", "con_a", "participantJoined", &json!({}));
        assert!(a_in.try_recv().is_err());
        assert!(b_in.try_recv().is_ok());
    }

    #[test]
    fn unregistering_forgets_the_membership() {
        let hub = Hub::default();
        let (a, _a_in) = mpsc::unbounded_channel();
        hub.register("ra", a);
        hub.bind("ra", "s", "con_a");
        assert_eq!(hub.unregister("ra"), Some(("s".into(), "con_a".into())));
        assert!(hub.members("s").is_empty());
        assert_eq!(hub.unregister("ra"), None);
    }
}
