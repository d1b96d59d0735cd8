//! Plenum's master: an OpenVidu Pro 2.x compatible server.
//!
//! Layout follows `ARCHITECTURE.md`: pure rules in [`session`], [`recording`]
//! and [`config`]; thin adapters in [`api`] (HTTP) and [`server`] (sockets,
//! TLS, background tasks).

pub mod api;
pub mod clock;
pub mod cluster;
pub mod codec_forcing;
pub mod config;
pub mod fields;
pub mod gc;
pub mod ice;
pub mod recording;
pub mod server;
pub mod session;
pub mod signaling;
pub mod status;
pub mod tls;
pub mod wire;
