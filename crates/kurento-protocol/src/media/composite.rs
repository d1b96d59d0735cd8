//! `Composite` and its `HubPort`s: the node mixes every input port into one
//! picture and one sound (`docs/recording.md`). The master feeds one input
//! port per published stream of a COMPOSED recording and records the mix from
//! one output port.

use serde_json::{Value, json};

use super::error::{MediaResult, Step};
use super::object::{MediaElement, MediaObject};
use super::pipeline::MediaPipeline;

/// How the mix is laid out and encoded (Plenum's constructor parameters; a
/// stock Kurento ignores them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeOptions {
    /// `BEST_FIT`, `PICTURE_IN_PICTURE`, `VERTICAL_PRESENTATION`, `HORIZONTAL_PRESENTATION`.
    pub layout: String,
    pub width: u32,
    pub height: u32,
    pub frame_rate: u32,
    pub has_audio: bool,
    pub has_video: bool,
}

impl Default for CompositeOptions {
    fn default() -> Self {
        Self { layout: "BEST_FIT".into(), width: 1280, height: 720, frame_rate: 25, has_audio: true, has_video: true }
    }
}

#[derive(Debug, Clone)]
pub struct Composite {
    object: MediaObject,
}

impl Composite {
    /// `create Composite {mediaPipeline, layout, width, height, frameRate, hasAudio, hasVideo}`.
    pub async fn create(pipeline: &MediaPipeline, options: &CompositeOptions) -> MediaResult<Self> {
        let params = json!({
            "mediaPipeline": pipeline.id(),
            "layout": options.layout,
            "width": options.width,
            "height": options.height,
            "frameRate": options.frame_rate,
            "hasAudio": options.has_audio,
            "hasVideo": options.has_video,
        });
        let object = MediaObject::create(pipeline.client(), Step::CreateComposite, "Composite", params).await?;
        Ok(Self { object })
    }

    pub fn id(&self) -> &str {
        self.object.id()
    }

    /// `create HubPort {hub}`: an input when connected from a source, the mix when connected to a sink.
    pub async fn create_port(&self) -> MediaResult<HubPort> {
        let params: Value = json!({"hub": self.id()});
        let object = MediaObject::create(self.object.client(), Step::CreateHubPort, "HubPort", params).await?;
        Ok(HubPort { object })
    }

    pub async fn release(&self) -> MediaResult<()> {
        self.object.release().await
    }
}

#[derive(Debug, Clone)]
pub struct HubPort {
    object: MediaObject,
}

impl HubPort {
    pub fn id(&self) -> &str {
        self.object.id()
    }

    /// `connect {sink}`: the mix flows into `sink` (a RecorderEndpoint).
    pub async fn connect(&self, sink: &impl MediaElement) -> MediaResult<()> {
        self.object.connect(sink.id()).await
    }

    /// Releasing an input port takes its tile out of the mix.
    pub async fn release(&self) -> MediaResult<()> {
        self.object.release().await
    }
}

impl MediaElement for HubPort {
    fn id(&self) -> &str {
        self.object.id()
    }
}
