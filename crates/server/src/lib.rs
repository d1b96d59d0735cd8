//! Plenum's master: an OpenVidu Pro 2.x compatible server.
//!
//! The modules and who may use whom are in `docs/architecture.md`: pure rules
//! in [`conference`], [`session`], [`cluster`]'s cores, [`recording`] and
//! [`config`]; [`services`] runs them and applies their outcomes; thin
//! adapters in [`api`] (HTTP) and [`signaling`] (the websocket); [`server`]
//! owns the socket, TLS and the generations of services.
pub mod api;
pub mod clock;
pub mod cluster;
pub mod codec_forcing;
pub mod conference;
pub mod config;
pub mod credentials;
pub mod events;
pub mod gc;
pub mod hostname;
pub mod hub;
pub mod ice;
pub mod ids;
pub mod inspector;
pub mod json_fields;
pub mod live_metrics;
pub mod media;
pub mod metrics_text;
pub mod openvidu_enums;
pub mod recorder;
pub mod recording;
pub mod server;
pub mod services;
pub mod session;
pub mod signaling;
pub mod status;
pub mod tls;
pub mod webhooks;
