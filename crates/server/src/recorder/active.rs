//! One recording in progress on a session's pipeline, and the node calls that
//! start it, follow its publishers and stop it.
//!
//! A stop never hangs: every `stopAndWait` is bounded by [`STOP_TIMEOUT`], and a
//! recorder that fails or times out is reported in [`StopReport::errors`] (the
//! services then mark the recording `failed`), with what it wrote kept.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kurento_protocol::media::{
    Composite, CompositeOptions, HubPort, MediaError, MediaPipeline, MediaProfile, PassThrough, RecorderEndpoint,
};

use super::track::{RecordedStream, Track, file_for};

/// The node answers `stopAndWait` within 10 s (`docs/recording.md`); a little more for the trip.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(12);

/// What a COMPOSED recording mixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeSpec {
    pub options: CompositeOptions,
    /// `<name>.mp4`, or `<name>.webm` without video.
    pub file: String,
}

enum Layout {
    Individual { has_audio: bool, has_video: bool, live: HashMap<String, Track>, done: Vec<Track> },
    Composed(Box<Composed>),
}

/// The node objects of a COMPOSED recording.
struct Composed {
    composite: Composite,
    output: HubPort,
    recorder: RecorderEndpoint,
    inputs: HashMap<String, HubPort>,
    file: String,
    has_audio: bool,
    has_video: bool,
}

pub struct ActiveRecording {
    pipeline: MediaPipeline,
    /// The recording's folder as the node sees it (`<root>/<id>`).
    folder: PathBuf,
    started_at: u64,
    layout: Layout,
}

/// One file the node wrote, and (INDIVIDUAL) the stream it holds.
#[derive(Debug, Clone)]
pub struct WrittenFile {
    pub file: String,
    pub stream: Option<RecordedStream>,
    pub has_audio: bool,
    pub has_video: bool,
    pub started_at: u64,
    pub ended_at: u64,
}

#[derive(Debug, Default)]
pub struct StopReport {
    pub files: Vec<WrittenFile>,
    /// What failed while stopping (a timeout, a node error); empty when all went well.
    pub errors: Vec<String>,
}

fn uri(folder: &Path, file: &str) -> String {
    format!("file://{}", folder.join(file).display())
}

impl ActiveRecording {
    /// An INDIVIDUAL recording of `streams` (each with its PassThrough), written into `folder`.
    pub async fn individual(
        pipeline: MediaPipeline,
        folder: PathBuf,
        has_audio: bool,
        has_video: bool,
        streams: Vec<(RecordedStream, PassThrough)>,
        now: u64,
    ) -> Result<Self, MediaError> {
        let layout = Layout::Individual { has_audio, has_video, live: HashMap::new(), done: Vec::new() };
        let mut recording = Self { pipeline, folder, started_at: now, layout };
        for (stream, passthrough) in streams {
            if let Err(error) = recording.add_stream(stream, &passthrough, now).await {
                recording.abandon().await;
                return Err(error);
            }
        }
        Ok(recording)
    }

    /// A COMPOSED recording: the mix of `streams` into one file.
    pub async fn composed(
        pipeline: MediaPipeline,
        folder: PathBuf,
        spec: CompositeSpec,
        streams: Vec<(RecordedStream, PassThrough)>,
        now: u64,
    ) -> Result<Self, MediaError> {
        let composite = Composite::create(&pipeline, &spec.options).await?;
        let built = async {
            let output = composite.create_port().await?;
            let profile = if spec.options.has_video { MediaProfile::Mp4 } else { MediaProfile::WebmAudioOnly };
            let recorder = RecorderEndpoint::create(&pipeline, &uri(&folder, &spec.file), profile).await?;
            output.connect(&recorder).await?;
            Ok::<_, MediaError>((output, recorder))
        };
        let (output, recorder) = match built.await {
            Ok(parts) => parts,
            Err(error) => {
                let _ = composite.release().await;
                return Err(error);
            }
        };
        let (has_audio, has_video) = (spec.options.has_audio, spec.options.has_video);
        let layout = Layout::Composed(Box::new(Composed {
            composite,
            output,
            recorder,
            inputs: HashMap::new(),
            file: spec.file,
            has_audio,
            has_video,
        }));
        let mut recording = Self { pipeline, folder, started_at: now, layout };
        let started = async {
            for (stream, passthrough) in streams {
                recording.add_stream(stream, &passthrough, now).await?;
            }
            if let Layout::Composed(composed) = &recording.layout {
                composed.recorder.record().await?;
            }
            Ok::<_, MediaError>(())
        };
        if let Err(error) = started.await {
            recording.abandon().await;
            return Err(error);
        }
        Ok(recording)
    }

    pub fn started_at(&self) -> u64 {
        self.started_at
    }

    /// A stream published while recording (or at the start): its own recorder, or a tile of the mix.
    pub async fn add_stream(
        &mut self,
        stream: RecordedStream,
        passthrough: &PassThrough,
        now: u64,
    ) -> Result<(), MediaError> {
        match &mut self.layout {
            Layout::Individual { has_audio, has_video, live, done } => {
                if live.contains_key(&stream.stream_id) {
                    return Ok(());
                }
                let taken = |name: &str| live.values().chain(done.iter()).any(|t| t.file == name);
                let file = file_for(&stream.stream_id, taken);
                let audio = stream.has_audio && *has_audio;
                let video = stream.has_video && *has_video;
                let profile = MediaProfile::webm_for(audio, video);
                let recorder = RecorderEndpoint::create(&self.pipeline, &uri(&self.folder, &file), profile).await?;
                let wired = async {
                    passthrough.connect(&recorder).await?;
                    recorder.record().await
                };
                if let Err(error) = wired.await {
                    let _ = recorder.release().await;
                    return Err(error);
                }
                let track = Track {
                    stream: stream.clone(),
                    file,
                    recorder,
                    has_audio: audio || !video,
                    has_video: video,
                    started_at: now,
                    ended_at: None,
                };
                live.insert(stream.stream_id, track);
                Ok(())
            }
            Layout::Composed(composed) => {
                let Composed { composite, inputs, .. } = composed.as_mut();
                if inputs.contains_key(&stream.stream_id) {
                    return Ok(());
                }
                let port = composite.create_port().await?;
                if let Err(error) = passthrough.connect(&port).await {
                    let _ = port.release().await;
                    return Err(error);
                }
                inputs.insert(stream.stream_id, port);
                Ok(())
            }
        }
    }

    /// A stream was unpublished: its file is finished (INDIVIDUAL) or its tile leaves the mix.
    pub async fn remove_stream(&mut self, stream_id: &str, now: u64) -> Vec<String> {
        let mut errors = Vec::new();
        match &mut self.layout {
            Layout::Individual { live, done, .. } => errors = finish_track(live, done, stream_id, now).await,
            Layout::Composed(composed) => {
                if let Some(port) = composed.inputs.remove(stream_id) {
                    let _ = port.release().await;
                }
            }
        }
        errors
    }

    /// Stops every recorder (bounded) and releases what this recording created.
    pub async fn stop(mut self, now: u64) -> StopReport {
        let mut report = StopReport::default();
        match &mut self.layout {
            Layout::Individual { live, done, .. } => {
                let ids: Vec<String> = live.keys().cloned().collect();
                for id in ids {
                    report.errors.extend(finish_track(live, done, &id, now).await);
                }
                for track in done.drain(..) {
                    report.files.push(WrittenFile {
                        file: track.file,
                        stream: Some(track.stream),
                        has_audio: track.has_audio,
                        has_video: track.has_video,
                        started_at: track.started_at,
                        ended_at: track.ended_at.unwrap_or(now),
                    });
                }
            }
            Layout::Composed(composed) => {
                let Composed { composite, output, recorder, inputs, file, has_audio, has_video } = composed.as_mut();
                if let Err(error) = stop_one(recorder).await {
                    report.errors.push(format!("{file}: {error}"));
                }
                for (_, port) in inputs.drain() {
                    let _ = port.release().await;
                }
                let _ = recorder.release().await;
                let _ = output.release().await;
                let _ = composite.release().await;
                report.files.push(WrittenFile {
                    file: file.clone(),
                    stream: None,
                    has_audio: *has_audio,
                    has_video: *has_video,
                    started_at: self.started_at,
                    ended_at: now,
                });
            }
        }
        report
    }

    /// A start that failed half-way: release what was created, keep nothing.
    async fn abandon(self) {
        let _ = self.stop(0).await;
    }
}

/// Stops and releases the live track of `id`, which becomes done.
async fn finish_track(live: &mut HashMap<String, Track>, done: &mut Vec<Track>, id: &str, now: u64) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(mut track) = live.remove(id) {
        if let Err(error) = stop_one(&track.recorder).await {
            errors.push(format!("{}: {error}", track.file));
        }
        let _ = track.recorder.release().await;
        track.ended_at = Some(now);
        done.push(track);
    }
    errors
}

/// `stopAndWait`, bounded by [`STOP_TIMEOUT`].
async fn stop_one(recorder: &RecorderEndpoint) -> Result<(), String> {
    match tokio::time::timeout(STOP_TIMEOUT, recorder.stop_and_wait()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("stopAndWait did not answer within {} s", STOP_TIMEOUT.as_secs())),
    }
}
