//! The Pro cluster: media nodes, their statuses, load and session placement.
//! Pure cores here; the HTTP handlers and node connections are adapters.

pub mod node;
pub mod placement;
pub mod status;
