//! Plenum's media node: a Kurento-protocol control server in front of a WebRTC SFU.
//!
//! - [`control`]: the Kurento object model and its rules, without I/O;
//! - [`transport`]: the control websocket that feeds the control plane;
//! - [`media`]: the SFU, str0m endpoints on one worker thread per core;
//! - [`recording`]: recorders and Composites (GStreamer) fed from the workers;
//! - [`metrics`]: the workers' counters and the `/metrics` text;
//! - [`system`]: load figures from `/proc` for the ServerManager;
//! - [`node`]: all of it started together, as the binary and the master run it.

pub mod control;
pub mod media;
pub mod metrics;
pub mod node;
pub mod recording;
pub mod system;
pub mod transport;

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
