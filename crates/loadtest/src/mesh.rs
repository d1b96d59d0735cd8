//! A mesh: rooms in which every participant publishes and subscribes to every
//! other participant, as in a video call (the SFU benchmark's "10 rooms of 6").
//! This file holds the shape (`10x6` on the command line) and the order in
//! which its subscriptions are made.

use std::fmt;
use std::str::FromStr;

/// `rooms` rooms of `size` participants; each participant publishes one stream and
/// receives the `size - 1` others, so a room has `size * (size - 1)` subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mesh {
    rooms: usize,
    size: usize,
}

/// One subscription of a mesh: participant `subscriber` of `room` receives participant `publisher`'s stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeshSubscription {
    pub room: usize,
    pub subscriber: usize,
    pub publisher: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeshError {
    #[error("expected ROOMSxSIZE, such as 10x6")]
    Syntax,
    #[error("a mesh needs at least one room")]
    NoRoom,
    #[error("a mesh room needs at least 2 participants (each subscribes to the others)")]
    TooSmall,
    #[error("a mesh that large cannot be counted")]
    TooLarge,
}

impl Mesh {
    /// Checks the shape: at least one room, at least two participants per room (a lone
    /// participant has nobody to receive), and a subscription count that fits a `usize`.
    pub fn new(rooms: usize, size: usize) -> Result<Self, MeshError> {
        if rooms == 0 {
            return Err(MeshError::NoRoom);
        }
        if size < 2 {
            return Err(MeshError::TooSmall);
        }
        rooms.checked_mul(size).and_then(|n| n.checked_mul(size - 1)).ok_or(MeshError::TooLarge)?;
        Ok(Self { rooms, size })
    }

    pub fn rooms(&self) -> usize {
        self.rooms
    }

    /// Participants (and so publishers) per room.
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn publishers(&self) -> usize {
        self.rooms * self.size
    }

    pub fn subscriptions(&self) -> usize {
        self.publishers() * (self.size - 1)
    }

    /// Every subscription, in the order to make them: round `r` (1 to `size - 1`) has
    /// each participant `p` of each room subscribe to participant `(p + r) % size`.
    /// Every publisher so gains one subscriber per round, and the connections of a
    /// round are spread over all rooms, rather than one room being filled first
    /// (the fan-out mode's rounds do the same).
    pub fn plan(&self) -> impl Iterator<Item = MeshSubscription> + '_ {
        (1..self.size).flat_map(move |round| {
            (0..self.rooms).flat_map(move |room| {
                (0..self.size).map(move |subscriber| MeshSubscription {
                    room,
                    subscriber,
                    publisher: (subscriber + round) % self.size,
                })
            })
        })
    }
}

impl FromStr for Mesh {
    type Err = MeshError;

    /// `ROOMSxSIZE`: `10x6` is 10 rooms of 6 participants.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (rooms, size) = text.trim().split_once(['x', 'X']).ok_or(MeshError::Syntax)?;
        let number = |part: &str| part.trim().parse::<usize>().map_err(|_| MeshError::Syntax);
        Self::new(number(rooms)?, number(size)?)
    }
}

impl fmt::Display for Mesh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.rooms, self.size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn shapes_are_parsed_and_checked() {
        assert_eq!("10x6".parse(), Mesh::new(10, 6));
        assert_eq!(" 2 X 3 ".parse::<Mesh>().map(|m| (m.rooms(), m.size())), Ok((2, 3)));
        assert_eq!("10x6".parse::<Mesh>().map(|m| m.to_string()), Ok("10x6".to_string()));
        assert_eq!("10".parse::<Mesh>(), Err(MeshError::Syntax));
        assert_eq!("x6".parse::<Mesh>(), Err(MeshError::Syntax));
        assert_eq!("10x-6".parse::<Mesh>(), Err(MeshError::Syntax));
        assert_eq!("10x6x2".parse::<Mesh>(), Err(MeshError::Syntax));
        assert_eq!("0x6".parse::<Mesh>(), Err(MeshError::NoRoom));
        assert_eq!("10x1".parse::<Mesh>(), Err(MeshError::TooSmall));
        assert_eq!(Mesh::new(usize::MAX, 3), Err(MeshError::TooLarge));
        assert_eq!(Mesh::new(1, usize::MAX), Err(MeshError::TooLarge));
    }

    #[test]
    fn ten_rooms_of_six_make_sixty_publishers_and_three_hundred_subscriptions() {
        let mesh = Mesh::new(10, 6).unwrap();
        assert_eq!((mesh.publishers(), mesh.subscriptions()), (60, 300));
        assert_eq!(mesh.plan().count(), 300);
    }

    #[test]
    fn every_participant_receives_each_other_participant_of_its_room_once() {
        for (rooms, size) in [(1, 2), (3, 4), (10, 6)] {
            let mesh = Mesh::new(rooms, size).unwrap();
            let plan: Vec<_> = mesh.plan().collect();
            let distinct: HashSet<_> = plan.iter().map(|s| (s.room, s.subscriber, s.publisher)).collect();
            assert_eq!(distinct.len(), plan.len(), "no subscription twice");
            assert!(plan.iter().all(|s| s.room < rooms && s.subscriber < size && s.publisher < size));
            assert!(plan.iter().all(|s| s.subscriber != s.publisher), "nobody receives itself");
            for room in 0..rooms {
                for participant in 0..size {
                    let receives = plan.iter().filter(|s| s.room == room && s.subscriber == participant).count();
                    let received_by = plan.iter().filter(|s| s.room == room && s.publisher == participant).count();
                    assert_eq!((receives, received_by), (size - 1, size - 1));
                }
            }
        }
    }

    #[test]
    fn each_round_gives_every_publisher_one_subscriber_across_all_rooms() {
        let mesh = Mesh::new(2, 3).unwrap();
        let plan: Vec<_> = mesh.plan().collect();
        for round in plan.chunks(mesh.publishers()) {
            let publishers: HashSet<_> = round.iter().map(|s| (s.room, s.publisher)).collect();
            assert_eq!(publishers.len(), mesh.publishers());
        }
        let first = MeshSubscription { room: 0, subscriber: 0, publisher: 1 };
        let last = MeshSubscription { room: 1, subscriber: 2, publisher: 1 };
        assert_eq!((plan.first(), plan.last()), (Some(&first), Some(&last)));
    }
}
