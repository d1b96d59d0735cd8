//! One ordered bus for every event of a generation of services.
//!
//! Publishing never blocks and never awaits, so the conference core can
//! publish inside its critical section: the order on the bus is the order in
//! which things were decided. Each subscriber has its own unbounded queue, so
//! a slow one delays nobody and loses nothing; a subscriber that is gone is
//! forgotten. A [`BusSink`] instead takes each event inside `publish`: for a
//! subscriber that bounds its own queue (webhooks), it saves a channel and a
//! task wake-up per event on the call path.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::event::EventRecord;

/// A subscriber that takes each event synchronously, in publication order.
pub trait BusSink: Send + Sync {
    /// Takes one event. Runs inside the publisher's critical section: it must not block.
    fn accept(&self, record: &Arc<EventRecord>);
    /// The bus closed: nothing more will come.
    fn closed(&self);
}

#[derive(Default)]
struct Subscribers {
    channels: Vec<mpsc::UnboundedSender<Arc<EventRecord>>>,
    sinks: Vec<Arc<dyn BusSink>>,
}

/// Every subscriber; `None` once the bus is closed.
type Open = Option<Subscribers>;

#[derive(Clone, Default)]
pub struct EventBus {
    subscribers: Arc<Mutex<Open>>,
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
        Self { subscribers: Arc::new(Mutex::new(Some(Subscribers::default()))) }
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.subscribers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new subscriber sees every event published from now on.
    pub fn subscribe(&self) -> Subscription {
        let (sender, receiver) = mpsc::unbounded_channel();
        match self.lock().as_mut() {
            Some(subscribers) => subscribers.channels.push(sender),
            None => tracing::warn!("subscribing to a closed event bus: nothing will arrive"),
        }
        Subscription(receiver)
    }

    /// `sink` takes every event published from now on, until the bus closes.
    pub fn attach(&self, sink: Arc<dyn BusSink>) {
        match self.lock().as_mut() {
            Some(subscribers) => subscribers.sinks.push(sink),
            None => {
                tracing::warn!("attaching to a closed event bus: nothing will arrive");
                sink.closed();
            }
        }
    }

    pub fn publish(&self, record: EventRecord) {
        let record = Arc::new(record);
        let mut subscribers = self.lock();
        match subscribers.as_mut() {
            Some(subscribers) => {
                subscribers.channels.retain(|subscriber| subscriber.send(record.clone()).is_ok());
                for sink in &subscribers.sinks {
                    sink.accept(&record);
                }
            }
            // Said out loud: an event after the services stopped is not lost silently.
            None => tracing::warn!(event = %record.cdr_line(), "event after the services stopped; not recorded"),
        }
    }

    /// Ends every subscription once it has received what was published before.
    pub fn close(&self) {
        let closed = self.lock().take();
        for sink in closed.map(|s| s.sinks).unwrap_or_default() {
            sink.closed();
        }
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
        assert_eq!(bus.lock().as_ref().map(|s| s.channels.len()), Some(1));
        assert!(kept.try_recv().is_some());
    }

    #[test]
    fn a_sink_takes_every_event_in_order_and_hears_the_close() {
        #[derive(Default)]
        struct Recorder(Mutex<(Vec<u64>, bool)>);
        impl BusSink for Recorder {
            fn accept(&self, record: &Arc<EventRecord>) {
                self.0.lock().unwrap().0.push(record.timestamp);
            }
            fn closed(&self) {
                self.0.lock().unwrap().1 = true;
            }
        }
        let bus = EventBus::new();
        bus.publish(created("before", 1));
        let sink = Arc::new(Recorder::default());
        bus.attach(sink.clone());
        bus.publish(created("a", 2));
        bus.publish(created("b", 3));
        bus.close();
        bus.publish(created("after", 4));
        assert_eq!(*sink.0.lock().unwrap(), (vec![2, 3], true));
        let late = Arc::new(Recorder::default());
        bus.attach(late.clone());
        assert!(late.0.lock().unwrap().1, "attaching to a closed bus says it is closed");
    }
}
