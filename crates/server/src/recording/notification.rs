//! `OPENVIDU_RECORDING_NOTIFICATION`: which participants get `recordingStarted`
//! and `recordingStopped` (reference §3.5).

use crate::openvidu_enums::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationScope {
    None,
    /// Moderators only.
    Moderator,
    /// Publishers and moderators (OpenVidu's default).
    PublisherModerator,
    All,
}

impl NotificationScope {
    /// The catalog's values (`none`, `moderator`, `publisher_moderator`, `all`); anything else is the default.
    pub fn parse(text: &str) -> Self {
        match text {
            "none" => Self::None,
            "moderator" => Self::Moderator,
            "all" => Self::All,
            _ => Self::PublisherModerator,
        }
    }

    /// Whether a participant of `role` is told (hidden participants have no role and are not).
    pub fn tells(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Self::None, _) | (_, None) => false,
            (Self::All, Some(_)) => true,
            (Self::Moderator, Some(role)) => role == Role::Moderator,
            (Self::PublisherModerator, Some(role)) => matches!(role, Role::Publisher | Role::Moderator),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_scope() {
        let roles = [Role::Subscriber, Role::Publisher, Role::Moderator];
        let told = |scope: NotificationScope| roles.iter().filter(|r| scope.tells(Some(**r))).count();
        assert_eq!(told(NotificationScope::parse("none")), 0);
        assert_eq!(told(NotificationScope::parse("moderator")), 1);
        assert_eq!(told(NotificationScope::parse("publisher_moderator")), 2);
        assert_eq!(told(NotificationScope::parse("all")), 3);
        assert!(!NotificationScope::All.tells(None));
    }
}
