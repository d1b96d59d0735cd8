//! The control plane: one Kurento request in, a reply (or a media request to
//! make first), media commands and events out. No I/O: the websocket adapter
//! feeds it requests and routes what it returns, the media workers carry out
//! the commands.

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::event::Event;
use kurento_protocol::method::Call;
use kurento_protocol::object_id::{self, SERVER_MANAGER_ID};
use serde_json::{Map, Value, json};

use super::binding::{Bindings, SocketId};
use super::classes::{Access, accessor};
use super::links::{LinkChange, Links, MediaType};
use super::recording_params::{self, CompositeParams, RecorderParams};
use super::registry::Registry;
use super::server_manager::{self, SystemSnapshot};

/// What a media element is, for the media layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementKind {
    WebRtc {
        recv_only: bool,
        send_only: bool,
    },
    PassThrough,
    Composite(CompositeParams),
    /// A port of the Composite that is its parent (the id's parent).
    HubPort,
}

/// The RecorderEndpoint operations, carried out by the recorder's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecorderOp {
    Record,
    Pause,
    /// Answers at once; the file is finalised in the background.
    Stop,
    /// Answers when the file is complete (bounded).
    StopAndWait,
    GetStats,
    GetState,
}

/// Fire-and-forget orders to the media layer, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaCommand {
    Create {
        id: String,
        kind: ElementKind,
    },
    Release {
        id: String,
    },
    Link(LinkChange),
    /// A bandwidth or network property was set (`maxVideoRecvBandwidth`, `stunServerAddress`, ...).
    Configure {
        id: String,
        property: &'static str,
        value: Value,
    },
}

/// Requests whose answer the reply needs.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaRequest {
    ProcessOffer {
        endpoint: String,
        offer: String,
    },
    GenerateOffer {
        endpoint: String,
        audio: bool,
        video: bool,
    },
    ProcessAnswer {
        endpoint: String,
        answer: String,
    },
    GatherCandidates {
        endpoint: String,
    },
    AddIceCandidate {
        endpoint: String,
        candidate: String,
        sdp_mid: String,
        sdp_m_line_index: u32,
    },
    LocalDescription {
        endpoint: String,
    },
    RemoteDescription {
        endpoint: String,
    },
    IsMediaFlowing {
        element: String,
        media: MediaType,
        incoming: bool,
    },
    RequestKeyframe {
        endpoint: String,
    },
    /// `getStats` on a WebRtcEndpoint (`media::endpoint_stats`).
    Stats {
        endpoint: String,
    },
    /// A RecorderEndpoint registered as `id`; the media layer checks the path (recording
    /// root, folder) and answers with the id, or an error that undoes the creation.
    CreateRecorder {
        id: String,
        params: RecorderParams,
    },
    Recorder {
        id: String,
        op: RecorderOp,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The result object (or error) to send.
    Now(Result<Value, RpcError>),
    /// Ask the media layer, then pass its answer to [`ControlPlane::media_answered`].
    Media { session: String, request: MediaRequest },
    /// Run the batch step by step through [`ControlPlane::handle`], then send its `finish()`.
    Transaction(super::transaction::TransactionRun),
}

/// Everything one request produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    pub reply: Reply,
    pub commands: Vec<MediaCommand>,
    pub events: Vec<Event>,
}

impl Handled {
    fn now(reply: Result<Value, RpcError>) -> Self {
        Self { reply: Reply::Now(reply), commands: Vec::new(), events: Vec::new() }
    }
}

pub struct ControlPlane {
    registry: Registry,
    links: Links,
    bindings: Bindings,
    /// Identifies this node process; `connect` returns it.
    server_id: String,
    build_time: String,
    /// `ServerManager.getMetadata`: where this node keeps recordings (JSON text).
    metadata: String,
    /// Objects whose creation waits for the media layer's answer, by socket and session;
    /// a refusal removes them again (see [`ControlPlane::media_answered`]).
    pending_creations: std::collections::HashMap<(SocketId, String), String>,
    /// The creation the request being handled just asked for, before its socket is known.
    created_pending: Option<(String, String)>,
}

impl ControlPlane {
    pub fn new(build_time: impl Into<String>) -> Self {
        Self {
            registry: Registry::default(),
            links: Links::default(),
            bindings: Bindings::default(),
            server_id: uuid::Uuid::new_v4().to_string(),
            build_time: build_time.into(),
            metadata: String::new(),
            pending_creations: Default::default(),
            created_pending: None,
        }
    }

    /// Sets what `ServerManager.getMetadata` answers.
    pub fn with_metadata(mut self, metadata: String) -> Self {
        self.metadata = metadata;
        self
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    /// Handles one request received on `socket`.
    pub fn handle(
        &mut self,
        socket: SocketId,
        method: &str,
        params: Option<&Map<String, Value>>,
        now: u64,
        system: &SystemSnapshot,
    ) -> Handled {
        let call = match Call::parse(method, params) {
            Ok(call) => call,
            Err(error) => return Handled::now(Err(error)),
        };
        if !matches!(call, Call::Transaction { .. })
            && let Err(error) = super::transaction::reject_stray_references(params)
        {
            return Handled::now(Err(error));
        }
        let named = kurento_protocol::method::session_id_of(params);
        if let Call::Ping { .. } = call {
            let session = named.or_else(|| self.bindings.session_of(socket)).map(str::to_string);
            return Handled::now(Ok(match session {
                Some(session) => json!({"value": "pong", "sessionId": session}),
                None => json!({"value": "pong"}),
            }));
        }
        if params.and_then(|p| p.get("sessionId")).is_some_and(|s| !s.is_null() && !s.is_string()) {
            return Handled::now(Err(RpcError::new(
                ErrorCode::ServerError,
                "'sessionId' parameter should be a string",
            )));
        }
        if let Call::Connect = call {
            return Handled::now(self.connect(socket, named, now));
        }
        let session = match self.bindings.session_for(socket, named, &call, || uuid::Uuid::new_v4().to_string()) {
            Ok(session) => session,
            Err(error) => return Handled::now(Err(error)),
        };
        let handled = self.execute(&session, call, now, system);
        if let Some((session, id)) = self.created_pending.take() {
            self.pending_creations.insert((socket, session), id);
        }
        if let Reply::Now(Ok(_)) = handled.reply {
            self.bind(socket, &session, now);
        }
        handled
    }

    /// Completes a [`Reply::Media`]: wraps the media layer's answer into the result object.
    pub fn media_answered(
        &mut self,
        socket: SocketId,
        session: &str,
        answer: Result<Value, RpcError>,
        now: u64,
    ) -> Result<Value, RpcError> {
        if let Some(id) = self.pending_creations.remove(&(socket, session.to_string()))
            && answer.is_err()
        {
            self.links.forget(&id);
            self.registry.release(&id);
        }
        let value = answer?;
        self.bind(socket, session, now);
        Ok(json!({"value": value, "sessionId": session}))
    }

    /// A websocket closed: its session keeps its objects for the grace time.
    pub fn socket_closed(&mut self, socket: SocketId, now: u64) {
        if let Some(session) = self.bindings.socket_closed(socket) {
            self.registry.session_disconnected(&session, now);
        }
    }

    /// Releases what sessions gone for longer than `grace_ms` held.
    pub fn collect_garbage(&mut self, now: u64, grace_ms: u64) -> Handled {
        let destroyed = self.registry.collect_garbage(now, grace_ms);
        let mut handled = Handled::now(Ok(Value::Null));
        self.after_destroy(destroyed, now, &mut handled);
        handled
    }

    /// The sockets an event goes to: those of the sessions subscribed to it.
    pub fn route(&self, event: &Event) -> Vec<SocketId> {
        self.registry
            .subscribers(&event.object, &event.kind)
            .iter()
            .filter_map(|s| self.bindings.socket_of(s))
            .collect()
    }

    fn bind(&mut self, socket: SocketId, session: &str, now: u64) {
        self.bindings.bind(socket, session);
        self.registry.session_connected(session, now);
    }

    fn connect(&mut self, socket: SocketId, named: Option<&str>, now: u64) -> Result<Value, RpcError> {
        let session = match named {
            Some(session) => {
                self.registry.keep_alive(session, now)?;
                session.to_string()
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        self.bind(socket, &session, now);
        Ok(json!({"sessionId": session, "serverId": self.server_id}))
    }

    fn execute(&mut self, session: &str, call: Call, now: u64, system: &SystemSnapshot) -> Handled {
        let with_value = |value: Value| json!({"value": value, "sessionId": session});
        let bare = || json!({"sessionId": session});
        match call {
            Call::Ping { .. } | Call::Connect => unreachable!("answered before a session is chosen"),
            Call::Create { type_name, constructor_params, .. } => {
                let mut handled = Handled::now(Ok(Value::Null));
                match self.create(session, &type_name, &constructor_params, now, &mut handled) {
                    Ok(_) if matches!(handled.reply, Reply::Media { .. }) => {}
                    Ok(id) => handled.reply = Reply::Now(Ok(with_value(json!(id)))),
                    Err(error) => handled.reply = Reply::Now(Err(error)),
                }
                handled
            }
            Call::Describe { object } => {
                Handled::now(self.registry.describe(session, &object).map(|mut description| {
                    description["sessionId"] = json!(session);
                    description
                }))
            }
            Call::Invoke { object, operation, operation_params } => {
                let params = operation_params.unwrap_or_default();
                let mut handled = Handled::now(Ok(Value::Null));
                match self.invoke(session, &object, &operation, &params, now, system, &mut handled) {
                    Ok(Some(value)) => handled.reply = Reply::Now(Ok(with_value(value))),
                    Ok(None) => {}
                    Err(error) => handled.reply = Reply::Now(Err(error)),
                }
                handled
            }
            Call::Subscribe { object, event } => {
                Handled::now(self.registry.subscribe(session, &object, &event).map(|id| with_value(json!(id))))
            }
            Call::Unsubscribe { subscription, .. } => {
                self.registry.unsubscribe(session, &subscription);
                Handled::now(Ok(bare()))
            }
            Call::Release { object } => {
                let destroyed = self.registry.release(&object);
                let mut handled = Handled::now(Ok(bare()));
                self.after_destroy(destroyed, now, &mut handled);
                handled
            }
            Call::Ref { object } => Handled::now(self.registry.add_ref(session, &object).map(|()| bare())),
            Call::Unref { object } => {
                let destroyed = self.registry.unref(session, &object);
                let mut handled = Handled::now(Ok(bare()));
                self.after_destroy(destroyed, now, &mut handled);
                handled
            }
            Call::KeepAlive => Handled::now(self.registry.keep_alive(session, now).map(|()| bare())),
            Call::CloseSession { release } => {
                let destroyed = self.registry.close_session(session, release);
                let mut handled = Handled::now(Ok(Value::Null));
                self.after_destroy(destroyed, now, &mut handled);
                handled
            }
            Call::Transaction { operations } => {
                let run = super::transaction::TransactionRun::new(operations, session);
                Handled { reply: Reply::Transaction(run), commands: Vec::new(), events: Vec::new() }
            }
        }
    }

    fn create(
        &mut self,
        session: &str,
        type_name: &str,
        params: &Map<String, Value>,
        now: u64,
        handled: &mut Handled,
    ) -> Result<String, RpcError> {
        let kind = match object_id::bare_type(type_name) {
            "WebRtcEndpoint" => Some(ElementKind::WebRtc {
                recv_only: params.get("recvonly").and_then(Value::as_bool).unwrap_or(false),
                send_only: params.get("sendonly").and_then(Value::as_bool).unwrap_or(false),
            }),
            "PassThrough" => Some(ElementKind::PassThrough),
            "Composite" => Some(ElementKind::Composite(recording_params::composite_params(params)?)),
            "HubPort" => Some(ElementKind::HubPort),
            _ => None,
        };
        let recorder = match object_id::bare_type(type_name) {
            "RecorderEndpoint" => Some(recording_params::recorder_params(params)?),
            _ => None,
        };
        let id = self.registry.create(session, type_name, params, now)?;
        if let Some(kind) = kind {
            handled.commands.push(MediaCommand::Create { id: id.clone(), kind });
        }
        if let Some(recorder) = recorder {
            let uri = params.get("uri").cloned().unwrap_or(Value::Null);
            self.registry.object_mut(&id)?.properties.insert("uri".into(), uri);
            self.created_pending = Some((session.to_string(), id.clone()));
            handled.reply = Reply::Media {
                session: session.to_string(),
                request: MediaRequest::CreateRecorder { id: id.clone(), params: recorder },
            };
        }
        handled.events.push(Event::new("ObjectCreated", SERVER_MANAGER_ID, now, fields(json!({"object": id}))));
        Ok(id)
    }

    /// Returns `Some(value)` for an immediate reply, `None` when `handled.reply` was set to a media request.
    #[allow(clippy::too_many_arguments)]
    fn invoke(
        &mut self,
        session: &str,
        object: &str,
        operation: &str,
        params: &Map<String, Value>,
        now: u64,
        system: &SystemSnapshot,
        handled: &mut Handled,
    ) -> Result<Option<Value>, RpcError> {
        if object == SERVER_MANAGER_ID {
            return server_manager::invoke(&self.registry, operation, params, system, &self.build_time, &self.metadata)
                .unwrap_or_else(|| Err(unknown_operation(operation, params)))
                .map(Some);
        }
        let class = self.registry.touch(session, object)?.class;
        if class.name == "RecorderEndpoint"
            && let Some(op) = recorder_op(operation)
        {
            handled.reply = Reply::Media {
                session: session.to_string(),
                request: MediaRequest::Recorder { id: object.into(), op },
            };
            return Ok(None);
        }
        if let Some((is_setter, property)) = accessor(class, operation) {
            if !is_setter {
                return self.registry.get_property(object, property).map(Some);
            }
            if property.access != Access::ReadWrite {
                return Err(unknown_operation(operation, params));
            }
            let value = params
                .get(property.name)
                .ok_or_else(|| RpcError::marshall(property.name, property.kind.wire_name()))?;
            self.registry.set_property(object, property, value)?;
            if property.name != "name" && property.name != "sendTagsInEvents" {
                handled.commands.push(MediaCommand::Configure {
                    id: object.to_string(),
                    property: property.name,
                    value: value.clone(),
                });
            }
            return Ok(Some(Value::Null));
        }
        let is = |ancestor: &str| class.lineage().any(|c| c.name == ancestor);
        let text = |name: &str| {
            params
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| RpcError::marshall(name, "String"))
        };
        let media = |request: MediaRequest, handled: &mut Handled| {
            handled.reply = Reply::Media { session: session.to_string(), request };
            Ok(None)
        };
        match operation {
            "addTag" => {
                let (key, value) = (text("key")?, text("value")?);
                self.registry.object_mut(object)?.tags.insert(key, value);
                Ok(Some(Value::Null))
            }
            "removeTag" => {
                let key = text("key")?;
                self.registry.object_mut(object)?.tags.remove(&key);
                Ok(Some(Value::Null))
            }
            "getTag" => {
                let key = text("key")?;
                let tags = &self.registry.object_mut(object)?.tags;
                tags.get(&key).map(|v| Some(json!(v))).ok_or_else(|| {
                    RpcError::new(ErrorCode::MediaObjectTagKeyNotFound, format!("Tag key '{key}' not found"))
                })
            }
            "getTags" => {
                let tags = &self.registry.object_mut(object)?.tags;
                let list: Vec<Value> = tags
                    .iter()
                    .map(|(k, v)| kurento_protocol::event::complex("Tag", json!({"key": k, "value": v})))
                    .collect();
                Ok(Some(json!(list)))
            }
            "connect" | "disconnect" if is("MediaElement") => {
                let sink = text("sink")?;
                let sink_class = self.registry.touch(session, &sink)?.class;
                if !sink_class.lineage().any(|c| c.name == "MediaElement") {
                    return Err(RpcError::marshall("sink", "MediaElement"));
                }
                let media_type = params.get("mediaType").and_then(Value::as_str).map(MediaType::parse).transpose()?;
                let changes = if operation == "connect" {
                    self.links.connect(object, &sink, media_type)?
                } else {
                    self.links.disconnect(object, &sink, media_type)
                };
                self.link_effects(changes, now, handled);
                Ok(Some(Value::Null))
            }
            "getSourceConnections" | "getSinkConnections" if is("MediaElement") => {
                let as_source = operation == "getSinkConnections";
                let only = params.get("mediaType").and_then(Value::as_str).map(MediaType::parse).transpose()?;
                let list: Vec<Value> = self
                    .links
                    .links_of(object, as_source)
                    .into_iter()
                    .filter(|(_, _, media)| only.is_none_or(|only| only == *media))
                    .map(|(source, sink, media)| {
                        kurento_protocol::event::complex(
                            "ElementConnectionData",
                            json!({"source": source, "sink": sink, "type": media.as_str(),
                                   "sourceDescription": "default", "sinkDescription": "default"}),
                        )
                    })
                    .collect();
                Ok(Some(json!(list)))
            }
            "isMediaFlowingIn" | "isMediaFlowingOut" if is("MediaElement") => {
                let media_name = text("mediaType")?;
                let request = MediaRequest::IsMediaFlowing {
                    element: object.to_string(),
                    media: MediaType::parse(&media_name)?,
                    incoming: operation == "isMediaFlowingIn",
                };
                media(request, handled)
            }
            "processOffer" if is("SdpEndpoint") => {
                let offer = text("offer")?;
                media(MediaRequest::ProcessOffer { endpoint: object.to_string(), offer }, handled)
            }
            "processAnswer" if is("SdpEndpoint") => {
                let answer = text("answer")?;
                media(MediaRequest::ProcessAnswer { endpoint: object.to_string(), answer }, handled)
            }
            "generateOffer" if is("SdpEndpoint") => {
                let options = params.get("options").and_then(Value::as_object);
                let flag = |name: &str| options.and_then(|o| o.get(name)).and_then(Value::as_bool).unwrap_or(true);
                let request = MediaRequest::GenerateOffer {
                    endpoint: object.to_string(),
                    audio: flag("offerToReceiveAudio"),
                    video: flag("offerToReceiveVideo"),
                };
                media(request, handled)
            }
            "getLocalSessionDescriptor" if is("SdpEndpoint") => {
                media(MediaRequest::LocalDescription { endpoint: object.to_string() }, handled)
            }
            "getRemoteSessionDescriptor" if is("SdpEndpoint") => {
                media(MediaRequest::RemoteDescription { endpoint: object.to_string() }, handled)
            }
            "requestKeyframe" if is("BaseRtpEndpoint") => {
                media(MediaRequest::RequestKeyframe { endpoint: object.to_string() }, handled)
            }
            "getStats" if is("WebRtcEndpoint") => media(MediaRequest::Stats { endpoint: object.to_string() }, handled),
            "gatherCandidates" if is("WebRtcEndpoint") => {
                media(MediaRequest::GatherCandidates { endpoint: object.to_string() }, handled)
            }
            "addIceCandidate" if is("WebRtcEndpoint") => {
                let candidate = params
                    .get("candidate")
                    .and_then(Value::as_object)
                    .ok_or_else(|| RpcError::marshall("candidate", "IceCandidate"))?;
                let field = |name: &str| candidate.get(name).and_then(Value::as_str).map(str::to_string);
                let request = MediaRequest::AddIceCandidate {
                    endpoint: object.to_string(),
                    candidate: field("candidate").ok_or_else(|| RpcError::marshall("candidate", "IceCandidate"))?,
                    sdp_mid: field("sdpMid").unwrap_or_default(),
                    sdp_m_line_index: candidate.get("sdpMLineIndex").and_then(Value::as_u64).unwrap_or(0) as u32,
                };
                media(request, handled)
            }
            "createDataChannel" | "closeDataChannel" | "setAudioFormat" | "setVideoFormat" | "getStats"
            | "getGstreamerDot" | "dumpGstreamerDot"
                if is("MediaElement") || is("MediaPipeline") =>
            {
                Err(RpcError::new(
                    ErrorCode::NotImplemented,
                    format!("Operation '{operation}' is not implemented by this media node"),
                ))
            }
            _ => Err(unknown_operation(operation, params)),
        }
    }

    fn link_effects(&mut self, changes: Vec<LinkChange>, now: u64, handled: &mut Handled) {
        for change in changes {
            let (kind, source, sink, media) = match &change {
                LinkChange::Connected { source, sink, media } => ("ElementConnected", source, sink, media),
                LinkChange::Disconnected { source, sink, media } => ("ElementDisconnected", source, sink, media),
            };
            let data = json!({"sink": sink, "mediaType": media.as_str(), "sourceMediaDescription": "default", "sinkMediaDescription": "default"});
            handled.events.push(Event::new(kind, source, now, fields(data)));
            handled.commands.push(MediaCommand::Link(change));
        }
    }

    fn after_destroy(&mut self, destroyed: Vec<String>, now: u64, handled: &mut Handled) {
        for id in destroyed {
            let changes = self.links.forget(&id);
            self.link_effects(changes, now, handled);
            if class_built_in_media(&id) {
                handled.commands.push(MediaCommand::Release { id: id.clone() });
            }
            handled.events.push(Event::new("ObjectDestroyed", SERVER_MANAGER_ID, now, fields(json!({"objectId": id}))));
        }
    }
}

/// Whether the media layer holds state for this object (and must release it).
fn class_built_in_media(id: &str) -> bool {
    matches!(
        object_id::class_of(id),
        Some("WebRtcEndpoint" | "PassThrough" | "RecorderEndpoint" | "Composite" | "HubPort")
    )
}

/// The RecorderEndpoint operations the recorder itself answers (`getState` reads its live state).
fn recorder_op(operation: &str) -> Option<RecorderOp> {
    Some(match operation {
        "record" => RecorderOp::Record,
        "pause" => RecorderOp::Pause,
        "stop" => RecorderOp::Stop,
        "stopAndWait" => RecorderOp::StopAndWait,
        "getStats" => RecorderOp::GetStats,
        "getState" => RecorderOp::GetState,
        _ => return None,
    })
}

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Kurento answers an unknown operation with 40008 (a quirk of its generated code).
fn unknown_operation(operation: &str, params: &Map<String, Value>) -> RpcError {
    RpcError::new(
        ErrorCode::MalformedTransaction,
        format!("Method '{operation}' with {} parameters not found", params.len()),
    )
}

#[cfg(test)]
#[path = "plane_tests.rs"]
mod tests;
