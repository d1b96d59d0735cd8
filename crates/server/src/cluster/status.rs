//! Media node statuses and the transitions between them (OpenVidu Pro 2.15
//! "Media Node statuses"). Pure: callers apply a change and then emit
//! `mediaNodeStatusChanged` for it.

use crate::openvidu_enums::wire_enum;

wire_enum!(
    /// A media node's `status` as the REST API and `mediaNodeStatusChanged` spell it.
    NodeStatus {
        Launching = "launching",
        Canceled = "canceled",
        Failed = "failed",
        Running = "running",
        WaitingIdleToTerminate = "waiting-idle-to-terminate",
        Terminating = "terminating",
        Terminated = "terminated",
    }
);

impl NodeStatus {
    /// Only a running node takes new sessions.
    pub fn takes_new_sessions(self) -> bool {
        self == NodeStatus::Running
    }
}

/// Why a status changes without an operator asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    LaunchSucceeded,
    LaunchFailed,
    /// The last session of a draining node closed.
    LastSessionClosed,
    /// The node process or instance is gone.
    TerminationDone,
}

/// The answer to a `PATCH` asking for `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManualChange {
    /// Already in that status (`204`).
    Unchanged,
    Changed(NodeStatus),
    /// Not a transition an operator may ask for (`400`).
    Refused(String),
}

/// The transitions an operator may request (2.15 set).
pub fn manual(from: NodeStatus, to: NodeStatus) -> ManualChange {
    use NodeStatus::*;
    if from == to {
        return ManualChange::Unchanged;
    }
    let allowed = matches!(
        (from, to),
        (Launching, Canceled)
            | (Canceled, Launching)
            | (Running, WaitingIdleToTerminate)
            | (WaitingIdleToTerminate, Running)
            | (Running | WaitingIdleToTerminate, Terminating)
    );
    if allowed {
        ManualChange::Changed(to)
    } else {
        ManualChange::Refused(format!("A media node cannot be changed from status '{from}' to '{to}'"))
    }
}

/// The transition a happening causes from `from`, if any.
pub fn automatic(from: NodeStatus, happening: Happening) -> Option<NodeStatus> {
    use NodeStatus::*;
    match (from, happening) {
        (Launching, Happening::LaunchSucceeded) => Some(Running),
        // Canceled while launching: terminate as soon as the launch ends.
        (Canceled, Happening::LaunchSucceeded) => Some(Terminating),
        (Launching | Canceled, Happening::LaunchFailed) => Some(Failed),
        (WaitingIdleToTerminate, Happening::LastSessionClosed) => Some(Terminating),
        (Terminating, Happening::TerminationDone) => Some(Terminated),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::NodeStatus::*;
    use super::*;
    use crate::openvidu_enums::WireEnum;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for &status in NodeStatus::ALL {
            assert_eq!(NodeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(NodeStatus::parse("RUNNING"), None);
        assert_eq!(NodeStatus::parse(""), None);
    }

    #[test]
    fn every_manual_pair_is_decided_as_documented() {
        let allowed = [
            (Launching, Canceled),
            (Canceled, Launching),
            (Running, WaitingIdleToTerminate),
            (WaitingIdleToTerminate, Running),
            (Running, Terminating),
            (WaitingIdleToTerminate, Terminating),
        ];
        for &from in NodeStatus::ALL {
            for &to in NodeStatus::ALL {
                let decided = manual(from, to);
                if from == to {
                    assert_eq!(decided, ManualChange::Unchanged, "{from} -> {to}");
                } else if allowed.contains(&(from, to)) {
                    assert_eq!(decided, ManualChange::Changed(to), "{from} -> {to}");
                } else {
                    assert!(matches!(decided, ManualChange::Refused(_)), "{from} -> {to} must be refused");
                }
            }
        }
    }

    #[test]
    fn failed_and_terminated_are_never_manual_targets() {
        for &from in NodeStatus::ALL {
            for to in [Failed, Terminated] {
                if from != to {
                    assert!(matches!(manual(from, to), ManualChange::Refused(_)));
                }
            }
        }
    }

    #[test]
    fn every_automatic_pair_is_decided_as_documented() {
        let expected = [
            (Launching, Happening::LaunchSucceeded, Running),
            (Canceled, Happening::LaunchSucceeded, Terminating),
            (Launching, Happening::LaunchFailed, Failed),
            (Canceled, Happening::LaunchFailed, Failed),
            (WaitingIdleToTerminate, Happening::LastSessionClosed, Terminating),
            (Terminating, Happening::TerminationDone, Terminated),
        ];
        let happenings = [
            Happening::LaunchSucceeded,
            Happening::LaunchFailed,
            Happening::LastSessionClosed,
            Happening::TerminationDone,
        ];
        for &from in NodeStatus::ALL {
            for happening in happenings {
                let want = expected.iter().find(|(f, h, _)| *f == from && *h == happening).map(|(_, _, to)| *to);
                assert_eq!(automatic(from, happening), want, "{from} on {happening:?}");
            }
        }
    }

    #[test]
    fn only_running_nodes_take_sessions() {
        for &status in NodeStatus::ALL {
            assert_eq!(status.takes_new_sessions(), status == Running);
        }
    }
}
