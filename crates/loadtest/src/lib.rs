//! Plenum's load generator: str0m WebRTC clients that publish a looped VP8 + Opus
//! clip and subscribe to it through a media server, with the server's control
//! protocol behind a trait ([`driver::MediaServerDriver`]) so that several
//! servers can be driven alike.
//!
//! - [`clip`]: the media looped by publishers ([`ivf`] VP8 frames, [`ogg`] Opus packets).
//! - [`engine`]: threads that own the clients' `Rtc`s and UDP sockets ([`peer`]),
//!   with the [`publisher`] and [`subscriber`] behaviours.
//! - [`driver`] and its implementations: [`kurento`] (Kurento protocol, as
//!   OpenVidu drives Plenum's media node), [`openvidu`] (OpenVidu's browser signaling, to join a
//!   master's session as participants) and [`janus`] (Janus's VideoRoom, a baseline).
//! - [`connect`]: one publisher or subscriber, from offer to media.
//! - [`stats`], [`metrics`] and [`cpu`]: what is counted and what is reported.
//! - [`plan`] and [`mesh`]: a run's shape (a fan-out, or a mesh of rooms whose
//!   participants all publish and receive each other), spelled out as rooms and subscriptions.
//! - [`load`]: a whole run (rooms, publishers, subscribers, a measured window).

pub mod clip;
pub mod connect;
pub mod cpu;
pub mod driver;
pub mod engine;
pub mod ivf;
pub mod janus;
pub mod kurento;
pub mod load;
pub mod mesh;
pub mod metrics;
pub mod ogg;
pub mod openvidu;
pub mod opus;
pub mod peer;
pub mod plan;
pub mod publisher;
pub mod stats;
pub mod subscriber;
pub mod vp8;

pub use clip::Clip;
pub use connect::{Client, ConnectError, PublisherOptions, SubscriberOptions, connect_publisher, connect_subscriber};
pub use driver::{DriverError, IceCandidate, MediaServerDriver, Negotiated, Offered, Offerer, PeerId, RoomId};
pub use engine::{Engine, EngineHandle, EnginePool, PeerHandle};
pub use janus::JanusDriver;
pub use kurento::KurentoDriver;
pub use load::{LoadConfig, LoadError, run};
pub use mesh::Mesh;
pub use metrics::Report;
pub use openvidu::OpenViduDriver;
pub use plan::{Plan, Shape, Subscription};
pub use stats::{PeerStats, TrackStats};
