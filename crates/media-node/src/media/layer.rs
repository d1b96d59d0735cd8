//! The media layer as the control transport sees it: pipelines pinned to
//! worker threads, commands and requests carried to them over channels.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::event::Event;
use kurento_protocol::object_id;
use tokio::sync::{mpsc, oneshot};

use super::config::MediaConfig;
use super::worker::{self, WorkerHandle, WorkerMessage};
use crate::control::links::LinkChange;
use crate::control::plane::{ElementKind, MediaCommand, MediaRequest};
use crate::metrics::WorkerSnapshot;
use crate::recording::studio::Studio;
use crate::transport::{MediaAnswer, MediaPort};

/// Which worker owns which pipeline: the least loaded one at the pipeline's first element.
#[derive(Debug, Default)]
struct Placement {
    worker_of: HashMap<String, usize>,
    pipelines_per_worker: Vec<usize>,
}

impl Placement {
    fn place(&mut self, pipeline: &str) -> usize {
        if let Some(&worker) = self.worker_of.get(pipeline) {
            return worker;
        }
        let worker = (0..self.pipelines_per_worker.len()).min_by_key(|&w| self.pipelines_per_worker[w]).unwrap_or(0);
        self.pipelines_per_worker[worker] += 1;
        self.worker_of.insert(pipeline.to_string(), worker);
        worker
    }

    fn forget(&mut self, pipeline: &str) {
        if let Some(worker) = self.worker_of.remove(pipeline) {
            self.pipelines_per_worker[worker] -= 1;
        }
    }
}

pub struct MediaLayer {
    workers: Vec<WorkerHandle>,
    placement: Mutex<Placement>,
    /// Recorders and Composites; dropping the layer finishes open recordings.
    studio: Studio,
}

impl MediaLayer {
    /// Starts the workers; media events (ICE, flow, state) arrive on the returned channel.
    pub fn start(config: &MediaConfig) -> std::io::Result<(Arc<Self>, mpsc::UnboundedReceiver<Event>)> {
        let (events, receiver) = mpsc::unbounded_channel();
        let count = config.workers.max(1);
        let mut workers = Vec::with_capacity(count);
        let mut next_port = config.rtc_ports.map(|r| r.first);
        for index in 0..count {
            let handle = worker::spawn(index, config, &mut next_port, events.clone())?;
            workers.push(handle);
        }
        let placement = Placement { pipelines_per_worker: vec![0; count], ..Placement::default() };
        let studio = Studio::new(events, config.recording_root.clone());
        Ok((Arc::new(Self { workers, placement: Mutex::new(placement), studio }), receiver))
    }

    /// The UDP address each worker receives media on.
    pub fn media_addresses(&self) -> Vec<SocketAddr> {
        self.workers.iter().map(|w| w.address).collect()
    }

    /// Finishes every open recording (bounded wait): for a node that is about to exit.
    pub fn finish_recordings(&self) {
        self.studio.finish_all();
    }

    fn worker_for(&self, element: &str) -> &WorkerHandle {
        let pipeline = object_id::pipeline_of(element);
        let index = self.placement.lock().unwrap_or_else(|p| p.into_inner()).place(pipeline);
        &self.workers[index]
    }
}

impl MediaPort for MediaLayer {
    fn command(&self, command: MediaCommand) {
        let element = match &command {
            MediaCommand::Create { id, .. } | MediaCommand::Release { id } | MediaCommand::Configure { id, .. } => id,
            MediaCommand::Link(LinkChange::Connected { source, .. } | LinkChange::Disconnected { source, .. }) => {
                source
            }
        };
        let pipeline = object_id::pipeline_of(element).to_string();
        let releases_pipeline = matches!(&command, MediaCommand::Release { id } if *id == pipeline);
        match &command {
            MediaCommand::Create { id, kind: ElementKind::Composite(params) } => {
                return self.studio.create_composite(id, *params);
            }
            MediaCommand::Create { id, kind: ElementKind::HubPort } => {
                let worker = self.worker_for(element);
                worker.send(WorkerMessage::Command(command.clone()));
                if let Some(tap) = self.studio.create_hubport(id) {
                    worker.send(WorkerMessage::AddTap { id: id.clone(), tap });
                }
                return;
            }
            MediaCommand::Release { id } => self.studio.release(id),
            MediaCommand::Link(change) => self.studio.link(change),
            _ => {}
        }
        self.worker_for(element).send(WorkerMessage::Command(command));
        if releases_pipeline {
            self.placement.lock().unwrap_or_else(|p| p.into_inner()).forget(&pipeline);
        }
    }

    fn request(&self, request: MediaRequest) -> MediaAnswer {
        let element = match &request {
            MediaRequest::ProcessOffer { endpoint, .. }
            | MediaRequest::GenerateOffer { endpoint, .. }
            | MediaRequest::ProcessAnswer { endpoint, .. }
            | MediaRequest::GatherCandidates { endpoint }
            | MediaRequest::AddIceCandidate { endpoint, .. }
            | MediaRequest::LocalDescription { endpoint }
            | MediaRequest::RemoteDescription { endpoint }
            | MediaRequest::RequestKeyframe { endpoint }
            | MediaRequest::Stats { endpoint } => endpoint,
            MediaRequest::IsMediaFlowing { element, .. } => element,
            MediaRequest::CreateRecorder { id, params } => {
                let created = self.studio.create_recorder(id, params.clone()).map(|tap| {
                    self.worker_for(id).send(WorkerMessage::AddTap { id: id.clone(), tap });
                    serde_json::json!(id)
                });
                return Box::pin(std::future::ready(created));
            }
            MediaRequest::Recorder { id, op } => return self.studio.request(id, *op),
        };
        let (answer, answered) = oneshot::channel();
        self.worker_for(element).send(WorkerMessage::Request(request, answer));
        Box::pin(async move {
            answered
                .await
                .unwrap_or_else(|_| Err(RpcError::new(ErrorCode::UnexpectedError, "The media worker has stopped")))
        })
    }

    fn worker_snapshots(&self) -> Vec<WorkerSnapshot> {
        self.workers.iter().map(WorkerHandle::snapshot).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipelines_go_to_the_least_loaded_worker_and_stay_there() {
        let mut placement = Placement { pipelines_per_worker: vec![0, 0], ..Placement::default() };
        let a = placement.place("a");
        let b = placement.place("b");
        assert_ne!(a, b);
        assert_eq!(placement.place("a"), a);
        placement.forget("a");
        assert_eq!(placement.place("c"), a);
    }
}
