//! Publishing and subscribing: the rules of `publishVideo`, `receiveVideoFrom`,
//! `reconnectStream`, `unpublishVideo`, `unsubscribeFromVideo`,
//! `streamPropertyChanged`, `forceUnpublish` and REST stream deletion.

use serde_json::{Value, json};

use super::outcome::{Effect, Outcome, Recipients};
use super::refusal::{Code, Refusal};
use super::views::{owner_of_stream, session_ref, stream_info, stream_json};
use super::{Conference, published, subscriptions_to};
use crate::codec_forcing::{self, CodecPolicy};
use crate::events::{EndReason, Ended, Event};
use crate::openvidu_enums::{Role, VideoCodec, WireEnum};
use crate::session::Session;
use crate::session::connection::{EndpointStats, MediaOptions, Publisher, Subscriber};
use crate::session::{KurentoOptions, StoreError};

/// The session's `forcedVideoCodec` and `allowTranscoding`.
fn codec_policy(session: &Session) -> CodecPolicy {
    CodecPolicy { forced: session.props.forced_video_codec, allow_transcoding: session.props.allow_transcoding }
}

/// `publishVideo`'s parameters, parsed by the adapter.
#[derive(Debug, Clone)]
pub struct PublishRequest {
    pub options: MediaOptions,
    /// As the client named it (`CAMERA`, `SCREEN`, `CUSTOM`), for the stream id.
    pub type_of_video: Option<String>,
}

/// A publish the node is negotiating: what it needs, and what [`Conference::finish_publish`] records.
#[derive(Debug, Clone)]
pub struct PublishTicket {
    pub session: String,
    pub connection: String,
    pub stream_id: String,
    /// The media node hosting the session.
    pub node: String,
    pub options: MediaOptions,
    /// The connection's bandwidth overrides.
    pub kurento_options: Option<KurentoOptions>,
    /// The session's `forcedVideoCodec` and `allowTranscoding`.
    pub codec: CodecPolicy,
}

/// A subscription the node is negotiating.
#[derive(Debug, Clone)]
pub struct SubscribeTicket {
    pub session: String,
    pub subscriber: String,
    /// The publisher's connection id (the endpoint name in signaling).
    pub publisher: String,
    pub stream_id: String,
    pub kurento_options: Option<KurentoOptions>,
    pub codec: CodecPolicy,
    /// The video codec the publisher sends (the first of its endpoint's answer): the node
    /// cannot transcode, so the subscriber must take that one.
    pub sending: Option<VideoCodec>,
}

/// `streamPropertyChanged`'s parameters.
#[derive(Debug, Clone)]
pub struct PropertyChange {
    pub stream: String,
    pub property: String,
    pub new_value: Value,
    pub reason: String,
}

impl Conference {
    /// Checks that the participant may publish (role, not publishing already, a node)
    /// and reserves its stream id.
    pub fn begin_publish(
        &mut self,
        session_id: &str,
        connection: &str,
        request: PublishRequest,
    ) -> Result<PublishTicket, Refusal> {
        if self.role(session_id, connection).is_none_or(|role| role == Role::Subscriber) {
            return Err(Refusal::new(Code::UserUnauthorized, "A SUBSCRIBER cannot publish"));
        }
        let key = (session_id.to_string(), connection.to_string());
        let publishing = self
            .store
            .connection(session_id, connection)
            .ok()
            .and_then(|c| c.participant.as_ref())
            .is_some_and(|p| !p.publishers.is_empty());
        if publishing || self.publishing.contains(&key) {
            return Err(Refusal::new(Code::Generic, "This participant is publishing already"));
        }
        let session = self.store.session(session_id).ok_or_else(|| Refusal::new(Code::RoomClosed, "Session closed"))?;
        let node = session
            .media_node_id
            .clone()
            .ok_or_else(|| Refusal::new(Code::RoomCannotBeCreated, "The session's media node is not reachable"))?;
        let codec = codec_policy(session);
        let kurento_options = self.kurento_options(session_id, connection);
        let has_video = request.options.has_video;
        let stream_id = self.store.ids().stream_id(request.type_of_video.as_deref(), has_video, connection);
        self.publishing.insert(key);
        Ok(PublishTicket {
            session: session_id.into(),
            connection: connection.into(),
            stream_id,
            node,
            options: request.options,
            kurento_options,
            codec,
        })
    }

    /// The node negotiated the stream: it is recorded and the others are told. If the
    /// participant went away meanwhile, the new media is released instead.
    pub fn finish_publish(
        &mut self,
        ticket: PublishTicket,
        endpoint: EndpointStats,
        now: u64,
    ) -> (Outcome, Result<Value, Refusal>) {
        let mut outcome = Outcome::default();
        let PublishTicket { session: session_id, connection, stream_id, options, .. } = ticket;
        let still_publishing = self.publishing.remove(&(session_id.clone(), connection.clone()));
        let publisher = Publisher { stream_id: stream_id.clone(), created_at: now, media_options: options, endpoint };
        let stream = stream_json(&publisher);
        let info = stream_info(&connection, &publisher, None);
        let recorded = still_publishing
            && self.store.participant_mut(&session_id, &connection).map(|p| p.publishers.push(publisher)).is_some();
        if !recorded {
            outcome.effect(Effect::UnpublishMedia { session: session_id, connection });
            return (outcome, Err(Refusal::new(Code::RoomClosed, "The participant left while its stream was set up")));
        }
        let session = self.store.session(&session_id).expect("recorded above");
        outcome.notify(
            &session_id,
            Recipients::AllBut(connection.clone()),
            "participantPublished",
            json!({"id": connection, "streams": [stream]}),
        );
        outcome.event(Event::WebrtcConnectionCreated { session: session_ref(session), stream: info }.at(now));
        (outcome, Ok(json!({"id": stream_id, "createdAt": now})))
    }

    /// The node could not negotiate: the participant may try again.
    pub fn abort_publish(&mut self, ticket: &PublishTicket) {
        self.publishing.remove(&(ticket.session.clone(), ticket.connection.clone()));
    }

    /// The publisher renegotiated its stream (`reconnectStream`): same id and creation
    /// time, new endpoint. Returns the creation time.
    pub fn republished(
        &mut self,
        session: &str,
        connection: &str,
        stream: &str,
        endpoint: EndpointStats,
    ) -> Option<u64> {
        let participant = self.store.participant_mut(session, connection)?;
        let published = participant.publishers.iter_mut().find(|p| p.stream_id == stream)?;
        published.endpoint = endpoint;
        Some(published.created_at)
    }

    /// What a subscription to `sender` (a stream id) needs.
    pub fn begin_subscribe(
        &self,
        session_id: &str,
        connection: &str,
        sender: &str,
    ) -> Result<SubscribeTicket, Refusal> {
        let publisher = owner_of_stream(sender)
            .ok_or_else(|| Refusal::new(Code::InvalidParams, format!("'{sender}' is not a stream id")))?;
        let session = self.store.session(session_id).ok_or_else(|| Refusal::new(Code::RoomClosed, "Session closed"))?;
        let Some((_, source)) = published(session, sender) else {
            return Err(Refusal::new(Code::Generic, format!("Stream '{sender}' is not published")));
        };
        let sending = codec_forcing::first_video_codec(&source.endpoint.local_sdp);
        Ok(SubscribeTicket {
            session: session_id.into(),
            subscriber: connection.into(),
            publisher: publisher.into(),
            stream_id: sender.into(),
            kurento_options: self.kurento_options(session_id, connection),
            codec: codec_policy(session),
            sending,
        })
    }

    /// The node negotiated the subscription: it is recorded (a previous one to the same
    /// stream is replaced). If either side went away meanwhile, it is released.
    pub fn finish_subscribe(&mut self, ticket: SubscribeTicket, endpoint: EndpointStats, now: u64) -> Outcome {
        let mut outcome = Outcome::default();
        let SubscribeTicket { session: session_id, subscriber, publisher, stream_id, .. } = ticket;
        let source = self.store.session(&session_id).and_then(|s| published(s, &stream_id).map(|(_, p)| p.clone()));
        let replaced = match (&source, self.store.participant_mut(&session_id, &subscriber)) {
            (Some(_), Some(participant)) => {
                let before = participant.subscribers.len();
                participant.subscribers.retain(|s| s.stream_id != stream_id);
                let replaced = participant.subscribers.len() != before;
                participant.subscribers.push(Subscriber { stream_id, created_at: now, endpoint });
                replaced
            }
            _ => {
                outcome.effect(Effect::UnsubscribeMedia { session: session_id, subscriber, publisher });
                return outcome;
            }
        };
        if !replaced && let (Some(source), Some(session)) = (source, self.store.session(&session_id)) {
            let stream = stream_info(&subscriber, &source, Some(&publisher));
            outcome.event(Event::WebrtcConnectionCreated { session: session_ref(session), stream }.at(now));
        }
        outcome
    }

    /// Takes a participant's stream down: the others (and, when forced, the owner) get
    /// `participantUnpublished`; the subscriptions to it end too.
    pub fn unpublish(
        &mut self,
        session_id: &str,
        connection: &str,
        reason: EndReason,
        tell_owner: bool,
        now: u64,
    ) -> Result<Outcome, Refusal> {
        let not_publishing = || Refusal::new(Code::Generic, "This participant is not publishing");
        let session = self.store.session(session_id).ok_or_else(not_publishing)?;
        let publisher = session
            .connections
            .get(connection)
            .and_then(|c| c.participant.as_ref())
            .and_then(|p| p.publishers.first())
            .cloned()
            .ok_or_else(not_publishing)?;
        let mut outcome = Outcome::default();
        let reference = session_ref(session);
        for (subscriber, created_at) in subscriptions_to(session, &publisher.stream_id) {
            let stream = stream_info(subscriber, &publisher, Some(connection));
            let ended = Ended { start_time: created_at, reason };
            outcome.event(Event::WebrtcConnectionDestroyed { session: reference.clone(), stream, ended }.at(now));
        }
        let ended = Ended { start_time: publisher.created_at, reason };
        let stream = stream_info(connection, &publisher, None);
        outcome.event(Event::WebrtcConnectionDestroyed { session: reference, stream, ended }.at(now));
        let session = self.store.session_mut(session_id).expect("checked above");
        for participant in session.connections.values_mut().filter_map(|c| c.participant.as_mut()) {
            participant.publishers.retain(|p| p.stream_id != publisher.stream_id);
            participant.subscribers.retain(|s| s.stream_id != publisher.stream_id);
        }
        outcome.effect(Effect::UnpublishMedia { session: session_id.into(), connection: connection.into() });
        let params = json!({"connectionId": connection, "reason": reason.as_str()});
        let to = if tell_owner { Recipients::All } else { Recipients::AllBut(connection.into()) };
        outcome.notify(session_id, to, "participantUnpublished", params);
        Ok(outcome)
    }

    /// `forceUnpublish` by a moderator: the stream's owner is told too.
    pub fn force_unpublish(&mut self, session: &str, by: &str, stream: &str, now: u64) -> Result<Outcome, Refusal> {
        self.require_moderator(session, by)?;
        let owner = owner_of_stream(stream).unwrap_or("").to_string();
        self.unpublish(session, &owner, EndReason::ForceUnpublishByUser, true, now)
            .map_err(|_| Refusal::new(Code::Generic, format!("Stream '{stream}' not found")))
    }

    /// REST `DELETE …/stream/{id}`: OpenVidu tells a missing session (400) from a missing
    /// stream (404) and refuses IP cameras' streams (405).
    pub fn remove_stream(&mut self, session: &str, stream: &str, now: u64) -> Result<Outcome, StoreError> {
        let owner = self.store.stream_owner(session, stream)?.id.clone();
        self.unpublish(session, &owner, EndReason::ForceUnpublishByServer, true, now)
            .map_err(|_| StoreError::StreamNotFound)
    }

    /// `unsubscribeFromVideo`: `sender` is the publisher's connection id (2.32) or a stream id (older).
    pub fn unsubscribe(
        &mut self,
        session_id: &str,
        connection: &str,
        sender: &str,
        now: u64,
    ) -> Result<Outcome, Refusal> {
        let publisher = owner_of_stream(sender).unwrap_or(sender).to_string();
        let not_subscribed = || Refusal::new(Code::Generic, format!("Not subscribed to '{sender}'"));
        let session = self.store.session(session_id).ok_or_else(not_subscribed)?;
        let subscription = session
            .connections
            .get(connection)
            .and_then(|c| c.participant.as_ref())
            .and_then(|p| p.subscribers.iter().find(|s| owner_of_stream(&s.stream_id) == Some(publisher.as_str())))
            .cloned()
            .ok_or_else(not_subscribed)?;
        let mut outcome = Outcome::default();
        if let Some((_, source)) = published(session, &subscription.stream_id) {
            let stream = stream_info(connection, source, Some(&publisher));
            let ended = Ended { start_time: subscription.created_at, reason: EndReason::Unsubscribe };
            outcome.event(Event::WebrtcConnectionDestroyed { session: session_ref(session), stream, ended }.at(now));
        }
        if let Some(participant) = self.store.participant_mut(session_id, connection) {
            participant.subscribers.retain(|s| s.stream_id != subscription.stream_id);
        }
        outcome.effect(Effect::UnsubscribeMedia {
            session: session_id.into(),
            subscriber: connection.into(),
            publisher,
        });
        Ok(outcome)
    }

    /// `streamPropertyChanged`: recorded and passed on to the others.
    pub fn change_property(
        &mut self,
        session: &str,
        connection: &str,
        change: PropertyChange,
    ) -> Result<Outcome, Refusal> {
        let PropertyChange { stream, property, new_value, reason } = change;
        if let Some(participant) = self.store.participant_mut(session, connection) {
            let Some(publisher) = participant.publishers.iter_mut().find(|p| p.stream_id == stream) else {
                return Err(Refusal::new(Code::Generic, format!("'{stream}' is not a stream of this participant")));
            };
            let as_bool = |v: &Value| v.as_bool().or_else(|| v.as_str().map(|s| s == "true")).unwrap_or(false);
            match property.as_str() {
                "audioActive" => publisher.media_options.audio_active = as_bool(&new_value),
                "videoActive" => publisher.media_options.video_active = as_bool(&new_value),
                "videoDimensions" => {
                    publisher.media_options.video_dimensions = new_value.as_str().unwrap_or_default().to_string()
                }
                _ => {}
            }
        }
        let mut outcome = Outcome::default();
        let params = json!({"connectionId": connection, "streamId": stream, "property": property,
                            "newValue": new_value, "reason": reason});
        outcome.notify(session, Recipients::AllBut(connection.into()), "streamPropertyChanged", params);
        Ok(outcome)
    }

    /// What a publisher's renegotiation (`reconnectStream`) needs: its bandwidth overrides and
    /// the session's codec rules.
    pub fn republish_terms(&self, session: &str, connection: &str) -> Option<(Option<KurentoOptions>, CodecPolicy)> {
        let policy = codec_policy(self.store.session(session)?);
        Some((self.kurento_options(session, connection), policy))
    }

    /// The connection's bandwidth overrides (the token's `kurentoOptions`).
    fn kurento_options(&self, session: &str, connection: &str) -> Option<KurentoOptions> {
        self.store.connection(session, connection).ok().and_then(|c| c.props.kurento_options.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conference::test_support::*;

    #[test]
    fn subscribers_cannot_publish_and_nobody_publishes_twice() {
        let mut world = World::new();
        let viewer = world.joined_as("room", "rv", "SUBSCRIBER");
        let refusal = world.conference.begin_publish("room", &viewer, publish_request()).unwrap_err();
        assert_eq!((refusal.code, refusal.message.as_str()), (Code::UserUnauthorized, "A SUBSCRIBER cannot publish"));
        let hidden = world.hidden("room", "rh");
        assert_eq!(
            world.conference.begin_publish("room", &hidden, publish_request()).unwrap_err().code,
            Code::UserUnauthorized
        );

        let publisher = world.joined("room", "rp");
        let ticket = world.conference.begin_publish("room", &publisher, publish_request()).unwrap();
        assert!(ticket.stream_id.starts_with("str_CAM_") && ticket.stream_id.ends_with(&publisher));
        assert_eq!(ticket.node, "node_1");
        let refusal = world.conference.begin_publish("room", &publisher, publish_request()).unwrap_err();
        assert_eq!(refusal.message, "This participant is publishing already", "refused while negotiating");
        world.conference.abort_publish(&ticket);
        let ticket = world.conference.begin_publish("room", &publisher, publish_request()).expect("may try again");
        let (outcome, result) = world.conference.finish_publish(ticket, endpoint(), 40);
        assert_eq!(result.unwrap()["createdAt"], 40);
        assert_eq!(names(&outcome), ["participantPublished"]);
        assert_eq!(event_names(&outcome), ["webrtcConnectionCreated"]);
        assert_eq!(
            world.conference.begin_publish("room", &publisher, publish_request()).unwrap_err().code,
            Code::Generic
        );
    }

    #[test]
    fn a_publish_finished_after_its_publisher_left_is_released() {
        let mut world = World::new();
        let publisher = world.joined("room", "rp");
        world.joined("room", "ro");
        let ticket = world.conference.begin_publish("room", &publisher, publish_request()).unwrap();
        world.conference.leave("room", &publisher, EndReason::NetworkDisconnect, 5);
        let (outcome, result) = world.conference.finish_publish(ticket, endpoint(), 6);
        assert!(result.is_err());
        assert_eq!(outcome.effects, [Effect::UnpublishMedia { session: "room".into(), connection: publisher }]);
    }

    #[test]
    fn subscriptions_are_recorded_once_and_end_with_unsubscribe() {
        let mut world = World::new();
        let publisher = world.joined("room", "rp");
        let viewer = world.joined("room", "rv");
        assert_eq!(
            world.conference.begin_subscribe("room", &viewer, "nonsense").unwrap_err().code,
            Code::InvalidParams
        );
        let missing = format!("str_CAM_Abcd_{publisher}");
        assert_eq!(world.conference.begin_subscribe("room", &viewer, &missing).unwrap_err().code, Code::Generic);
        let stream = world.published("room", &publisher, 10);
        let ticket = world.conference.begin_subscribe("room", &viewer, &stream).unwrap();
        assert_eq!(ticket.publisher, publisher);
        assert_eq!(
            event_names(&world.conference.finish_subscribe(ticket.clone(), endpoint(), 11)),
            ["webrtcConnectionCreated"]
        );
        assert!(
            world.conference.finish_subscribe(ticket, endpoint(), 12).events.is_empty(),
            "a resubscription replaces"
        );
        let outcome = world.conference.unsubscribe("room", &viewer, &publisher, 13).unwrap();
        assert_eq!(outcome.events[0].fields()["reason"], "unsubscribe");
        assert!(matches!(outcome.effects[0], Effect::UnsubscribeMedia { .. }));
        assert_eq!(
            world.conference.unsubscribe("room", &viewer, &publisher, 14).unwrap_err().message,
            format!("Not subscribed to '{publisher}'")
        );
    }

    #[test]
    fn unpublishing_ends_the_stream_and_its_subscriptions_and_tells_the_owner_only_when_forced() {
        let mut world = World::new();
        let publisher = world.joined("room", "rp");
        let viewer = world.joined("room", "rv");
        let stream = world.published("room", &publisher, 10);
        world.subscribed("room", &viewer, &stream, 11);
        let outcome = world.conference.unpublish("room", &publisher, EndReason::Unpublish, false, 20).unwrap();
        assert_eq!(outcome.notices().next().unwrap().to, Recipients::AllBut(publisher.clone()));
        assert_eq!(event_names(&outcome), ["webrtcConnectionDestroyed", "webrtcConnectionDestroyed"]);
        assert!(world.conference.unpublish("room", &publisher, EndReason::Unpublish, false, 21).is_err());

        let stream = world.published("room", &publisher, 30);
        let refusal = world.conference.force_unpublish("room", &viewer, &stream, 31).unwrap_err();
        assert_eq!(refusal.code, Code::UserUnauthorized);
        let outcome = world.conference.remove_stream("room", &stream, 32).unwrap();
        let notice = outcome.notices().next().unwrap();
        assert_eq!((&notice.to, &notice.params["reason"]), (&Recipients::All, &json!("forceUnpublishByServer")));
        assert_eq!(world.conference.remove_stream("nope", &stream, 33).unwrap_err(), StoreError::SessionNotFound);
        assert_eq!(world.conference.remove_stream("room", &stream, 33).unwrap_err(), StoreError::StreamNotFound);
    }

    #[test]
    fn property_changes_are_recorded_and_passed_on() {
        let mut world = World::new();
        let publisher = world.joined("room", "rp");
        let stream = world.published("room", &publisher, 10);
        let change = |property: &str, value: Value| PropertyChange {
            stream: stream.clone(),
            property: property.into(),
            new_value: value,
            reason: "publishAudio".into(),
        };
        let outcome =
            world.conference.change_property("room", &publisher, change("audioActive", json!("false"))).unwrap();
        assert_eq!(outcome.notices().next().unwrap().method, "streamPropertyChanged");
        let recorded =
            &world.conference.store().connection("room", &publisher).unwrap().participant.as_ref().unwrap().publishers
                [0];
        assert!(!recorded.media_options.audio_active);
        let wrong = PropertyChange { stream: "str_X".into(), ..change("videoActive", json!(true)) };
        assert!(world.conference.change_property("room", &publisher, wrong).is_err());
    }
}
