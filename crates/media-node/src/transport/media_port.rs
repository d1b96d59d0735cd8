//! How the control transport reaches the media layer.

use std::future::Future;
use std::pin::Pin;

use kurento_protocol::error::RpcError;
use serde_json::Value;

use crate::control::plane::{MediaCommand, MediaRequest};
use crate::metrics::WorkerSnapshot;

pub type MediaAnswer = Pin<Box<dyn Future<Output = Result<Value, RpcError>> + Send>>;

/// The media layer: commands are applied in the order given; a request's
/// answer (the `value` of the reply) arrives later. Events the media layer
/// raises travel on the channel given to the server at start.
pub trait MediaPort: Send + Sync + 'static {
    fn command(&self, command: MediaCommand);
    fn request(&self, request: MediaRequest) -> MediaAnswer;
    /// The latest counters of each media worker, for `/metrics`.
    fn worker_snapshots(&self) -> Vec<WorkerSnapshot>;
}
