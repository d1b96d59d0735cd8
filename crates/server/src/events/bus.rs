//! One ordered bus for every event of a generation of services.
//!
//! Publishing never blocks and never awaits, so the conference core can
//! publish inside its critical section: the order on the bus is the order in
//! which things were decided. Each subscriber has its own unbounded queue, so
//! a slow one (a webhook receiver that is down) delays nobody and loses
//! nothing; a subscriber that is gone is forgotten.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::event::EventRecord;

/// Every subscriber's queue; `None` once the bus is closed.
type Subscribers = Option<Vec<mpsc::UnboundedSender<Arc<EventRecord>>>>;

#[derive(Clone, Default)]
pub struct EventBus {
    subscribers: Arc<Mutex<Subscribers>>,
}

/// What one subscriber receives, in publication order; ends once the bus is closed.
pub struct Subscription(mpsc::UnboundedReceiver<Arc<EventRecord>>);

impl Subscription {
    pub async fn recv(&mut self) -> Option<Arc<EventRecord>> {
        self.0.recv().await
    }

    /// For subscribers on their own thread (the CDR writer).
    pub fn blocking_recv(&mut self) -> Option<Arc<EventRecord>> {
        self.0.blocking_recv()
    }

    /// What is queued now, without waiting.
    pub fn try_recv(&mut self) -> Option<Arc<EventRecord>> {
        self.0.try_recv().ok()
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self { subscribers: Arc::new(Mutex::new(Some(Vec::new()))) }
    }

    fn lock(&self) -> MutexGuard<'_, Subscribers> {
        self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new subscriber sees every event published from now on.
    pub fn subscribe(&self) -> Subscription {
        let (sender, receiver) = mpsc::unbounded_channel();
        match self.lock().as_mut() {
            Some(subscribers) => subscribers.push(sender),
            None => tracing::warn!("subscribing to a closed event bus: nothing will arrive"),
        }
        Subscription(receiver)
    }

    pub fn publish(&self, record: EventRecord) {
        let record = Arc::new(record);
        let mut subscribers = self.lock();
        match subscribers.as_mut() {
            Some(subscribers) => subscribers.retain(|subscriber| subscriber.send(record.clone()).is_ok()),
            // Said out loud: an event after the services stopped is not lost silently.
            None => tracing::warn!(event = %record.cdr_line(), "event after the services stopped; not recorded"),
        }
    }

    /// Ends every subscription once it has received what was published before.
    pub fn close(&self) {
        self.lock().take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::event::{Event, SessionRef};

    fn created(id: &str, at: u64) -> EventRecord {
        Event::SessionCreated { session: SessionRef { session_id: id.into(), created_at: at } }.at(at)
    }

    #[test]
    fn every_subscriber_gets_every_event_in_order_until_the_bus_closes() {
        let bus = EventBus::new();
        let mut first = bus.subscribe();
        bus.publish(created("a", 1));
        let mut second = bus.subscribe();
        bus.publish(created("b", 2));
        bus.close();
        bus.publish(created("c", 3));
        let names = |s: &mut Subscription| std::iter::from_fn(|| s.try_recv()).map(|r| r.timestamp).collect::<Vec<_>>();
        assert_eq!(names(&mut first), [1, 2]);
        assert_eq!(names(&mut second), [2]);
        assert!(first.blocking_recv().is_none(), "closed after the queue is drained");
    }

    #[test]
    fn a_dropped_subscriber_is_forgotten() {
        let bus = EventBus::new();
        drop(bus.subscribe());
        let mut kept = bus.subscribe();
        bus.publish(created("a", 1));
        assert_eq!(bus.lock().as_ref().map(Vec::len), Some(1));
        assert!(kept.try_recv().is_some());
    }
}
