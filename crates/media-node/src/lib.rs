//! Plenum's media node: a Kurento-protocol control server in front of a WebRTC SFU.
//!
//! This crate is being built in steps (issue 3). Present so far: the
//! control-plane class model and the object registry (objects, sessions,
//! references, subscriptions).

pub mod control;
