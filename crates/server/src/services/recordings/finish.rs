//! Finishing a stopped recording's files: the node's recorders are stopped
//! (bounded), a remote node's files are pulled, the INDIVIDUAL sync file and
//! zip are written, and the recording becomes `ready` (with `url`, `size`,
//! `duration`) or `failed`. A session left without participants is closed then.

use std::path::Path;

use super::runtime::Live;
use crate::events::EndReason;
use crate::recorder::{StopReport, WrittenFile, disk};
use crate::recording::{Recording, RecordingStatus, StreamFile, SyncFile, offset};
use crate::services::AppState;

/// What finishing produced: the served file, the size and the duration (s).
struct Finished {
    file: String,
    size: u64,
    duration: f64,
}

impl AppState {
    pub(super) async fn finish(&self, mut recording: Recording, live: Option<Live>, reason: EndReason) -> Recording {
        let now = crate::clock::now_ms();
        let active = match &live {
            Some(live) => live.slot.lock().await.take(),
            None => None,
        };
        let report = match active {
            Some(active) => active.stop(now).await,
            None => StopReport { files: Vec::new(), errors: vec!["the recording had no media on the node".into()] },
        };
        let outcome = match (&live, report.errors.is_empty()) {
            (Some(live), true) => self.collect(&recording, live, report.files).await,
            (_, _) => Err(report.errors.join("; ")),
        };
        match outcome {
            Ok(finished) => {
                recording.status = RecordingStatus::Ready;
                recording.size = finished.size;
                recording.duration = finished.duration;
                recording.url = Some(self.recording_url(&recording.id, &finished.file));
            }
            Err(message) => {
                tracing::error!(id = %recording.id, error = %message, "recording failed");
                recording.status = RecordingStatus::Failed;
            }
        }
        if let Some(stored) = self.recordings().get_mut(&recording.id) {
            *stored = recording.clone();
        }
        self.persist(&recording);
        let created = live.as_ref().map_or(0, |l| l.session_created_at);
        let status = if recording.status == RecordingStatus::Ready { "ready" } else { "failed" };
        self.announce(&recording, created, status, Some(reason));
        tracing::info!(id = %recording.id, status, size = recording.size, duration = recording.duration, "recording finished");
        self.close_if_abandoned(&recording.session_id, reason);
        recording
    }

    /// The session is no longer recorded; without participants it closes now
    /// (`automaticStop` after an automatic stop, else `lastParticipantLeft`).
    fn close_if_abandoned(&self, session: &str, reason: EndReason) {
        let close_reason = match reason {
            EndReason::AutomaticStop => EndReason::AutomaticStop,
            _ => EndReason::LastParticipantLeft,
        };
        self.decide(|conference, now| {
            if !conference.set_recording(session, false) || conference.has_participants(session) {
                return (Default::default(), ());
            }
            (conference.close_session(session, close_reason, now).unwrap_or_default(), ())
        });
    }

    /// Brings the files into `OPENVIDU_RECORDING_PATH/<id>/` and builds what is served.
    async fn collect(&self, recording: &Recording, live: &Live, files: Vec<WrittenFile>) -> Result<Finished, String> {
        let root = self.config().recording_path.clone();
        let dir = disk::folder(&root, &recording.id);
        if !live.local {
            let relative: Vec<String> = files.iter().map(|f| format!("{}/{}", recording.id, f.file)).collect();
            tokio::fs::create_dir_all(&dir).await.map_err(|e| e.to_string())?;
            self.shared.recorder.pull().pull(&live.node, &relative, &dir).await?;
            self.pull_thumbnail(recording, live, &files, &dir).await;
        }
        let recording = recording.clone();
        tokio::task::spawn_blocking(move || assemble(&recording, &dir, files)).await.map_err(|e| e.to_string())?
    }
}

impl AppState {
    /// The `.jpg` the node writes beside a composed video: pulled too, but a recording
    /// too short to have one (or a failed pull of it) costs only the thumbnail.
    async fn pull_thumbnail(&self, recording: &Recording, live: &Live, files: &[WrittenFile], dir: &Path) {
        let Some(video) = files.iter().find(|f| f.has_video && f.stream.is_none()) else { return };
        let Some(stem) = Path::new(&video.file).file_stem().and_then(|s| s.to_str()) else { return };
        let thumbnail = [format!("{}/{stem}.jpg", recording.id)];
        if let Err(error) = self.shared.recorder.pull().pull(&live.node, &thumbnail, dir).await {
            tracing::warn!(id = %recording.id, %error, "the recording's thumbnail stays on the media node");
        }
    }
}

/// COMPOSED: the one file. INDIVIDUAL: the sync file and the zip of everything.
/// The duration is the recording's, from its start to its stop; the sync file's
/// offsets count from its start too.
fn assemble(recording: &Recording, dir: &Path, files: Vec<WrittenFile>) -> Result<Finished, String> {
    let duration = recording.duration;
    let started = recording.created_at;
    if recording.properties.output_mode.is_composed() {
        let file = files.into_iter().next().map(|f| f.file).ok_or("the composed recording wrote no file")?;
        let size = disk::size_of(dir, &file);
        if size == 0 {
            return Err(format!("{file} is missing or empty"));
        }
        return Ok(Finished { file, size, duration });
    }
    let name = recording.file_name().to_string();
    let entries: Vec<StreamFile> = files
        .iter()
        .filter_map(|f| {
            let stream = f.stream.clone()?;
            Some(StreamFile {
                name: f.file.clone(),
                connection_id: stream.connection_id,
                stream_id: stream.stream_id,
                size: disk::size_of(dir, &f.file),
                client_data: stream.client_data,
                server_data: stream.server_data,
                has_audio: f.has_audio,
                has_video: f.has_video,
                type_of_video: stream.type_of_video,
                start_time_offset: offset(f.started_at, started),
                end_time_offset: offset(f.ended_at, started),
            })
        })
        .collect();
    let sync = SyncFile {
        created_at: recording.created_at,
        id: recording.id.clone(),
        name: name.clone(),
        session_id: recording.session_id.clone(),
        files: entries,
    };
    let json = format!("{name}.json");
    std::fs::write(dir.join(&json), sync.to_bytes()).map_err(|e| format!("{json}: {e}"))?;
    let mut zipped: Vec<String> = files.iter().map(|f| f.file.clone()).collect();
    zipped.push(json);
    let zip = format!("{name}.zip");
    let size = disk::zip_files(dir, &zipped, &zip).map_err(|e| format!("{zip}: {e}"))?;
    Ok(Finished { file: zip, size, duration })
}
