//! How a request handler restarts the master it runs in, without the API
//! knowing the server: the server implements [`RestartControl`].

use std::future::Future;
use std::pin::Pin;

use super::AppState;
use crate::config::Config;
use crate::status::ServerStatus;

/// The exclusive right to restart: the running configuration cannot change
/// under the holder until it restarts or drops the turn.
pub trait RestartTurn: Send {
    /// The services running now (a request may have been routed to an older generation).
    fn current(&self) -> Option<AppState>;

    /// Replaces the running services by ones built from `config`, on the same socket.
    /// Returns the new status, or why not (the server is stopping, or the new
    /// services cannot start).
    fn restart(self: Box<Self>, config: Config) -> Result<ServerStatus, String>;
}

/// A turn, once the restarts before it are done; `None` when the server is gone.
pub type TurnFuture<'a> = Pin<Box<dyn Future<Output = Option<Box<dyn RestartTurn>>> + Send + 'a>>;

/// What a handler holds to restart the master. It does not keep the master alive:
/// once the server is shut down, [`RestartControl::begin`] answers `None`.
pub trait RestartControl: Send + Sync {
    /// Waits for any other restart to finish and takes the turn.
    fn begin(&self) -> TurnFuture<'_>;
}
