//! Plenum's media node: a Kurento-protocol control server in front of a WebRTC SFU.
//!
//! - [`control`]: the Kurento object model and its rules, without I/O;
//! - [`transport`]: the control websocket that feeds the control plane;
//! - [`system`]: load figures from `/proc` for the ServerManager.
//!
//! Built in steps (issue 3); the media workers (str0m SFU) come next.

pub mod control;
pub mod system;
pub mod transport;

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
