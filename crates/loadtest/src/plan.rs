//! What a run connects, whatever its shape: how many publishers each room gets
//! and which publisher each subscription receives. [`crate::load`] carries a
//! plan out; the shapes only differ here.

use std::fmt;

use serde_json::{Value, json};

use crate::mesh::Mesh;

/// How a run's rooms, publishers and subscribers are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A room per publisher, each watched by `subscribers` receive-only clients (a broadcast).
    FanOut { publishers: usize, subscribers: usize },
    /// Rooms whose participants all publish and all receive each other (a call).
    Mesh(Mesh),
}

/// One subscription: the stream it receives, and who (if anyone) makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    /// Index of the received publisher among all the run's publishers (see [`Plan::rooms`]).
    pub publisher: usize,
    /// In a mesh, the index of the publishing participant that receives; `None` for a
    /// fan-out's receive-only subscriber.
    pub by: Option<usize>,
}

/// A shape spelled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Publishers per room, room after room; the run's publishers are numbered in this
    /// order (room 0's first, then room 1's, ...), which is also the order of
    /// [`crate::metrics::Sample::publishers`].
    pub rooms: Vec<usize>,
    /// Every subscription, in the order they are to be connected.
    pub subscriptions: Vec<Subscription>,
}

impl Shape {
    pub fn plan(&self) -> Plan {
        match *self {
            Shape::FanOut { publishers, subscribers } => Plan {
                rooms: vec![1; publishers],
                // Round after round, one subscriber more for every publisher.
                subscriptions: (0..subscribers)
                    .flat_map(|_| (0..publishers).map(|publisher| Subscription { publisher, by: None }))
                    .collect(),
            },
            Shape::Mesh(mesh) => {
                let index = |room: usize, participant: usize| room * mesh.size() + participant;
                Plan {
                    rooms: vec![mesh.size(); mesh.rooms()],
                    subscriptions: mesh
                        .plan()
                        .map(|s| Subscription {
                            publisher: index(s.room, s.publisher),
                            by: Some(index(s.room, s.subscriber)),
                        })
                        .collect(),
                }
            }
        }
    }
}

impl Shape {
    /// The shape as reported next to the numbers (`--json`), so a result says what was measured.
    pub fn to_json(&self) -> Value {
        match self {
            Shape::FanOut { publishers, subscribers } => {
                json!({"mode": "fan-out", "publishers": publishers, "subscribers_per_publisher": subscribers})
            }
            Shape::Mesh(mesh) => json!({"mode": "mesh", "rooms": mesh.rooms(), "room_size": mesh.size()}),
        }
    }
}

impl Default for Shape {
    fn default() -> Self {
        Shape::FanOut { publishers: 1, subscribers: 1 }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::FanOut { publishers, subscribers } => write!(
                f,
                "fan-out: {publishers} rooms of 1 publisher and {subscribers} subscribers ({} subscriptions)",
                publishers.saturating_mul(*subscribers)
            ),
            Shape::Mesh(mesh) => write!(
                f,
                "mesh {mesh}: {} rooms of {} participants ({} publishers, {} subscriptions)",
                mesh.rooms(),
                mesh.size(),
                mesh.publishers(),
                mesh.subscriptions()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fan_out_has_a_room_per_publisher_and_subscribes_round_by_round() {
        let plan = Shape::FanOut { publishers: 2, subscribers: 3 }.plan();
        assert_eq!(plan.rooms, vec![1, 1]);
        let publishers: Vec<_> = plan.subscriptions.iter().map(|s| s.publisher).collect();
        assert_eq!(publishers, vec![0, 1, 0, 1, 0, 1]);
        assert!(plan.subscriptions.iter().all(|s| s.by.is_none()));
        assert_eq!(
            Shape::default().plan(),
            Plan { rooms: vec![1], subscriptions: vec![Subscription { publisher: 0, by: None }] }
        );
    }

    #[test]
    fn a_mesh_subscribes_within_rooms_to_the_others_only() {
        let mesh = Mesh::new(3, 4).unwrap();
        let plan = Shape::Mesh(mesh).plan();
        assert_eq!(plan.rooms, vec![4, 4, 4]);
        assert_eq!(plan.subscriptions.len(), 36);
        let room = |publisher: usize| publisher / 4;
        for subscription in &plan.subscriptions {
            let by = subscription.by.expect("mesh subscriptions are made by participants");
            assert_ne!(by, subscription.publisher);
            assert_eq!(room(by), room(subscription.publisher));
        }
        for publisher in 0..12 {
            assert_eq!(plan.subscriptions.iter().filter(|s| s.publisher == publisher).count(), 3);
            assert_eq!(plan.subscriptions.iter().filter(|s| s.by == Some(publisher)).count(), 3);
        }
        assert_eq!(plan.subscriptions[4], Subscription { publisher: 5, by: Some(4) });
    }

    #[test]
    fn shapes_describe_themselves() {
        let mesh = Shape::Mesh(Mesh::new(10, 6).unwrap());
        assert_eq!(mesh.to_string(), "mesh 10x6: 10 rooms of 6 participants (60 publishers, 300 subscriptions)");
        let fan_out = Shape::FanOut { publishers: 2, subscribers: 10 };
        assert_eq!(fan_out.to_string(), "fan-out: 2 rooms of 1 publisher and 10 subscribers (20 subscriptions)");
        assert_eq!(mesh.to_json(), json!({"mode": "mesh", "rooms": 10, "room_size": 6}));
        assert_eq!(Shape::default().to_json()["mode"], "fan-out");
    }
}
