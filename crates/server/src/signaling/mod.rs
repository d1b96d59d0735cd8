//! The `/openvidu` signaling websocket that openvidu-browser speaks: JSON-RPC
//! 2.0 with the rpc session id injected into every result (reference §3).
//!
//! - [`codes`]: OpenVidu's error codes;
//! - [`hub`]: which websocket carries which participant, and delivery of events;
//! - [`socket`]: the websocket adapter (one task per client);
//! - [`methods`]: the client methods, as rules over the session store.
//!
//! Media (publish, subscribe, ICE) is wired to media nodes in a later step of
//! the signaling issue; until then those methods answer an error naming it.

pub mod codes;
pub mod hub;
pub mod media;
pub mod methods;
pub mod socket;
pub mod streams;

pub use hub::Hub;
