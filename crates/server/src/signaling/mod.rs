//! The `/openvidu` signaling websocket that openvidu-browser speaks: JSON-RPC
//! 2.0 with the rpc session id injected into every result (reference §3). An
//! adapter: it reads each method's parameters and runs the conference core's
//! commands through [`crate::services::AppState`].
//!
//! - [`codes`]: OpenVidu's error codes as JSON-RPC errors;
//! - [`params`]: the typed parameters of each method;
//! - [`socket`]: the websocket adapter (one task per client), over
//!   [`websocket`] (the upgrade, and large messages sent in fragments);
//! - [`methods`]: joining, leaving and messages;
//! - [`streams`]: publishing and subscribing, negotiated on the session's media node.

pub mod codes;
pub mod methods;
pub mod params;
pub mod socket;
pub mod streams;
pub mod websocket;

/// The route of the websocket, for the server to mount beside the REST API.
pub fn routes() -> axum::Router<crate::services::AppState> {
    axum::Router::new().route("/openvidu", axum::routing::get(socket::upgrade))
}
