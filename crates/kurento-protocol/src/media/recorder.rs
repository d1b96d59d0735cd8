//! `RecorderEndpoint`: writes what reaches it into a file on the node
//! (`docs/recording.md`). The master records each stream of an INDIVIDUAL
//! recording from its PassThrough, and a COMPOSED one from a Composite's
//! output HubPort.

use serde::Deserialize;
use serde_json::json;

use super::error::{MediaResult, Step, unexpected};
use super::object::{MediaElement, MediaObject, SubscriptionId};
use super::pipeline::MediaPipeline;

/// The container (and which tracks) a recorder writes, as Kurento spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaProfile {
    Webm,
    WebmAudioOnly,
    WebmVideoOnly,
    Mkv,
    MkvAudioOnly,
    MkvVideoOnly,
    Mp4,
    Mp4AudioOnly,
    Mp4VideoOnly,
}

impl MediaProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaProfile::Webm => "WEBM",
            MediaProfile::WebmAudioOnly => "WEBM_AUDIO_ONLY",
            MediaProfile::WebmVideoOnly => "WEBM_VIDEO_ONLY",
            MediaProfile::Mkv => "MKV",
            MediaProfile::MkvAudioOnly => "MKV_AUDIO_ONLY",
            MediaProfile::MkvVideoOnly => "MKV_VIDEO_ONLY",
            MediaProfile::Mp4 => "MP4",
            MediaProfile::Mp4AudioOnly => "MP4_AUDIO_ONLY",
            MediaProfile::Mp4VideoOnly => "MP4_VIDEO_ONLY",
        }
    }

    /// The WebM profile for a stream with these tracks (both false reads as both true).
    pub fn webm_for(has_audio: bool, has_video: bool) -> Self {
        match (has_audio, has_video) {
            (true, false) => MediaProfile::WebmAudioOnly,
            (false, true) => MediaProfile::WebmVideoOnly,
            _ => MediaProfile::Webm,
        }
    }
}

/// `getStats` of a recorder (Plenum's addition to Kurento's class).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RecorderStats {
    pub frames_written: u64,
    pub frames_dropped: u64,
    pub bytes: u64,
    pub duration_ms: u64,
    /// Wall clock (ms) of the first written frame; 0 before one was written.
    pub started_at_ms: u64,
}

/// The events a recorder raises (`subscribe` to each by name).
pub const RECORDER_EVENTS: [&str; 5] = ["Recording", "Paused", "Stopped", "UriEndpointStateChanged", "Error"];

#[derive(Debug, Clone)]
pub struct RecorderEndpoint {
    object: MediaObject,
}

impl RecorderEndpoint {
    /// `create RecorderEndpoint {mediaPipeline, uri, mediaProfile}` in `pipeline`.
    pub async fn create(pipeline: &MediaPipeline, uri: &str, profile: MediaProfile) -> MediaResult<Self> {
        let params = json!({
            "mediaPipeline": pipeline.id(),
            "uri": uri,
            "mediaProfile": profile.as_str(),
            "stopOnEndOfStream": false,
        });
        let object =
            MediaObject::create(pipeline.client(), Step::CreateRecorderEndpoint, "RecorderEndpoint", params).await?;
        Ok(Self { object })
    }

    pub fn id(&self) -> &str {
        self.object.id()
    }

    /// `record`: starts (or resumes) writing.
    pub async fn record(&self) -> MediaResult<()> {
        self.object.invoke(Step::Record, json!({})).await.map(drop)
    }

    /// `pause`: frames are dropped until `record` again.
    pub async fn pause(&self) -> MediaResult<()> {
        self.object.invoke(Step::Pause, json!({})).await.map(drop)
    }

    /// `stop`: answers at once; the node finishes the file in the background.
    pub async fn stop(&self) -> MediaResult<()> {
        self.object.invoke(Step::StopRecording, json!({})).await.map(drop)
    }

    /// `stopAndWait`: answers once the file is complete (the node gives up after 10 s).
    pub async fn stop_and_wait(&self) -> MediaResult<()> {
        self.object.invoke(Step::StopAndWait, json!({})).await.map(drop)
    }

    /// `getStats` (Plenum): frames, bytes and duration written so far.
    pub async fn stats(&self) -> MediaResult<RecorderStats> {
        let value = self.object.invoke(Step::GetStats, json!({})).await?;
        RecorderStats::deserialize(&value).map_err(|_| unexpected(Step::GetStats, value))
    }

    /// `subscribe` to one of [`RECORDER_EVENTS`].
    pub async fn subscribe(&self, event: &str) -> MediaResult<SubscriptionId> {
        self.object.subscribe(event).await
    }

    pub async fn release(&self) -> MediaResult<()> {
        self.object.release().await
    }
}

impl MediaElement for RecorderEndpoint {
    fn id(&self) -> &str {
        self.object.id()
    }
}
