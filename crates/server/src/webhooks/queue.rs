//! The bounded queue of one webhook endpoint.
//!
//! The bus hands every event to the webhooks without limit, so that publishing
//! never blocks; this queue is where the limit is. A receiver that is down or
//! hangs makes the queue grow up to its capacity, then each new event pushes
//! the oldest one out: the newest events are the ones an application needs to
//! catch up with the present, and memory stays bounded whatever the receiver does.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::events::EventRecord;

/// An event waiting for delivery, and when it was queued (ms).
#[derive(Debug, Clone)]
pub struct Queued {
    pub record: Arc<EventRecord>,
    pub queued_at: u64,
}

#[derive(Debug)]
pub struct BoundedQueue {
    items: VecDeque<Queued>,
    capacity: usize,
}

impl BoundedQueue {
    /// A queue of at least one event.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { items: VecDeque::with_capacity(capacity.min(1024)), capacity }
    }

    /// Queues `record` at `now`; returns the oldest event when the queue was full and it had to go.
    pub fn push(&mut self, record: Arc<EventRecord>, now: u64) -> Option<Queued> {
        let dropped = (self.items.len() >= self.capacity).then(|| self.items.pop_front()).flatten();
        self.items.push_back(Queued { record, queued_at: now });
        dropped
    }

    /// The oldest event, to deliver next.
    pub fn pop(&mut self) -> Option<Queued> {
        self.items.pop_front()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Event, SessionRef};

    fn created(id: &str) -> Arc<EventRecord> {
        Arc::new(Event::SessionCreated { session: SessionRef { session_id: id.into(), created_at: 1 } }.at(1))
    }

    fn id(queued: &Queued) -> String {
        queued.record.event.subject()
    }

    #[test]
    fn events_come_out_in_the_order_they_went_in() {
        let mut queue = BoundedQueue::new(3);
        for (n, name) in ["a", "b", "c"].into_iter().enumerate() {
            assert!(queue.push(created(name), n as u64).is_none());
        }
        let out: Vec<String> = std::iter::from_fn(|| queue.pop()).map(|q| id(&q)).collect();
        assert_eq!(out, ["a", "b", "c"]);
        assert!(queue.is_empty());
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_keeps_the_newest() {
        let mut queue = BoundedQueue::new(2);
        assert!(queue.push(created("a"), 10).is_none());
        assert!(queue.push(created("b"), 11).is_none());
        let dropped = queue.push(created("c"), 12).expect("full: the oldest goes");
        assert_eq!((id(&dropped), dropped.queued_at), ("a".to_string(), 10));
        assert_eq!(queue.len(), 2);
        let dropped = queue.push(created("d"), 13).expect("still full");
        assert_eq!(id(&dropped), "b");
        let out: Vec<String> = std::iter::from_fn(|| queue.pop()).map(|q| id(&q)).collect();
        assert_eq!(out, ["c", "d"]);
    }

    #[test]
    fn a_zero_capacity_still_holds_the_newest_event() {
        let mut queue = BoundedQueue::new(0);
        assert_eq!(queue.capacity(), 1);
        assert!(queue.push(created("a"), 1).is_none());
        assert_eq!(queue.push(created("b"), 2).map(|q| id(&q)), Some("a".into()));
        assert_eq!(queue.pop().map(|q| id(&q)), Some("b".into()));
    }
}
