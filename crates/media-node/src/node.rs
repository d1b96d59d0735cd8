//! A whole media node: the media workers and the control websocket in front
//! of them. The `plenum-media-node` binary runs one; the master can embed one
//! in its own process and still reach it over the websocket.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::media::{MediaConfig, MediaLayer};
use crate::transport::{self, ControlConfig};

#[derive(Debug, Clone, Default)]
pub struct NodeConfig {
    pub control: ControlConfig,
    pub media: MediaConfig,
}

pub struct RunningNode {
    pub control_addr: SocketAddr,
    pub media: Arc<MediaLayer>,
    task: JoinHandle<()>,
}

impl RunningNode {
    /// The URI a master registers: `ws://<listen>/kurento`.
    pub fn uri(&self) -> String {
        format!("ws://{}{}", self.control_addr, transport::PATH)
    }

    /// Waits until the control server stops (it runs until aborted).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Stops accepting control connections; the workers stop when the last handle goes.
    pub fn stop(self) {
        self.task.abort();
    }
}

pub async fn start(config: NodeConfig) -> std::io::Result<RunningNode> {
    let (media, events) = MediaLayer::start(&config.media)?;
    let control = transport::start(config.control, media.clone(), events).await?;
    Ok(RunningNode { control_addr: control.local_addr, media, task: control.task })
}
