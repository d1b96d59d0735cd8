//! The Kurento classes the node knows: their ancestry, events, properties and
//! constructors.
//!
//! Clients validate against this model (the Java master subscribes to a dozen
//! events per endpoint and fails if one is refused), so every declared event is
//! accepted even when the node never raises it. Classes that are known but not
//! built yet are listed (for `describe`-like answers and `getInfo`) and refused
//! at `create` with 40108 naming the type.

/// How a property may be accessed through `get<Name>` / `set<Name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Fixed at construction or computed: getter only.
    ReadOnly,
    ReadWrite,
}

/// The JSON type a property holds (what a setter accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Bool,
    Int,
    Text,
    /// Computed by the node (ids, lists, states); never set by clients.
    Computed,
}

impl ValueKind {
    /// The type name Kurento uses in 40001 messages.
    pub fn wire_name(self) -> &'static str {
        match self {
            ValueKind::Bool => "boolean",
            ValueKind::Int => "int",
            ValueKind::Text | ValueKind::Computed => "String",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Property {
    pub name: &'static str,
    pub access: Access,
    pub kind: ValueKind,
}

/// The Kurento module a class belongs to, as `getInfo` groups factories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    Core,
    Elements,
    Filters,
}

#[derive(Debug)]
pub struct Class {
    pub name: &'static str,
    /// The direct ancestor (`None` for MediaObject).
    pub extends: Option<&'static str>,
    /// Concrete classes can be created (when `built`); abstract ones cannot.
    pub concrete: bool,
    /// Whether this node implements the class (creatable now).
    pub built: bool,
    pub module: Module,
    /// The constructor parameter naming the parent object (`mediaPipeline`, or `hub` for HubPort).
    pub parent_param: Option<&'static str>,
    pub events: &'static [&'static str],
    pub properties: &'static [Property],
}

const fn rw(name: &'static str, kind: ValueKind) -> Property {
    Property { name, access: Access::ReadWrite, kind }
}

const fn ro(name: &'static str) -> Property {
    Property { name, access: Access::ReadOnly, kind: ValueKind::Computed }
}

use Module::*;
use ValueKind::*;

/// An abstract class: never created, only inherited from.
const fn base(
    name: &'static str,
    extends: Option<&'static str>,
    events: &'static [&'static str],
    properties: &'static [Property],
) -> Class {
    Class { name, extends, concrete: false, built: true, module: Core, parent_param: None, events, properties }
}

/// A class that can be created with `parent_param` naming its parent; `built`
/// says whether this node implements it yet.
const fn creatable(
    name: &'static str,
    extends: &'static str,
    module: Module,
    built: bool,
    parent_param: &'static str,
    events: &'static [&'static str],
    properties: &'static [Property],
) -> Class {
    Class {
        name,
        extends: Some(extends),
        concrete: true,
        built,
        module,
        parent_param: Some(parent_param),
        events,
        properties,
    }
}

const BUILT: bool = true;
const NOT_YET: bool = false;
const PIPELINE: &str = "mediaPipeline";

#[rustfmt::skip]
pub static CLASSES: &[Class] = &[
    base("MediaObject", None, &["Error"], &[
        ro("mediaPipeline"), ro("parent"), ro("id"), ro("children"), rw("name", Text), rw("sendTagsInEvents", Bool), ro("creationTime"),
    ]),
    base("ServerManager", Some("MediaObject"), &["ObjectCreated", "ObjectDestroyed"], &[ro("info"), ro("pipelines"), ro("sessions"), ro("metadata")]),
    Class {
        name: "MediaPipeline", extends: Some("MediaObject"), concrete: true, built: true, module: Core, parent_param: None,
        events: &[], properties: &[rw("latencyStats", Bool)],
    },
    base("MediaElement", Some("MediaObject"), &[
        "ElementConnected", "ElementDisconnected", "MediaFlowInStateChanged", "MediaFlowOutStateChanged", "MediaTranscodingStateChanged",
    ], &[rw("encoderBitrate", Int), rw("minEncoderBitrate", Int), rw("maxEncoderBitrate", Int)]),
    creatable("PassThrough", "MediaElement", Core, BUILT, PIPELINE, &[], &[]),
    creatable("HubPort", "MediaElement", Core, BUILT, "hub", &[], &[]),
    base("Endpoint", Some("MediaElement"), &[], &[]),
    base("SessionEndpoint", Some("Endpoint"), &["MediaSessionStarted", "MediaSessionTerminated"], &[]),
    base("SdpEndpoint", Some("SessionEndpoint"), &[], &[rw("maxAudioRecvBandwidth", Int), rw("maxVideoRecvBandwidth", Int)]),
    base("BaseRtpEndpoint", Some("SdpEndpoint"), &["MediaStateChanged", "ConnectionStateChanged"], &[
        rw("minVideoRecvBandwidth", Int), rw("minVideoSendBandwidth", Int), rw("maxVideoSendBandwidth", Int),
        ro("mediaState"), ro("connectionState"), rw("mtu", Int), ro("rembParams"),
    ]),
    creatable("WebRtcEndpoint", "BaseRtpEndpoint", Elements, BUILT, PIPELINE, &[
        "IceCandidateFound", "IceGatheringDone", "IceComponentStateChanged", "NewCandidatePairSelected",
        "DtlsConnectionStateChange", "DataChannelOpened", "DataChannelClosed",
    ], &[
        rw("networkInterfaces", Text), rw("iceTcp", Bool), rw("stunServerAddress", Text), rw("stunServerPort", Int),
        rw("turnUrl", Text), rw("externalIPv4", Text), rw("externalIPv6", Text),
        ro("ICECandidatePairs"), ro("IceConnectionState"), ro("DtlsConnectionState"),
    ]),
    creatable("RtpEndpoint", "BaseRtpEndpoint", Elements, NOT_YET, PIPELINE, &["OnKeySoftLimit"], &[]),
    base("UriEndpoint", Some("Endpoint"), &["UriEndpointStateChanged"], &[ro("uri"), ro("state")]),
    creatable("RecorderEndpoint", "UriEndpoint", Elements, BUILT, PIPELINE, &["Recording", "Paused", "Stopped"], &[]),
    creatable("PlayerEndpoint", "UriEndpoint", Elements, NOT_YET, PIPELINE, &["EndOfStream"], &[
        ro("videoInfo"), ro("elementGstreamerDot"), rw("position", Int),
    ]),
    creatable("HttpPostEndpoint", "Endpoint", Elements, NOT_YET, PIPELINE, &["EndOfStream"], &[]),
    base("Hub", Some("MediaObject"), &[], &[]),
    creatable("Composite", "Hub", Elements, BUILT, PIPELINE, &[], &[]),
    creatable("Mixer", "Hub", Elements, NOT_YET, PIPELINE, &[], &[]),
    creatable("Dispatcher", "Hub", Elements, NOT_YET, PIPELINE, &[], &[]),
    creatable("DispatcherOneToMany", "Hub", Elements, NOT_YET, PIPELINE, &[], &[]),
    creatable("AlphaBlending", "Hub", Elements, NOT_YET, PIPELINE, &[], &[]),
    base("Filter", Some("MediaElement"), &[], &[]),
    creatable("FaceOverlayFilter", "Filter", Filters, NOT_YET, PIPELINE, &[], &[]),
    creatable("GStreamerFilter", "Filter", Filters, NOT_YET, PIPELINE, &[], &[]),
    creatable("ImageOverlayFilter", "Filter", Filters, NOT_YET, PIPELINE, &[], &[]),
    creatable("ZBarFilter", "Filter", Filters, NOT_YET, PIPELINE, &["CodeFound"], &[]),
];

pub fn class(name: &str) -> Option<&'static Class> {
    CLASSES.iter().find(|c| c.name == name)
}

impl Class {
    /// The class and its ancestors, nearest first.
    pub fn lineage(&'static self) -> impl Iterator<Item = &'static Class> {
        std::iter::successors(Some(self), |c| c.extends.and_then(class))
    }

    /// `describe`'s `hierarchy`: qualified ancestor names, nearest first, without the class itself.
    pub fn hierarchy(&'static self) -> Vec<String> {
        self.lineage().skip(1).map(|c| format!("kurento.{}", c.name)).collect()
    }

    /// Whether the class or an ancestor declares `event`.
    pub fn declares_event(&'static self, event: &str) -> bool {
        self.lineage().any(|c| c.events.contains(&event))
    }

    /// The property named `name`, from the class or an ancestor.
    pub fn property(&'static self, name: &str) -> Option<&'static Property> {
        self.lineage().flat_map(|c| c.properties.iter()).find(|p| p.name == name)
    }
}

/// The bare names of the concrete classes of `module`, for `getInfo` factories.
pub fn factories(module: Module) -> Vec<&'static str> {
    let mut names: Vec<_> = CLASSES.iter().filter(|c| c.concrete && c.module == module).map(|c| c.name).collect();
    names.sort_unstable();
    names
}

/// The property a `get<Name>`/`set<Name>` operation refers to: the text after the
/// prefix with its first letter lower-cased (`getMaxVideoRecvBandwidth` →
/// `maxVideoRecvBandwidth`), or kept when the property starts with capitals
/// (`getICECandidatePairs`, `getIceConnectionState`).
pub fn accessor(class: &'static Class, operation: &str) -> Option<(bool, &'static Property)> {
    let (is_setter, rest) = if let Some(rest) = operation.strip_prefix("get") {
        (false, rest)
    } else {
        (true, operation.strip_prefix("set")?)
    };
    let mut chars = rest.chars();
    let first = chars.next()?;
    let lowered: String = first.to_lowercase().chain(chars).collect();
    let property = class.property(&lowered).or_else(|| class.property(rest))?;
    Some((is_setter, property))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchies_match_kurento() {
        assert_eq!(
            class("WebRtcEndpoint").unwrap().hierarchy(),
            vec![
                "kurento.BaseRtpEndpoint",
                "kurento.SdpEndpoint",
                "kurento.SessionEndpoint",
                "kurento.Endpoint",
                "kurento.MediaElement",
                "kurento.MediaObject"
            ]
        );
        assert_eq!(class("MediaPipeline").unwrap().hierarchy(), vec!["kurento.MediaObject"]);
        assert_eq!(class("PassThrough").unwrap().hierarchy(), vec!["kurento.MediaElement", "kurento.MediaObject"]);
        assert_eq!(class("Composite").unwrap().hierarchy(), vec!["kurento.Hub", "kurento.MediaObject"]);
        assert_eq!(
            class("RecorderEndpoint").unwrap().hierarchy(),
            vec!["kurento.UriEndpoint", "kurento.Endpoint", "kurento.MediaElement", "kurento.MediaObject"]
        );
    }

    #[test]
    fn every_event_openvidu_subscribes_to_is_declared_on_webrtc_endpoints() {
        let endpoint = class("WebRtcEndpoint").unwrap();
        for event in [
            "IceCandidateFound",
            "IceGatheringDone",
            "NewCandidatePairSelected",
            "IceComponentStateChanged",
            "DataChannelOpened",
            "DataChannelClosed",
            "ConnectionStateChanged",
            "MediaStateChanged",
            "MediaFlowInStateChanged",
            "MediaFlowOutStateChanged",
            "Error",
            "MediaTranscodingStateChanged",
        ] {
            assert!(endpoint.declares_event(event), "{event}");
        }
        assert!(!endpoint.declares_event("Recording"));
        assert!(class("ServerManager").unwrap().declares_event("ObjectCreated"));
    }

    #[test]
    fn accessors_map_to_properties_with_kurento_capitalisation() {
        let endpoint = class("WebRtcEndpoint").unwrap();
        let (setter, property) = accessor(endpoint, "setMaxVideoRecvBandwidth").unwrap();
        assert!(setter);
        assert_eq!(property.name, "maxVideoRecvBandwidth");
        assert_eq!(accessor(endpoint, "getICECandidatePairs").unwrap().1.name, "ICECandidatePairs");
        assert_eq!(accessor(endpoint, "getIceConnectionState").unwrap().1.name, "IceConnectionState");
        assert_eq!(accessor(endpoint, "getName").unwrap().1.name, "name");
        assert!(accessor(endpoint, "getNothing").is_none());
        assert!(accessor(endpoint, "processOffer").is_none());
    }

    #[test]
    fn every_ancestor_exists_and_get_info_modules_are_complete() {
        for c in CLASSES {
            if let Some(parent) = c.extends {
                assert!(class(parent).is_some(), "{} extends unknown {parent}", c.name);
            }
            assert!(
                !c.concrete || c.parent_param.is_some() || c.name == "MediaPipeline",
                "{} has no parent param",
                c.name
            );
        }
        assert!(factories(Module::Core).contains(&"PassThrough"));
        assert!(factories(Module::Elements).contains(&"WebRtcEndpoint"));
        assert!(!factories(Module::Filters).is_empty());
    }
}
