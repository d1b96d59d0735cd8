//! A typed handle on a media node: what the master (and the load generator)
//! use instead of method names and `json!` bodies.
//!
//! - [`MediaPipeline`], [`WebRtcEndpoint`], [`PassThrough`]: handles on the
//!   node's objects (a client and an id; cheap to clone), with the operations
//!   OpenVidu's master uses;
//! - [`RecorderEndpoint`], [`Composite`], [`HubPort`]: recordings (`docs/recording.md`);
//! - [`ServerManager`]: the node's info and load figures;
//! - [`EndpointRecipe`]: OpenVidu's sequence of calls for a publisher's or a
//!   subscriber's endpoint, written once;
//! - [`MediaError`]: which [`Step`] failed, and the client's error.

mod candidate;
mod composite;
mod endpoint;
mod error;
mod object;
mod passthrough;
mod pipeline;
mod recipe;
mod recorder;
mod server_manager;

#[cfg(test)]
mod fake_node;
#[cfg(test)]
mod handle_tests;
#[cfg(test)]
mod recipe_tests;

pub use candidate::IceCandidate;
pub use composite::{Composite, CompositeOptions, HubPort};
pub use endpoint::WebRtcEndpoint;
pub use error::{MediaError, MediaResult, Step};
pub use object::{MediaElement, SubscriptionId};
pub use passthrough::PassThrough;
pub use pipeline::MediaPipeline;
pub use recipe::{EndpointRecipe, Negotiated, Role, VideoBandwidth, subscribed_events};
pub use recorder::{MediaProfile, RECORDER_EVENTS, RecorderEndpoint, RecorderStats};
pub use server_manager::{ModuleInfo, ServerInfo, ServerManager};
