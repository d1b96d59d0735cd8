//! `POST /recordings/start` (and `recordingMode: ALWAYS`): reserve the id under
//! the locks, then build the recording on the session's node.

use std::path::PathBuf;

use kurento_protocol::media::{CompositeOptions, PassThrough};

use super::runtime::Live;
use crate::cluster::status::NodeStatus;
use crate::recorder::{ActiveRecording, CompositeSpec, RecordedStream, disk};
use crate::recording::{Recording, RecordingProperties, RecordingStatus, next_recording_id};
use crate::services::AppState;
use crate::session::Session;

/// Why a recording did not start (the REST codes of reference §1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartFailure {
    /// 404
    NoSession,
    /// 406: nobody has joined.
    NotActive,
    /// 409: already being recorded.
    AlreadyRecording,
    /// 503: the session's node is not `running`.
    NodeNotRunning(String),
    /// 500: the node refused or failed.
    Failed(String),
}

/// The streams of `session` a recording takes: published by connections with `record: true`.
pub(super) fn recorded_streams(session: &Session) -> Vec<RecordedStream> {
    let mut streams = Vec::new();
    for connection in session.connections.values().filter(|c| c.props.record) {
        let Some(participant) = &connection.participant else { continue };
        for publisher in &participant.publishers {
            streams.push(RecordedStream {
                connection_id: connection.id.clone(),
                stream_id: publisher.stream_id.clone(),
                client_data: participant.client_data.clone(),
                server_data: connection.props.data.clone(),
                has_audio: publisher.media_options.has_audio,
                has_video: publisher.media_options.has_video,
                type_of_video: publisher.media_options.type_of_video.clone(),
            });
        }
    }
    streams
}

/// `1280x720` → (1280, 720); the properties were validated already.
fn dimensions(resolution: Option<&str>) -> (u32, u32) {
    resolution
        .and_then(|r| r.split_once('x'))
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .unwrap_or((1280, 720))
}

pub(super) fn composite_spec(recording: &Recording) -> CompositeSpec {
    let p = &recording.properties;
    let (width, height) = dimensions(p.resolution.as_deref());
    let layout = p.recording_layout.map(|l| crate::openvidu_enums::WireEnum::as_str(l).to_string());
    let options = CompositeOptions {
        layout: layout.unwrap_or_else(|| "BEST_FIT".into()),
        width,
        height,
        frame_rate: p.frame_rate.and_then(|f| u32::try_from(f).ok()).unwrap_or(25),
        has_audio: p.has_audio,
        has_video: p.has_video,
    };
    let extension = if p.has_video { "mp4" } else { "webm" };
    CompositeSpec { options, file: format!("{}.{extension}", recording.file_name()) }
}

impl AppState {
    /// Starts recording `session_id` with `props`; answers once the node records (status `started`).
    pub async fn start_recording(
        &self,
        session_id: &str,
        props: RecordingProperties,
    ) -> Result<Recording, StartFailure> {
        let node = self.cluster().registry().host_of(session_id).map(str::to_string).ok_or(StartFailure::NotActive)?;
        let running = self.cluster().registry().get(&node).is_ok_and(|n| n.status == NodeStatus::Running);
        let client = self.cluster().client(&node).filter(|_| running);
        let Some(client) = client else { return Err(StartFailure::NodeNotRunning(node)) };
        let local = self.cluster().shares_filesystem(&node);
        let root = self.config().recording_path.clone();
        let node_root = match local {
            true => root.clone(),
            false => self.shared.recorder.pull().root(&node).await.map_err(StartFailure::Failed)?,
        };

        let now = crate::clock::now_ms();
        let (recording, streams, guard) = {
            let mut conference = self.conference();
            let session = conference.store().session(session_id).ok_or(StartFailure::NoSession)?;
            if !session.is_active() {
                return Err(StartFailure::NotActive);
            }
            let session_created_at = session.created_at;
            let streams = recorded_streams(session);
            let mut store = self.recordings();
            if store.is_recording(session_id) {
                return Err(StartFailure::AlreadyRecording);
            }
            let id = next_recording_id(session_id, |id| store.contains(id) || disk::folder_exists(&root, id));
            let recording = Recording {
                id: id.clone(),
                session_id: session_id.to_string(),
                created_at: now,
                size: 0,
                duration: 0.0,
                url: None,
                status: RecordingStatus::Starting,
                properties: props,
            };
            store.insert(recording.clone());
            conference.set_recording(session_id, true);
            let slot: super::runtime::Slot = Default::default();
            let guard = slot.clone().try_lock_owned().expect("a new slot is free");
            let node_folder = disk::folder(&node_root, &id);
            self.shared.recorder.insert(&id, Live { slot, session_created_at, node: node.clone(), local, node_folder });
            (recording, streams, guard)
        };
        self.persist(&recording);
        tracing::info!(id = %recording.id, session = %session_id, %node, local, "recording starting");

        let built = self.build(&recording, client, streams).await;
        let mut guard = guard;
        match built {
            Ok(active) => {
                *guard = Some(active);
                drop(guard);
                self.mark_started(&recording.id).ok_or_else(|| StartFailure::Failed("the recording was dropped".into()))
            }
            Err(message) => {
                drop(guard);
                self.fail_start(&recording.id, &message);
                Err(StartFailure::Failed(message))
            }
        }
    }

    /// The node objects of a new recording.
    async fn build(
        &self,
        recording: &Recording,
        client: std::sync::Arc<kurento_protocol::KurentoClient>,
        streams: Vec<RecordedStream>,
    ) -> Result<ActiveRecording, String> {
        let live = self.shared.recorder.get(&recording.id).ok_or("the recording was dropped")?;
        if live.local {
            let root = self.config().recording_path.clone();
            disk::create_folder(&root, &recording.id)
                .map_err(|e| format!("cannot create the recording folder: {e}"))?;
        }
        let pipeline = self
            .media()
            .ensure_pipeline(&recording.session_id, client, self.hub().clone())
            .await
            .map_err(|e| e.to_string())?;
        let fed: Vec<(RecordedStream, PassThrough)> = streams
            .into_iter()
            .filter_map(|s| {
                let (_, passthrough) = self.media().passthrough_of(&recording.session_id, &s.connection_id)?;
                Some((s, passthrough))
            })
            .collect();
        let folder: PathBuf = live.node_folder.clone();
        let p = &recording.properties;
        let now = crate::clock::now_ms();
        let built = if p.output_mode.is_composed() {
            ActiveRecording::composed(pipeline, folder, composite_spec(recording), fed, now).await
        } else {
            ActiveRecording::individual(pipeline, folder, p.has_audio, p.has_video, fed, now).await
        };
        built.map_err(|e| e.to_string())
    }

    /// `starting` → `started`: stored, written, announced. A session that closed while
    /// the recording was starting has it stopped at once (`sessionClosedByServer`).
    fn mark_started(&self, id: &str) -> Option<Recording> {
        let conference = self.conference();
        let recording = {
            let mut store = self.recordings();
            let recording = store.get_mut(id).filter(|r| r.status == RecordingStatus::Starting)?;
            recording.status = RecordingStatus::Started;
            recording.clone()
        };
        let created = self.shared.recorder.get(id).map_or(0, |l| l.session_created_at);
        self.announce(&recording, created, "started", None);
        self.persist(&recording);
        self.notify_participants(&conference, &recording, None);
        if conference.store().session(&recording.session_id).is_none() {
            let _ = self.begin_stop(id, crate::events::EndReason::SessionClosedByServer, &conference);
        }
        drop(conference);
        tracing::info!(id = %recording.id, "recording started");
        Some(recording)
    }

    /// The node could not start it: `failed`, and the session is no longer recorded.
    fn fail_start(&self, id: &str, message: &str) {
        tracing::error!(%id, error = %message, "recording failed to start");
        let live = self.shared.recorder.take(id);
        let mut conference = self.conference();
        let recording = {
            let mut store = self.recordings();
            let Some(recording) = store.get_mut(id) else { return };
            recording.status = RecordingStatus::Failed;
            recording.clone()
        };
        conference.set_recording(&recording.session_id, false);
        drop(conference);
        self.announce(&recording, live.map_or(0, |l| l.session_created_at), "failed", None);
        self.persist(&recording);
    }

    /// Writes the recording's `.recording.<id>` (a failure is logged: the store stays right).
    pub(super) fn persist(&self, recording: &Recording) {
        if let Err(error) = disk::write_metadata(&self.config().recording_path, recording) {
            tracing::warn!(%error, id = %recording.id, "recording metadata not written");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_files_and_sizes_follow_the_properties() {
        let mut recording = Recording {
            id: "ses~1".into(),
            session_id: "ses".into(),
            created_at: 0,
            size: 0,
            duration: 0.0,
            url: None,
            status: RecordingStatus::Starting,
            properties: RecordingProperties { resolution: Some("640x480".into()), ..RecordingProperties::default() },
        };
        let spec = composite_spec(&recording);
        assert_eq!((spec.file.as_str(), spec.options.width, spec.options.height), ("ses~1.mp4", 640, 480));
        recording.properties.has_video = false;
        recording.properties.name = "audio".into();
        assert_eq!(composite_spec(&recording).file, "audio.webm");
    }
}
