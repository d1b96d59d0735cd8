//! The control websocket (I/O adapter around [`crate::control::plane`]).

pub mod files;
pub mod media_port;
pub mod server;

pub use media_port::{MediaAnswer, MediaPort};
pub use server::{ControlConfig, PATH, RunningControl, start};
