//! The control plane: the Kurento object model and its rules, free of I/O.

pub mod binding;
pub mod classes;
pub mod links;
pub mod plane;
pub mod recording_params;
pub mod registry;
pub mod server_manager;
pub mod transaction;
