//! Where media goes inside a worker: links are followed through PassThroughs
//! down to the WebRTC endpoints that really send and receive, so the per-frame
//! path is one table lookup.

use std::collections::HashMap;

use crate::control::links::MediaType;

/// A worker's elements are slots; `Slot` is a slot index.
pub type Slot = usize;

#[derive(Debug, Default)]
pub struct Routes {
    /// For a receiving WebRTC endpoint and a media type: the WebRTC endpoints its frames go to.
    fanout: HashMap<(Slot, MediaType), Vec<Slot>>,
    /// For a sending WebRTC endpoint and a media type: the WebRTC endpoint its media comes from.
    origin: HashMap<(Slot, MediaType), Slot>,
}

impl Routes {
    /// Computes the routes from `source_of[(sink, media)] = source`.
    /// `is_webrtc` tells endpoints from PassThroughs; loops end the walk.
    pub fn compute(source_of: &HashMap<(Slot, MediaType), Slot>, is_webrtc: impl Fn(Slot) -> bool) -> Self {
        let mut routes = Routes::default();
        for (&(sink, media), &first) in source_of {
            if !is_webrtc(sink) {
                continue;
            }
            let mut current = first;
            let mut steps = 0;
            while !is_webrtc(current) {
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

    #[test]
    fn follows_passthroughs_to_the_real_endpoints() {
        // 0 publisher -> 1 passthrough -> 2, 3 subscribers (video); audio only to 2.
        let links =
            HashMap::from([((1, Video), 0), ((2, Video), 1), ((3, Video), 1), ((1, Audio), 0), ((2, Audio), 1)]);
        let routes = Routes::compute(&links, |s| s != 1);
        assert_eq!(routes.fanout[&(0, Video)], vec![2, 3]);
        assert_eq!(routes.fanout[&(0, Audio)], vec![2]);
        assert_eq!(routes.origin(3, Video), Some(0));
        assert_eq!(routes.origin(3, Audio), None);
    }

    #[test]
    fn a_passthrough_loop_leads_nowhere() {
        let links = HashMap::from([((1, Video), 2), ((2, Video), 1), ((3, Video), 1)]);
        let routes = Routes::compute(&links, |s| s == 3);
        assert_eq!(routes.origin(3, Video), None);
        assert!(!routes.has_sinks(1, Video));
    }

    #[test]
    fn a_passthrough_without_source_leads_nowhere() {
        let links = HashMap::from([((2, Video), 1)]);
        let routes = Routes::compute(&links, |s| s != 1);
        assert_eq!(routes.origin(2, Video), None);
    }

    #[test]
    fn lent_sinks_come_back() {
        let links = HashMap::from([((1, Video), 0)]);
        let mut routes = Routes::compute(&links, |_| true);
        let sinks = routes.take_sinks(0, Video);
        assert_eq!(sinks, vec![1]);
        routes.restore(0, Video, sinks);
        assert!(routes.has_sinks(0, Video));
    }
}
