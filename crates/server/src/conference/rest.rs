//! What the REST API changes: sessions created and deleted, connections created,
//! updated and deleted.

use serde_json::json;

use super::Conference;
use super::outcome::{Outcome, Recipients};
use super::views::session_ref;
use crate::events::{EndReason, Event};
use crate::openvidu_enums::WireEnum;
use crate::session::{Connection, ConnectionProperties, ConnectionUpdate, SessionProperties, StoreError};

impl Conference {
    /// Creates a session; returns its id.
    pub fn create_session(&mut self, props: SessionProperties, now: u64) -> Result<(String, Outcome), StoreError> {
        let session = self.store.create_session(props, now)?;
        let mut outcome = Outcome::default();
        outcome.event(Event::SessionCreated { session: session_ref(session) }.at(now));
        Ok((session.id.clone(), outcome))
    }

    /// `DELETE /sessions/{id}`.
    pub fn delete_session(&mut self, session: &str, now: u64) -> Result<Outcome, StoreError> {
        self.close_session(session, EndReason::SessionClosedByServer, now).ok_or(StoreError::SessionNotFound)
    }

    /// A pending connection with a fresh token; see [`crate::session::SessionStore::create_connection_with_query`].
    pub fn create_connection(
        &mut self,
        session: &str,
        props: ConnectionProperties,
        token_prefix: &str,
        now: u64,
        extra_query: impl FnOnce(&Connection) -> String,
    ) -> Result<&Connection, StoreError> {
        self.store.create_connection_with_query(session, props, token_prefix, now, extra_query)
    }

    /// `PATCH`: a joined client is told of its own changes (OpenVidu Pro's `connectionPropertyChanged`).
    pub fn update_connection(
        &mut self,
        session: &str,
        connection: &str,
        update: &ConnectionUpdate,
    ) -> Result<(&Connection, bool, Outcome), StoreError> {
        let before = self.store.connection(session, connection)?;
        let (old_role, old_record) = (before.props.role, before.props.record);
        let (updated, changed) = self.store.update_connection(session, connection, update)?;
        let mut outcome = Outcome::default();
        if updated.is_active() {
            let only = || Recipients::Only(vec![connection.to_string()]);
            if let Some(role) = updated.props.role.filter(|r| Some(*r) != old_role) {
                let params = json!({"property": "role", "newValue": role.as_str()});
                outcome.notify(session, only(), "connectionPropertyChanged", params);
            }
            if updated.props.record != old_record {
                let params = json!({"property": "record", "newValue": updated.props.record});
                outcome.notify(session, only(), "connectionPropertyChanged", params);
            }
        }
        Ok((updated, changed, outcome))
    }

    /// `DELETE …/connection/{id}`: a joined participant is evicted (`forceDisconnectByServer`),
    /// a pending connection is removed and its token stops working.
    pub fn delete_connection(&mut self, session: &str, connection: &str, now: u64) -> Result<Outcome, StoreError> {
        if self.store.connection(session, connection)?.is_active() {
            return Ok(self.evict(session, connection, EndReason::ForceDisconnectByServer, now));
        }
        self.store.remove_connection(session, connection)?;
        Ok(Outcome::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;
    use crate::openvidu_enums::Role;

    #[test]
    fn sessions_are_created_and_destroyed_by_the_server_with_events() {
        let mut world = World::new();
        let (id, outcome) = world.conference.create_session(world.session_props("room"), 1).unwrap();
        assert_eq!((id.as_str(), event_names(&outcome)), ("room", vec!["sessionCreated"]));
        assert_eq!(
            world.conference.create_session(world.session_props("room"), 2).unwrap_err(),
            StoreError::SessionExists
        );
        let outcome = world.conference.delete_session("room", 3).unwrap();
        assert_eq!(outcome.events.last().unwrap().fields()["reason"], "sessionClosedByServer");
        assert_eq!(world.conference.delete_session("room", 4).unwrap_err(), StoreError::SessionNotFound);
    }

    #[test]
    fn deleting_a_joined_connection_evicts_it_and_a_pending_one_just_goes() {
        let mut world = World::new();
        let joined = world.joined("room", "r");
        world.joined("room", "r2");
        let pending = world.pending("room");
        let outcome = world.conference.delete_connection("room", &joined, 5).unwrap();
        assert_eq!(outcome.notices().next().unwrap().params["reason"], "forceDisconnectByServer");
        assert_eq!(world.conference.delete_connection("room", &pending, 6).unwrap(), Outcome::default());
        assert_eq!(
            world.conference.delete_connection("room", &pending, 7).unwrap_err(),
            StoreError::ConnectionNotFound
        );
    }

    #[test]
    fn a_joined_client_is_told_of_its_role_and_record_changes() {
        let mut world = World::new();
        let joined = world.joined("room", "r");
        let update = ConnectionUpdate { role: Some(Role::Moderator), record: Some(false) };
        let (_, changed, outcome) = world.conference.update_connection("room", &joined, &update).unwrap();
        assert!(changed);
        let properties: Vec<_> = outcome.notices().map(|n| n.params["property"].clone()).collect();
        assert_eq!(properties, [json!("role"), json!("record")]);
        let pending = world.pending("room");
        let (_, _, outcome) = world.conference.update_connection("room", &pending, &update).unwrap();
        assert_eq!(outcome.notices().count(), 0, "nobody to tell yet");
    }
}
