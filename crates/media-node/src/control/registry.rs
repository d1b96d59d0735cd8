//! Media objects, the sessions that hold references to them, and event
//! subscriptions: Kurento's bookkeeping, as a pure struct.
//!
//! `create`, `describe`, `invoke` and `subscribe` give the calling session a
//! reference; `release` destroys an object for everyone, children first
//! (releasing a pipeline releases its elements). A session that stays
//! disconnected past the grace time loses its references, and objects no
//! session references any more are destroyed. Media is not handled here: the
//! caller turns the ids this returns into media actions.

use std::collections::{BTreeSet, HashMap};

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::object_id;
use serde_json::{Map, Value, json};

use super::classes::{Access, Class, Property, ValueKind, class};

#[derive(Debug, Clone)]
pub struct MediaObject {
    pub id: String,
    pub class: &'static Class,
    pub parent: Option<String>,
    /// Unix seconds, as Kurento's `creationTime`.
    pub creation_time: u64,
    /// Values of read-write properties that were set.
    pub properties: Map<String, Value>,
    /// Sessions holding a reference.
    pub refs: BTreeSet<String>,
    pub children: Vec<String>,
    /// `addTag`/`getTag`/`removeTag`/`getTags`.
    pub tags: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct Subscription {
    session: String,
    object: String,
    event: String,
}

#[derive(Debug, Clone, Default)]
struct SessionRecord {
    /// Whether a websocket is bound to the session right now.
    connected: bool,
    /// When the session was last connected or kept alive, ms.
    last_alive: u64,
}

#[derive(Debug, Default)]
pub struct Registry {
    objects: HashMap<String, MediaObject>,
    sessions: HashMap<String, SessionRecord>,
    subscriptions: HashMap<String, Subscription>,
}

fn not_found(id: &str) -> RpcError {
    RpcError::new(ErrorCode::MediaObjectNotFound, format!("Object '{id}' not found"))
}

impl Registry {
    // ---------------------------------------------------------------- sessions

    /// Starts (or revives) a session bound to a connected websocket.
    pub fn session_connected(&mut self, session: &str, now: u64) {
        let record = self.sessions.entry(session.to_string()).or_default();
        record.connected = true;
        record.last_alive = now;
    }

    /// The websocket of `session` went away; its objects survive the grace time.
    pub fn session_disconnected(&mut self, session: &str, now: u64) {
        if let Some(record) = self.sessions.get_mut(session) {
            record.connected = false;
            record.last_alive = now;
        }
    }

    pub fn has_session(&self, session: &str) -> bool {
        self.sessions.contains_key(session)
    }

    /// `keepAlive`/`connect` for a known session.
    pub fn keep_alive(&mut self, session: &str, now: u64) -> Result<(), RpcError> {
        let record = self
            .sessions
            .get_mut(session)
            .ok_or_else(|| RpcError::new(ErrorCode::InvalidSession, "Invalid session"))?;
        record.last_alive = now;
        Ok(())
    }

    pub fn session_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.sessions.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Drops sessions disconnected for longer than `grace_ms`, with their
    /// references and subscriptions. Returns the objects destroyed because no
    /// session references them any more.
    pub fn collect_garbage(&mut self, now: u64, grace_ms: u64) -> Vec<String> {
        let expired: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, r)| !r.connected && now.saturating_sub(r.last_alive) > grace_ms)
            .map(|(id, _)| id.clone())
            .collect();
        let mut destroyed = Vec::new();
        for session in expired {
            destroyed.extend(self.close_session(&session, false));
        }
        destroyed
    }

    /// `closeSession`: drops the session's subscriptions and references; with
    /// `release` its objects are released outright. Returns destroyed objects.
    pub fn close_session(&mut self, session: &str, release: bool) -> Vec<String> {
        self.sessions.remove(session);
        self.subscriptions.retain(|_, s| s.session != session);
        let held: Vec<String> =
            self.objects.values().filter(|o| o.refs.contains(session)).map(|o| o.id.clone()).collect();
        let mut destroyed = Vec::new();
        for id in held {
            if release {
                destroyed.extend(self.release(&id));
            } else {
                destroyed.extend(self.unref(session, &id));
            }
        }
        destroyed
    }

    // ---------------------------------------------------------------- objects

    /// Creates an object of `type_name` (bare or `kurento.`-qualified) for `session`.
    pub fn create(
        &mut self,
        session: &str,
        type_name: &str,
        constructor_params: &Map<String, Value>,
        now_ms: u64,
    ) -> Result<String, RpcError> {
        let bare = object_id::bare_type(type_name);
        let class = class(bare).filter(|c| c.concrete && c.built).ok_or_else(|| {
            RpcError::new(ErrorCode::MediaObjectNotAvailable, format!("Factory '{type_name}' not found"))
        })?;
        let parent = match class.parent_param {
            None => None,
            Some(param) => {
                let expected = if param == "hub" { "Hub" } else { "MediaPipeline" };
                let id = match constructor_params.get(param) {
                    Some(Value::String(id)) => id,
                    _ => {
                        return Err(RpcError::marshall(param, expected));
                    }
                };
                let parent = self.objects.get(id).ok_or_else(|| not_found(id))?;
                if !parent.class.lineage().any(|c| c.name == expected) {
                    return Err(RpcError::marshall(param, expected));
                }
                Some(id.clone())
            }
        };
        let id = match &parent {
            Some(parent) => object_id::new_element_id(parent, class.name),
            None => object_id::new_pipeline_id(),
        };
        let object = MediaObject {
            id: id.clone(),
            class,
            parent: parent.clone(),
            creation_time: now_ms / 1000,
            properties: Map::new(),
            refs: BTreeSet::from([session.to_string()]),
            children: Vec::new(),
            tags: Default::default(),
        };
        if let Some(parent) = &parent {
            self.objects.get_mut(parent).expect("checked").children.push(id.clone());
        }
        self.objects.insert(id.clone(), object);
        Ok(id)
    }

    pub fn object(&self, id: &str) -> Option<&MediaObject> {
        self.objects.get(id)
    }

    /// The object, giving `session` a reference to it (as Kurento does on use).
    pub fn touch(&mut self, session: &str, id: &str) -> Result<&MediaObject, RpcError> {
        let object = self.objects.get_mut(id).ok_or_else(|| not_found(id))?;
        object.refs.insert(session.to_string());
        Ok(object)
    }

    /// `describe`: `{type, qualifiedType, hierarchy}`.
    pub fn describe(&mut self, session: &str, id: &str) -> Result<Value, RpcError> {
        let class = if id == object_id::SERVER_MANAGER_ID {
            class("ServerManager").expect("in catalog")
        } else {
            self.touch(session, id)?.class
        };
        Ok(
            json!({"type": class.name, "qualifiedType": format!("kurento.{}", class.name), "hierarchy": class.hierarchy()}),
        )
    }

    /// Pipelines, in no particular order.
    /// How many objects of each class exist (for `/metrics`).
    pub fn count_by_class(&self) -> std::collections::BTreeMap<&'static str, u64> {
        let mut counts = std::collections::BTreeMap::new();
        for object in self.objects.values() {
            *counts.entry(object.class.name).or_insert(0) += 1;
        }
        counts
    }

    pub fn pipelines(&self) -> Vec<String> {
        let mut ids: Vec<String> =
            self.objects.values().filter(|o| o.class.name == "MediaPipeline").map(|o| o.id.clone()).collect();
        ids.sort();
        ids
    }

    /// `release`: destroys the object and its descendants (children first).
    /// Unknown ids are a silent success. Returns every destroyed id.
    pub fn release(&mut self, id: &str) -> Vec<String> {
        let Some(object) = self.objects.get(id) else { return Vec::new() };
        let mut destroyed = Vec::new();
        for child in object.children.clone() {
            destroyed.extend(self.release(&child));
        }
        if let Some(object) = self.objects.remove(id) {
            if let Some(parent) = object.parent.as_deref().and_then(|p| self.objects.get_mut(p)) {
                parent.children.retain(|c| c != id);
            }
            self.subscriptions.retain(|_, s| s.object != id);
            destroyed.push(id.to_string());
        }
        destroyed
    }

    /// `ref`.
    pub fn add_ref(&mut self, session: &str, id: &str) -> Result<(), RpcError> {
        self.touch(session, id).map(|_| ())
    }

    /// `unref`: the last reference gone releases the object. Returns destroyed ids.
    pub fn unref(&mut self, session: &str, id: &str) -> Vec<String> {
        let Some(object) = self.objects.get_mut(id) else { return Vec::new() };
        object.refs.remove(session);
        if object.refs.is_empty() { self.release(id) } else { Vec::new() }
    }

    // ---------------------------------------------------------------- properties

    /// A property value for `get<Name>`: computed ones, else the stored value, else its default.
    pub fn get_property(&self, id: &str, property: &Property) -> Result<Value, RpcError> {
        let object = self.objects.get(id).ok_or_else(|| not_found(id))?;
        Ok(match property.name {
            "id" => json!(object.id),
            "name" => object.properties.get("name").cloned().unwrap_or_else(|| json!(object.id)),
            "parent" => object.parent.as_ref().map_or(Value::Null, |p| json!(p)),
            "mediaPipeline" => json!(object_id::pipeline_of(&object.id)),
            "children" => json!(object.children),
            "creationTime" => json!(object.creation_time),
            name => object.properties.get(name).cloned().unwrap_or_else(|| default_value(property)),
        })
    }

    /// `set<Name>`: checks the JSON type of the value.
    pub fn set_property(&mut self, id: &str, property: &Property, value: &Value) -> Result<(), RpcError> {
        let object = self.objects.get_mut(id).ok_or_else(|| not_found(id))?;
        let fits = match property.kind {
            ValueKind::Bool => value.is_boolean(),
            ValueKind::Int => value.as_i64().is_some_and(|v| i32::try_from(v).is_ok()),
            ValueKind::Text => value.is_string(),
            ValueKind::Computed => false,
        };
        if property.access != Access::ReadWrite || !fits {
            return Err(RpcError::marshall(property.name, property.kind.wire_name()));
        }
        object.properties.insert(property.name.to_string(), value.clone());
        Ok(())
    }

    /// Mutable access for operations that change an object (tags).
    pub fn object_mut(&mut self, id: &str) -> Result<&mut MediaObject, RpcError> {
        self.objects.get_mut(id).ok_or_else(|| not_found(id))
    }

    // ---------------------------------------------------------------- events

    /// `subscribe`: the event must be declared by the object's class or an ancestor.
    pub fn subscribe(&mut self, session: &str, object: &str, event: &str) -> Result<String, RpcError> {
        let class = if object == object_id::SERVER_MANAGER_ID {
            class("ServerManager").expect("in catalog")
        } else {
            self.touch(session, object)?.class
        };
        if !class.declares_event(event) {
            return Err(RpcError::new(
                ErrorCode::MediaObjectEventNotSupported,
                format!("Event '{event}' not supported"),
            ));
        }
        let id = uuid_string();
        self.subscriptions.insert(
            id.clone(),
            Subscription { session: session.to_string(), object: object.to_string(), event: event.to_string() },
        );
        Ok(id)
    }

    /// `unsubscribe`: unknown subscriptions are ignored, as Kurento does.
    pub fn unsubscribe(&mut self, session: &str, subscription: &str) {
        if self.subscriptions.get(subscription).is_some_and(|s| s.session == session) {
            self.subscriptions.remove(subscription);
        }
    }

    /// The sessions that receive `event` from `object`, each once however
    /// many times it subscribed.
    pub fn subscribers(&self, object: &str, event: &str) -> BTreeSet<String> {
        self.subscriptions
            .values()
            .filter(|s| s.object == object && s.event == event)
            .map(|s| s.session.clone())
            .collect()
    }
}

fn default_value(property: &Property) -> Value {
    match property.kind {
        ValueKind::Bool => json!(false),
        ValueKind::Int => json!(0),
        ValueKind::Text => json!(""),
        ValueKind::Computed => Value::Null,
    }
}

fn uuid_string() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::classes::accessor;

    fn params(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), json!(v))).collect()
    }

    fn pipeline_with_endpoint(registry: &mut Registry) -> (String, String) {
        registry.session_connected("S", 0);
        let pipeline = registry.create("S", "MediaPipeline", &Map::new(), 5_000).unwrap();
        let endpoint =
            registry.create("S", "kurento.WebRtcEndpoint", &params(&[("mediaPipeline", &pipeline)]), 5_000).unwrap();
        (pipeline, endpoint)
    }

    #[test]
    fn create_validates_type_and_parent() {
        let mut registry = Registry::default();
        let (pipeline, endpoint) = pipeline_with_endpoint(&mut registry);
        assert!(endpoint.starts_with(&format!("{pipeline}/")) && endpoint.ends_with("_kurento.WebRtcEndpoint"));
        let unknown = registry.create("S", "Frobnicator", &Map::new(), 0).unwrap_err();
        assert_eq!((unknown.code, unknown.message.as_str()), (40108, "Factory 'Frobnicator' not found"));
        let unbuilt = registry.create("S", "GStreamerFilter", &params(&[("mediaPipeline", &pipeline)]), 0).unwrap_err();
        assert!(unbuilt.message.contains("GStreamerFilter") && unbuilt.code == 40108);
        assert_eq!(registry.create("S", "PassThrough", &Map::new(), 0).unwrap_err().code, 40001);
        assert_eq!(
            registry.create("S", "PassThrough", &params(&[("mediaPipeline", "nope")]), 0).unwrap_err().code,
            40101
        );
        let wrong_parent =
            registry.create("S", "PassThrough", &params(&[("mediaPipeline", &endpoint)]), 0).unwrap_err();
        assert_eq!(wrong_parent.message, "'mediaPipeline' parameter should be a MediaPipeline");
    }

    #[test]
    fn describe_gives_type_and_hierarchy() {
        let mut registry = Registry::default();
        let (_, endpoint) = pipeline_with_endpoint(&mut registry);
        let description = registry.describe("S", &endpoint).unwrap();
        assert_eq!(description["type"], "WebRtcEndpoint");
        assert_eq!(description["qualifiedType"], "kurento.WebRtcEndpoint");
        assert_eq!(description["hierarchy"][0], "kurento.BaseRtpEndpoint");
        assert_eq!(registry.describe("S", object_id::SERVER_MANAGER_ID).unwrap()["type"], "ServerManager");
        assert_eq!(registry.describe("S", "nope").unwrap_err().code, 40101);
    }

    #[test]
    fn release_cascades_and_is_idempotent() {
        let mut registry = Registry::default();
        let (pipeline, endpoint) = pipeline_with_endpoint(&mut registry);
        let passthrough = registry.create("S", "PassThrough", &params(&[("mediaPipeline", &pipeline)]), 0).unwrap();
        registry.subscribe("S", &endpoint, "IceCandidateFound").unwrap();
        let destroyed = registry.release(&pipeline);
        assert_eq!(destroyed.len(), 3);
        assert_eq!(destroyed.last(), Some(&pipeline), "children before their parent");
        assert!(destroyed.contains(&passthrough));
        assert!(registry.subscribers(&endpoint, "IceCandidateFound").is_empty());
        assert!(registry.release(&pipeline).is_empty());
        assert!(registry.pipelines().is_empty());
    }

    #[test]
    fn releasing_an_element_detaches_it_from_its_pipeline() {
        let mut registry = Registry::default();
        let (pipeline, endpoint) = pipeline_with_endpoint(&mut registry);
        registry.release(&endpoint);
        let children = accessor(registry.object(&pipeline).unwrap().class, "getChildren").unwrap().1;
        assert_eq!(registry.get_property(&pipeline, children).unwrap(), json!([]));
    }

    #[test]
    fn properties_get_and_set_with_type_checks() {
        let mut registry = Registry::default();
        let (pipeline, endpoint) = pipeline_with_endpoint(&mut registry);
        let class = registry.object(&endpoint).unwrap().class;
        let (_, bandwidth) = accessor(class, "setMaxVideoRecvBandwidth").unwrap();
        registry.set_property(&endpoint, bandwidth, &json!(1000)).unwrap();
        assert_eq!(registry.get_property(&endpoint, bandwidth).unwrap(), json!(1000));
        assert_eq!(registry.set_property(&endpoint, bandwidth, &json!("fast")).unwrap_err().code, 40001);
        let (_, name) = accessor(class, "getName").unwrap();
        assert_eq!(registry.get_property(&endpoint, name).unwrap(), json!(endpoint), "name defaults to the id");
        registry.set_property(&endpoint, name, &json!("pub_con_A")).unwrap();
        assert_eq!(registry.get_property(&endpoint, name).unwrap(), json!("pub_con_A"));
        let (_, media_pipeline) = accessor(class, "getMediaPipeline").unwrap();
        assert_eq!(registry.get_property(&endpoint, media_pipeline).unwrap(), json!(pipeline));
        let (_, id) = accessor(class, "getId").unwrap();
        assert_eq!(registry.set_property(&endpoint, id, &json!("x")).unwrap_err().code, 40001, "read-only");
        let (_, creation) = accessor(class, "getCreationTime").unwrap();
        assert_eq!(registry.get_property(&endpoint, creation).unwrap(), json!(5));
    }

    #[test]
    fn subscriptions_are_validated_and_delivered_once_per_session() {
        let mut registry = Registry::default();
        let (_, endpoint) = pipeline_with_endpoint(&mut registry);
        let first = registry.subscribe("S", &endpoint, "IceCandidateFound").unwrap();
        let second = registry.subscribe("S", &endpoint, "IceCandidateFound").unwrap();
        assert_ne!(first, second);
        assert_eq!(registry.subscribers(&endpoint, "IceCandidateFound").len(), 1);
        registry.unsubscribe("S", &first);
        assert_eq!(registry.subscribers(&endpoint, "IceCandidateFound").len(), 1, "the second keeps delivery going");
        registry.unsubscribe("S", &second);
        assert!(registry.subscribers(&endpoint, "IceCandidateFound").is_empty());
        registry.unsubscribe("S", "unknown");
        let refused = registry.subscribe("S", &endpoint, "Recording").unwrap_err();
        assert_eq!((refused.code, refused.message.as_str()), (40106, "Event 'Recording' not supported"));
        assert!(registry.subscribe("S", object_id::SERVER_MANAGER_ID, "ObjectCreated").is_ok());
    }

    #[test]
    fn disconnected_sessions_lose_their_objects_after_the_grace_time() {
        let mut registry = Registry::default();
        let (pipeline, endpoint) = pipeline_with_endpoint(&mut registry);
        registry.session_connected("T", 0);
        registry.describe("T", &pipeline).unwrap();
        registry.session_disconnected("S", 1_000);
        assert!(registry.collect_garbage(200_000, 240_000).is_empty(), "within the grace time");
        let destroyed = registry.collect_garbage(242_000, 240_000);
        assert_eq!(destroyed, vec![endpoint.clone()], "only S referenced the endpoint; T still holds the pipeline");
        assert!(!registry.has_session("S"));
        assert!(registry.object(&pipeline).is_some());
        assert_eq!(registry.keep_alive("S", 0).unwrap_err().code, 40007);
    }

    #[test]
    fn close_session_with_release_destroys_everything_it_held() {
        let mut registry = Registry::default();
        let (pipeline, _) = pipeline_with_endpoint(&mut registry);
        let destroyed = registry.close_session("S", true);
        assert!(destroyed.contains(&pipeline));
        assert!(registry.pipelines().is_empty());
    }
}
