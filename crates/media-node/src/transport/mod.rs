//! The control websocket (I/O adapter around [`crate::control::plane`]).

pub mod bearer;
pub mod files;
pub mod media_port;
pub mod metrics_route;
pub mod server;

pub use media_port::{MediaAnswer, MediaPort};
pub use server::{ControlConfig, PATH, RunningControl, start};
