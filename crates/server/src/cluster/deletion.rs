//! `DELETE /media-nodes/{id}?deletion-strategy=…`: what to do with a node that
//! still hosts sessions, as a decision over the registry.

use super::registry::{Registry, RegistryError};

crate::openvidu_enums::wire_enum!(
    /// `now` closes the node's sessions and removes it; `if-no-sessions` refuses (409)
    /// while it hosts any; `when-no-sessions` drains it (`waiting-idle-to-terminate`
    /// until its last session closes).
    DeletionStrategy { Now = "now", IfNoSessions = "if-no-sessions", WhenNoSessions = "when-no-sessions" }
);

/// What a deletion request comes to, decided in one look at the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// Nothing runs on it: remove it now.
    Idle,
    /// Remove it and close the sessions it hosts.
    WithSessions,
    /// Mark it `waiting-idle-to-terminate`; its last session removes it.
    Drain,
}

impl Registry {
    /// Decides a deletion; `Busy` for `if-no-sessions` on a node with sessions.
    pub fn plan_removal(&self, id: &str, strategy: DeletionStrategy) -> Result<Removal, RegistryError> {
        match (self.ensure_idle(id), strategy) {
            (Err(RegistryError::NotFound(id)), _) => Err(RegistryError::NotFound(id)),
            (Ok(()), _) => Ok(Removal::Idle),
            (Err(_), DeletionStrategy::Now) => Ok(Removal::WithSessions),
            (Err(busy), DeletionStrategy::IfNoSessions) => Err(busy),
            (Err(_), DeletionStrategy::WhenNoSessions) => Ok(Removal::Drain),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::placement::LoadStrategy;
    use crate::openvidu_enums::WireEnum;

    fn registry_with_node() -> Registry {
        let mut registry = Registry::new(LoadStrategy::Streams);
        crate::cluster::registry::tests::running(&mut registry, "media_A", "ws://a/kurento");
        registry
    }

    #[test]
    fn strategies_parse_as_openvidu_spells_them() {
        assert_eq!(DeletionStrategy::parse("when-no-sessions"), Some(DeletionStrategy::WhenNoSessions));
        assert_eq!(DeletionStrategy::parse("later"), None);
        assert_eq!(DeletionStrategy::allowed(), "now, if-no-sessions, when-no-sessions");
    }

    #[test]
    fn every_strategy_on_an_idle_busy_and_missing_node() {
        let mut registry = registry_with_node();
        for strategy in DeletionStrategy::ALL {
            assert_eq!(registry.plan_removal("media_A", *strategy), Ok(Removal::Idle));
            assert!(matches!(registry.plan_removal("media_X", *strategy), Err(RegistryError::NotFound(_))));
        }
        registry.place_session("s1", None).unwrap();
        assert_eq!(registry.plan_removal("media_A", DeletionStrategy::Now), Ok(Removal::WithSessions));
        assert_eq!(registry.plan_removal("media_A", DeletionStrategy::WhenNoSessions), Ok(Removal::Drain));
        assert!(matches!(
            registry.plan_removal("media_A", DeletionStrategy::IfNoSessions),
            Err(RegistryError::Busy { .. })
        ));
    }
}
