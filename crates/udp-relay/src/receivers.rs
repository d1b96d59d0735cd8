//! The relay's fan-out list: the receivers' addresses in the form `sendmmsg`
//! takes, plus an index for joins and leaves. Bounded, so that a flood of
//! `JOIN`s from forged addresses cannot grow it without end.

use std::collections::HashMap;
use std::net::SocketAddr;

use socket2::SockAddr;

#[derive(Debug)]
pub struct Receivers {
    destinations: Vec<SockAddr>,
    addresses: Vec<SocketAddr>,
    index: HashMap<SocketAddr, usize>,
    limit: usize,
}

/// What a join did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joined {
    New,
    Already,
    /// The list is full; the receiver was not added.
    Full,
}

impl Receivers {
    pub fn new(limit: usize) -> Self {
        Self { destinations: Vec::new(), addresses: Vec::new(), index: HashMap::new(), limit }
    }

    pub fn join(&mut self, address: SocketAddr) -> Joined {
        if self.index.contains_key(&address) {
            return Joined::Already;
        }
        if self.addresses.len() >= self.limit {
            return Joined::Full;
        }
        self.index.insert(address, self.addresses.len());
        self.addresses.push(address);
        self.destinations.push(SockAddr::from(address));
        Joined::New
    }

    /// Removes `address`; false if it was not there.
    pub fn leave(&mut self, address: SocketAddr) -> bool {
        let Some(at) = self.index.remove(&address) else { return false };
        self.addresses.swap_remove(at);
        self.destinations.swap_remove(at);
        if let Some(moved) = self.addresses.get(at) {
            self.index.insert(*moved, at);
        }
        true
    }

    pub fn contains(&self, address: &SocketAddr) -> bool {
        self.index.contains_key(address)
    }

    /// Where every forwarded packet goes.
    pub fn destinations(&self) -> &[SockAddr] {
        &self.destinations
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn joins_once_leaves_and_keeps_the_index_straight() {
        let mut receivers = Receivers::new(10);
        for port in 1..=4 {
            assert_eq!(receivers.join(address(port)), Joined::New);
        }
        assert_eq!(receivers.join(address(2)), Joined::Already);
        assert_eq!(receivers.len(), 4);
        assert!(receivers.leave(address(1)));
        assert!(!receivers.leave(address(1)));
        // Port 4 moved into the freed place; leaving it must still work.
        assert!(receivers.leave(address(4)));
        assert!(receivers.contains(&address(2)) && receivers.contains(&address(3)));
        let ports: Vec<u16> = receivers.destinations().iter().map(|d| d.as_socket().unwrap().port()).collect();
        assert_eq!(ports.len(), 2);
        assert!(ports.contains(&2) && ports.contains(&3));
    }

    #[test]
    fn refuses_joins_past_the_limit() {
        let mut receivers = Receivers::new(2);
        assert_eq!(receivers.join(address(1)), Joined::New);
        assert_eq!(receivers.join(address(2)), Joined::New);
        assert_eq!(receivers.join(address(3)), Joined::Full);
        assert_eq!(receivers.join(address(1)), Joined::Already);
        assert!(receivers.leave(address(2)));
        assert_eq!(receivers.join(address(3)), Joined::New);
        assert!(!receivers.is_empty());
    }
}
