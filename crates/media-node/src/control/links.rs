//! Connections between media elements: `source.connect(sink, mediaType?)`.
//!
//! A sink receives each media type from at most one source at a time;
//! connecting a new source for a type replaces the old link, as in Kurento.
//! Without a media type a connection covers audio, video and data. The SFU
//! forwards along these links.

use std::collections::BTreeMap;

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::object_id;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MediaType {
    Audio,
    Video,
    Data,
}

impl MediaType {
    pub const ALL: [MediaType; 3] = [MediaType::Audio, MediaType::Video, MediaType::Data];

    pub fn parse(text: &str) -> Result<Self, RpcError> {
        match text {
            "AUDIO" => Ok(MediaType::Audio),
            "VIDEO" => Ok(MediaType::Video),
            "DATA" => Ok(MediaType::Data),
            other => Err(RpcError::new(
                ErrorCode::MarshallError,
                format!("'mediaType' parameter should be a MediaType (AUDIO, VIDEO or DATA), got '{other}'"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Audio => "AUDIO",
            MediaType::Video => "VIDEO",
            MediaType::Data => "DATA",
        }
    }

    /// The types a call covers: the one given, or all of them.
    pub fn covered(given: Option<MediaType>) -> Vec<MediaType> {
        given.map_or_else(|| Self::ALL.to_vec(), |t| vec![t])
    }
}

/// One change of the graph, for `ElementConnected`/`ElementDisconnected` events and the SFU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkChange {
    Connected { source: String, sink: String, media: MediaType },
    Disconnected { source: String, sink: String, media: MediaType },
}

/// For each (sink, media type), its source.
#[derive(Debug, Default)]
pub struct Links {
    source_of: BTreeMap<(String, MediaType), String>,
}

impl Links {
    /// Connects `source` to `sink`; both must be in the same pipeline.
    pub fn connect(&mut self, source: &str, sink: &str, media: Option<MediaType>) -> Result<Vec<LinkChange>, RpcError> {
        if object_id::pipeline_of(source) != object_id::pipeline_of(sink) {
            return Err(RpcError::new(ErrorCode::ConnectError, "Cannot connect elements of different pipelines"));
        }
        let mut changes = Vec::new();
        for media in MediaType::covered(media) {
            let key = (sink.to_string(), media);
            match self.source_of.insert(key, source.to_string()) {
                Some(previous) if previous == source => continue,
                Some(previous) => changes.push(LinkChange::Disconnected { source: previous, sink: sink.into(), media }),
                None => {}
            }
            changes.push(LinkChange::Connected { source: source.into(), sink: sink.into(), media });
        }
        Ok(changes)
    }

    /// Disconnects `source` from `sink`; links that do not exist are ignored.
    pub fn disconnect(&mut self, source: &str, sink: &str, media: Option<MediaType>) -> Vec<LinkChange> {
        let mut changes = Vec::new();
        for media in MediaType::covered(media) {
            let key = (sink.to_string(), media);
            if self.source_of.get(&key).is_some_and(|s| s == source) {
                self.source_of.remove(&key);
                changes.push(LinkChange::Disconnected { source: source.into(), sink: sink.into(), media });
            }
        }
        changes
    }

    /// Drops every link to or from `element` (it was released).
    pub fn forget(&mut self, element: &str) -> Vec<LinkChange> {
        let mut changes = Vec::new();
        self.source_of.retain(|(sink, media), source| {
            let touched = sink == element || source == element;
            if touched {
                changes.push(LinkChange::Disconnected { source: source.clone(), sink: sink.clone(), media: *media });
            }
            !touched
        });
        changes
    }

    pub fn source_of(&self, sink: &str, media: MediaType) -> Option<&str> {
        self.source_of.get(&(sink.to_string(), media)).map(String::as_str)
    }

    /// The sinks `source` feeds with `media`.
    pub fn sinks_of<'a>(&'a self, source: &'a str, media: MediaType) -> impl Iterator<Item = &'a str> + 'a {
        self.source_of
            .iter()
            .filter(move |((_, m), s)| *m == media && s.as_str() == source)
            .map(|((sink, _), _)| sink.as_str())
    }

    /// `(source, sink, media)` of every link that involves `element`, as source (`as_source`) or sink.
    pub fn links_of(&self, element: &str, as_source: bool) -> Vec<(String, String, MediaType)> {
        self.source_of
            .iter()
            .filter(|((sink, _), source)| if as_source { source.as_str() == element } else { sink == element })
            .map(|((sink, media), source)| (source.clone(), sink.clone(), *media))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "p_kurento.MediaPipeline";

    fn id(name: &str) -> String {
        format!("{P}/{name}_kurento.PassThrough")
    }

    #[test]
    fn connect_without_type_covers_all_and_reconnecting_is_a_no_op() {
        let mut links = Links::default();
        let (a, b) = (id("a"), id("b"));
        let changes = links.connect(&a, &b, None).unwrap();
        assert_eq!(changes.len(), 3);
        assert!(links.connect(&a, &b, None).unwrap().is_empty());
        assert_eq!(links.source_of(&b, MediaType::Video), Some(a.as_str()));
        assert_eq!(links.sinks_of(&a, MediaType::Audio).collect::<Vec<_>>(), vec![b.as_str()]);
    }

    #[test]
    fn a_new_source_replaces_the_old_one_per_media_type() {
        let mut links = Links::default();
        let (a, b, sink) = (id("a"), id("b"), id("sink"));
        links.connect(&a, &sink, None).unwrap();
        let changes = links.connect(&b, &sink, Some(MediaType::Video)).unwrap();
        assert_eq!(
            changes,
            vec![
                LinkChange::Disconnected { source: a.clone(), sink: sink.clone(), media: MediaType::Video },
                LinkChange::Connected { source: b.clone(), sink: sink.clone(), media: MediaType::Video },
            ]
        );
        assert_eq!(links.source_of(&sink, MediaType::Audio), Some(a.as_str()));
        assert_eq!(links.source_of(&sink, MediaType::Video), Some(b.as_str()));
    }

    #[test]
    fn disconnect_per_type_and_forget_on_release() {
        let mut links = Links::default();
        let (a, b, c) = (id("a"), id("b"), id("c"));
        links.connect(&a, &b, None).unwrap();
        links.connect(&b, &c, None).unwrap();
        assert_eq!(links.disconnect(&a, &b, Some(MediaType::Audio)).len(), 1, "mute audio");
        assert!(links.disconnect(&c, &b, None).is_empty(), "c is not b's source");
        assert_eq!(links.links_of(&b, true).len(), 3);
        let forgotten = links.forget(&b);
        assert_eq!(forgotten.len(), 5, "two links into b, three out of it");
        assert!(links.links_of(&a, true).is_empty());
    }

    #[test]
    fn elements_of_different_pipelines_cannot_connect() {
        let mut links = Links::default();
        let other = "q_kurento.MediaPipeline/x_kurento.PassThrough";
        assert_eq!(links.connect(&id("a"), other, None).unwrap_err().code, 40004);
        assert_eq!(MediaType::parse("SOUND").unwrap_err().code, 40001);
    }
}
