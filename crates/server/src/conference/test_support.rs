//! A small world for the conference core's tests: sessions, tokens, joined
//! participants and streams, made through the core's own commands.

use serde_json::json;

use super::{Conference, HiddenJoin, JoinRequest, Outcome, PublishRequest};
use crate::ids::IdGenerator;
use crate::json_fields::Fields;
use crate::openvidu_enums::VideoCodec;
use crate::session::connection::{EndpointStats, MediaOptions};
use crate::session::join::JoinDetails;
use crate::session::{ConnectionDefaults, ConnectionProperties, SessionDefaults, SessionProperties, SessionStore};

pub struct World {
    pub conference: Conference,
}

pub fn names(outcome: &Outcome) -> Vec<&'static str> {
    outcome.notices().map(|n| n.method).collect()
}

pub fn event_names(outcome: &Outcome) -> Vec<&'static str> {
    outcome.events.iter().map(|e| e.event.name()).collect()
}

pub fn publish_request() -> PublishRequest {
    PublishRequest {
        options: MediaOptions {
            has_audio: true,
            audio_active: true,
            has_video: true,
            video_active: true,
            type_of_video: "CAMERA".into(),
            frame_rate: Some(30),
            video_dimensions: String::new(),
            filter: json!({}),
        },
        type_of_video: Some("CAMERA".into()),
    }
}

pub fn endpoint() -> EndpointStats {
    EndpointStats {
        webrtc_endpoint_name: "endpoint".into(),
        remote_sdp: "offer".into(),
        local_sdp: "answer".into(),
        activity: Default::default(),
    }
}

pub fn request(rpc: &str, session: &str, token: &str) -> JoinRequest {
    JoinRequest { rpc: rpc.into(), session: session.into(), token: token.into(), details: JoinDetails::default() }
}

/// Places every session on `node`.
pub fn placer(node: &'static str) -> impl FnMut(&str, Option<&str>) -> Result<String, String> {
    move |_, _| Ok(node.to_string())
}

impl World {
    pub fn new() -> Self {
        Self { conference: Conference::new(SessionStore::new(IdGenerator::seeded(11))) }
    }

    pub fn session_props(&self, id: &str) -> SessionProperties {
        let body = json!({"customSessionId": id});
        let defaults = SessionDefaults { forced_video_codec: VideoCodec::Vp8, allow_transcoding: false };
        SessionProperties::parse(&Fields::new(body.as_object().unwrap()), defaults).unwrap()
    }

    pub fn session(&mut self, id: &str, now: u64) {
        if self.conference.store().session(id).is_none() {
            self.conference.create_session(self.session_props(id), now).unwrap();
        }
    }

    fn connection_with_role(&mut self, session: &str, role: &str) -> (String, String) {
        self.session(session, 1);
        let body = json!({"role": role});
        let props = ConnectionProperties::parse(
            &Fields::new(body.as_object().unwrap()),
            &ConnectionDefaults { ice_servers: &[] },
        )
        .unwrap();
        let connection = self.conference.create_connection(session, props, "ws://h", 1, |_| String::new()).unwrap();
        (connection.id.clone(), connection.token.as_ref().unwrap().id.clone())
    }

    pub fn pending(&mut self, session: &str) -> String {
        self.connection_with_role(session, "PUBLISHER").0
    }

    pub fn token(&mut self, session: &str) -> String {
        self.connection_with_role(session, "PUBLISHER").1
    }

    pub fn joined_as(&mut self, session: &str, rpc: &str, role: &str) -> String {
        let (_, token) = self.connection_with_role(session, role);
        let request = request(rpc, session, &token);
        let (result, _) = self.conference.join(request, &mut placer("node_1"), 2).unwrap();
        result["id"].as_str().unwrap().to_string()
    }

    pub fn joined(&mut self, session: &str, rpc: &str) -> String {
        self.joined_as(session, rpc, "PUBLISHER")
    }

    pub fn hidden(&mut self, session: &str, rpc: &str) -> String {
        let request = HiddenJoin {
            rpc: rpc.into(),
            session: session.into(),
            recorder: false,
            create: self.session_props(session),
        };
        let (result, _) = self.conference.join_hidden(request, &mut placer("node_1"), 3).unwrap();
        result["id"].as_str().unwrap().to_string()
    }

    pub fn published(&mut self, session: &str, connection: &str, now: u64) -> String {
        let ticket = self.conference.begin_publish(session, connection, publish_request()).unwrap();
        let (_, result) = self.conference.finish_publish(ticket, endpoint(), now);
        result.unwrap()["id"].as_str().unwrap().to_string()
    }

    pub fn subscribed(&mut self, session: &str, connection: &str, stream: &str, now: u64) {
        let ticket = self.conference.begin_subscribe(session, connection, stream).unwrap();
        self.conference.finish_subscribe(ticket, endpoint(), now);
    }
}
