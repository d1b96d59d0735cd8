//! The Kurento JSON-RPC protocol, as spoken between Plenum's master and its
//! media nodes (and by stock kurento-client libraries).
//!
//! Pure parts: [`jsonrpc`] framing, [`method`] calls and their parameter
//! checks, [`error`] codes, [`object_id`] formats and [`event`] envelopes.
//! Driving a node: [`client`] (the connection, stringly typed, with the
//! [`keepalive`] that notices a hung node) and [`media`]
//! (typed handles on its objects, and OpenVidu's endpoint recipe).

pub mod client;
pub mod error;
pub mod event;
pub mod jsonrpc;
pub mod keepalive;
pub mod media;
pub mod method;
pub mod object_id;

pub use client::{ClientError, ClientOptions, ConnectionState, KurentoClient};
pub use error::{ErrorCode, RpcError};
pub use event::Event;
pub use jsonrpc::{Id, Incoming, Malformed};
pub use keepalive::Keepalive;
pub use method::Call;
