//! Where media goes inside a worker: links are followed through PassThroughs
//! down to the WebRTC endpoints that really send and receive (and the taps of
//! recorders and Composite inputs), so the per-frame path is one table lookup.

use std::collections::HashMap;

use crate::control::links::MediaType;

/// A worker's elements are slots; `Slot` is a slot index.
pub type Slot = usize;

/// What an element is to routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A WebRTC endpoint: where media starts, and a sink.
    Endpoint,
    /// A recorder or a HubPort input: a sink only.
    Tap,
    /// Carries what its source carries.
    PassThrough,
    /// Neither carries nor receives frames (a Composite's output HubPort).
    Opaque,
}

#[derive(Debug, Default)]
pub struct Routes {
    /// For a receiving WebRTC endpoint and a media type: the sinks (endpoints, taps) its frames go to.
    fanout: HashMap<(Slot, MediaType), Vec<Slot>>,
    /// For a sending WebRTC endpoint and a media type: the WebRTC endpoint its media comes from.
    origin: HashMap<(Slot, MediaType), Slot>,
}

impl Routes {
    /// Computes the routes from `source_of[(sink, media)] = source`.
    /// The walk from a sink goes up through PassThroughs only; loops end it.
    pub fn compute(source_of: &HashMap<(Slot, MediaType), Slot>, role: impl Fn(Slot) -> Role) -> Self {
        let mut routes = Routes::default();
        let is_webrtc = |slot: Slot| role(slot) == Role::Endpoint;
        for (&(sink, media), &first) in source_of {
            if !matches!(role(sink), Role::Endpoint | Role::Tap) {
                continue;
            }
            let mut current = first;
            let mut steps = 0;
            while role(current) == Role::PassThrough {
                match source_of.get(&(current, media)) {
                    Some(&next) if steps <= source_of.len() => current = next,
                    _ => break,
                }
                steps += 1;
            }
            if is_webrtc(current) {
                routes.origin.insert((sink, media), current);
                routes.fanout.entry((current, media)).or_default().push(sink);
            }
        }
        for sinks in routes.fanout.values_mut() {
            sinks.sort_unstable();
        }
        routes
    }

    pub fn origin(&self, sink: Slot, media: MediaType) -> Option<Slot> {
        self.origin.get(&(sink, media)).copied()
    }

    pub fn has_sinks(&self, source: Slot, media: MediaType) -> bool {
        self.fanout.get(&(source, media)).is_some_and(|s| !s.is_empty())
    }

    /// Lends the sink list out (no copy on the per-frame path); give it back with [`Routes::restore`].
    pub fn take_sinks(&mut self, source: Slot, media: MediaType) -> Vec<Slot> {
        self.fanout.get_mut(&(source, media)).map(std::mem::take).unwrap_or_default()
    }

    pub fn restore(&mut self, source: Slot, media: MediaType, sinks: Vec<Slot>) {
        if let Some(slot) = self.fanout.get_mut(&(source, media)) {
            *slot = sinks;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MediaType::{Audio, Video};

    fn webrtc_unless(passthrough: Slot) -> impl Fn(Slot) -> Role {
        move |s| if s == passthrough { Role::PassThrough } else { Role::Endpoint }
    }

    #[test]
    fn follows_passthroughs_to_the_real_endpoints() {
        // 0 publisher -> 1 passthrough -> 2, 3 subscribers (video); audio only to 2.
        let links =
            HashMap::from([((1, Video), 0), ((2, Video), 1), ((3, Video), 1), ((1, Audio), 0), ((2, Audio), 1)]);
        let routes = Routes::compute(&links, webrtc_unless(1));
        assert_eq!(routes.fanout[&(0, Video)], vec![2, 3]);
        assert_eq!(routes.fanout[&(0, Audio)], vec![2]);
        assert_eq!(routes.origin(3, Video), Some(0));
        assert_eq!(routes.origin(3, Audio), None);
    }

    #[test]
    fn a_passthrough_loop_leads_nowhere() {
        let links = HashMap::from([((1, Video), 2), ((2, Video), 1), ((3, Video), 1)]);
        let routes = Routes::compute(&links, |s| if s == 3 { Role::Endpoint } else { Role::PassThrough });
        assert_eq!(routes.origin(3, Video), None);
        assert!(!routes.has_sinks(1, Video));
    }

    #[test]
    fn a_passthrough_without_source_leads_nowhere() {
        let links = HashMap::from([((2, Video), 1)]);
        let routes = Routes::compute(&links, webrtc_unless(1));
        assert_eq!(routes.origin(2, Video), None);
    }

    #[test]
    fn lent_sinks_come_back() {
        let links = HashMap::from([((1, Video), 0)]);
        let mut routes = Routes::compute(&links, |_| Role::Endpoint);
        let sinks = routes.take_sinks(0, Video);
        assert_eq!(sinks, vec![1]);
        routes.restore(0, Video, sinks);
        assert!(routes.has_sinks(0, Video));
    }

    #[test]
    fn taps_are_sinks_through_passthroughs_but_hub_ports_stop_the_walk() {
        // 0 publisher -> 1 passthrough -> 2 recorder tap, 3 hub port input tap; 3's composite
        // output port 4 -> 5 recorder tap.
        let links =
            HashMap::from([((1, Video), 0), ((2, Video), 1), ((3, Video), 1), ((5, Video), 4), ((4, Video), 1)]);
        let role = |s: Slot| match s {
            0 => Role::Endpoint,
            1 => Role::PassThrough,
            2 | 3 | 5 => Role::Tap,
            _ => Role::Opaque,
        };
        let routes = Routes::compute(&links, role);
        assert_eq!(routes.fanout[&(0, Video)], vec![2, 3]);
        assert_eq!(routes.origin(2, Video), Some(0));
        assert_eq!(routes.origin(5, Video), None, "a composite's output is not the publisher's media");
    }
}
