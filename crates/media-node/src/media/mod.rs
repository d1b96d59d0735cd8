//! The SFU: str0m endpoints on media worker threads (see [`worker`]),
//! reached by the control transport through [`MediaLayer`].

pub mod config;
pub mod endpoint;
pub mod endpoint_stats;
pub mod flow;
pub mod ice_progress;
pub mod layer;
pub mod routes;
pub mod sdp_text;
pub mod worker;

pub use config::{MediaConfig, PortRange};
pub use layer::MediaLayer;
