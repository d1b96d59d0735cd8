//! Matching Janus's replies to the requests waiting for them. Every request
//! carries a transaction of ours; Janus echoes it in an `ack`, `success`,
//! `error` or plugin `event`. Whether an `ack` is the end depends on the
//! request: `keepalive` and `trickle` get nothing else, while asynchronous
//! plugin requests (`join`, `start`, ...) are acked first and answered by an
//! `event` later, so the waiter stays until then.

use std::collections::HashMap;

use tokio::sync::oneshot;

use super::message::{Incoming, Reply};

/// What ends a request's wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// Its `ack` (keepalive, trickle).
    Ack,
    /// A `success`, `event` or `error`; an `ack` only says it is being worked on.
    Reply,
}

/// A request's result: the reply, or why it failed (Janus's reason).
pub type Outcome = Result<Reply, String>;

struct Waiter {
    completion: Completion,
    reply: oneshot::Sender<Outcome>,
}

#[derive(Default)]
pub struct Transactions {
    next: u64,
    waiting: HashMap<String, Waiter>,
    closed: bool,
}

impl Transactions {
    /// A new transaction id and where its outcome will arrive; `None` once the connection is closed.
    pub fn begin(&mut self, completion: Completion) -> Option<(String, oneshot::Receiver<Outcome>)> {
        if self.closed {
            return None;
        }
        self.next += 1;
        let transaction = format!("plt-{}", self.next);
        let (reply, outcome) = oneshot::channel();
        self.waiting.insert(transaction.clone(), Waiter { completion, reply });
        Some((transaction, outcome))
    }

    /// Hands `incoming` to the request it answers. Returns it when it answers
    /// none (a notification, or a reply to a request that gave up waiting).
    pub fn settle(&mut self, incoming: Incoming) -> Option<Incoming> {
        let (transaction, outcome) = match &incoming {
            Incoming::Ack { transaction } => {
                match self.waiting.get(transaction) {
                    Some(waiter) if waiter.completion == Completion::Reply => return None,
                    Some(_) => {}
                    None => return Some(incoming),
                }
                (transaction, Ok(Reply::default()))
            }
            Incoming::Success { transaction, reply } => (transaction, Ok(reply.clone())),
            Incoming::Event { transaction: Some(transaction), reply, .. } => (transaction, Ok(reply.clone())),
            Incoming::Error { transaction: Some(transaction), code, reason } => {
                (transaction, Err(format!("{reason} (Janus error {code})")))
            }
            _ => return Some(incoming),
        };
        match self.waiting.remove(transaction) {
            Some(waiter) => {
                // The requester may have timed out meanwhile; nothing to do then.
                let _ = waiter.reply.send(outcome);
                None
            }
            None => Some(incoming),
        }
    }

    /// Stops waiting for `transaction` (the request timed out).
    pub fn forget(&mut self, transaction: &str) {
        self.waiting.remove(transaction);
    }

    /// The connection is gone: every waiter fails now, and no new request starts.
    pub fn close(&mut self) {
        self.closed = true;
        self.waiting.clear();
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(transaction: &str) -> Incoming {
        let reply = Reply { plugin: Some(json!({"videoroom": "joined"})), ..Reply::default() };
        Incoming::Event { transaction: Some(transaction.into()), sender: Some(1), reply }
    }

    #[test]
    fn an_ack_ends_a_keepalive_but_not_a_join() {
        let mut transactions = Transactions::default();
        let (keepalive, mut keepalive_outcome) = transactions.begin(Completion::Ack).unwrap();
        let (join, mut join_outcome) = transactions.begin(Completion::Reply).unwrap();
        assert_ne!(keepalive, join);
        assert_eq!(transactions.settle(Incoming::Ack { transaction: keepalive }), None);
        assert_eq!(keepalive_outcome.try_recv(), Ok(Ok(Reply::default())));
        assert_eq!(transactions.settle(Incoming::Ack { transaction: join.clone() }), None);
        assert!(join_outcome.try_recv().is_err(), "an ack must not end an asynchronous request");
        assert_eq!(transactions.settle(event(&join)), None);
        let Ok(Ok(reply)) = join_outcome.try_recv() else { panic!("no reply") };
        assert_eq!(reply.plugin, Some(json!({"videoroom": "joined"})));
        assert_eq!(transactions.waiting(), 0);
    }

    #[test]
    fn an_event_may_come_before_its_ack() {
        let mut transactions = Transactions::default();
        let (start, mut outcome) = transactions.begin(Completion::Reply).unwrap();
        assert_eq!(transactions.settle(event(&start)), None);
        assert!(matches!(outcome.try_recv(), Ok(Ok(_))));
        let late = Incoming::Ack { transaction: start };
        assert_eq!(transactions.settle(late.clone()), Some(late));
        assert_eq!(transactions.waiting(), 0);
    }

    #[test]
    fn success_and_error_settle_their_own_transaction() {
        let mut transactions = Transactions::default();
        let (first, mut first_outcome) = transactions.begin(Completion::Reply).unwrap();
        let (second, mut second_outcome) = transactions.begin(Completion::Reply).unwrap();
        let error = Incoming::Error { transaction: Some(second), code: 458, reason: "No such session".into() };
        assert_eq!(transactions.settle(error), None);
        assert_eq!(second_outcome.try_recv(), Ok(Err("No such session (Janus error 458)".to_string())));
        assert!(first_outcome.try_recv().is_err());
        let success = Incoming::Success { transaction: first, reply: Reply::default() };
        assert_eq!(transactions.settle(success), None);
        assert_eq!(first_outcome.try_recv(), Ok(Ok(Reply::default())));
    }

    #[test]
    fn notifications_and_strangers_are_handed_back() {
        let mut transactions = Transactions::default();
        let notification = Incoming::Event { transaction: None, sender: Some(3), reply: Reply::default() };
        assert_eq!(transactions.settle(notification.clone()), Some(notification));
        let unknown = Incoming::Ack { transaction: "plt-99".into() };
        assert_eq!(transactions.settle(unknown.clone()), Some(unknown));
        let late = event("plt-42");
        assert_eq!(transactions.settle(late.clone()), Some(late));
        let trickle = Incoming::Trickle { sender: 3, candidate: None };
        assert_eq!(transactions.settle(trickle.clone()), Some(trickle));
    }

    #[test]
    fn a_forgotten_request_ignores_its_late_reply() {
        let mut transactions = Transactions::default();
        let (transaction, _outcome) = transactions.begin(Completion::Reply).unwrap();
        transactions.forget(&transaction);
        assert!(transactions.settle(event(&transaction)).is_some());
        assert_eq!(transactions.waiting(), 0);
    }

    #[test]
    fn closing_fails_every_waiter_and_refuses_new_ones() {
        let mut transactions = Transactions::default();
        let (_, mut outcome) = transactions.begin(Completion::Reply).unwrap();
        transactions.close();
        assert!(matches!(outcome.try_recv(), Err(oneshot::error::TryRecvError::Closed)));
        assert!(transactions.begin(Completion::Ack).is_none());
    }
}
