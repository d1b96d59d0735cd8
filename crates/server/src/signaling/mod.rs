//! The `/openvidu` signaling websocket that openvidu-browser speaks: JSON-RPC
//! 2.0 with the rpc session id injected into every result (reference §3).
//!
//! - [`codes`]: OpenVidu's error codes;
//! - [`hub`]: which websocket carries which participant, and delivery of events;
//! - [`socket`]: the websocket adapter (one task per client), over
//!   [`websocket`] (the upgrade, and large messages sent in fragments);
//! - [`methods`]: the client methods, as rules over the session store;
//! - [`streams`] and [`media`]: publishing and subscribing, wired to the
//!   session's media pipeline on its media node.

pub mod codes;
pub mod hub;
pub mod media;
pub mod methods;
pub mod socket;
pub mod streams;
pub mod websocket;

pub use hub::Hub;
