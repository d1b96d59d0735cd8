//! Why driving a media node failed: the step that failed and the client's error.
//!
//! The master tells participants which step went wrong ("media node:
//! processOffer failed: …") and decides what to clean up from it, so the step
//! is a value, not text folded into a string.

use std::fmt;

use crate::client::ClientError;

/// One call the facade makes to a media node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    CreatePipeline,
    CreateWebRtcEndpoint,
    CreatePassThrough,
    SetMaxVideoRecvBandwidth,
    SetMinVideoRecvBandwidth,
    SetMaxVideoSendBandwidth,
    SetMinVideoSendBandwidth,
    Subscribe,
    ProcessOffer,
    Connect,
    GatherCandidates,
    AddIceCandidate,
    Release,
    GetChildren,
    GetInfo,
    GetUsedCpu,
    GetUsedMemory,
    GetPipelines,
    GetMetadata,
    CreateRecorderEndpoint,
    CreateComposite,
    CreateHubPort,
    Record,
    Pause,
    StopRecording,
    StopAndWait,
    GetStats,
}

impl Step {
    /// How the step reads in messages. For the steps that are `invoke`s this is
    /// the operation sent (`processOffer`); `create` names the type it creates.
    pub fn name(self) -> &'static str {
        match self {
            Step::CreatePipeline => "create MediaPipeline",
            Step::CreateWebRtcEndpoint => "create WebRtcEndpoint",
            Step::CreatePassThrough => "create PassThrough",
            Step::Subscribe => "subscribe",
            Step::Release => "release",
            Step::SetMaxVideoRecvBandwidth => "setMaxVideoRecvBandwidth",
            Step::SetMinVideoRecvBandwidth => "setMinVideoRecvBandwidth",
            Step::SetMaxVideoSendBandwidth => "setMaxVideoSendBandwidth",
            Step::SetMinVideoSendBandwidth => "setMinVideoSendBandwidth",
            Step::ProcessOffer => "processOffer",
            Step::Connect => "connect",
            Step::GatherCandidates => "gatherCandidates",
            Step::AddIceCandidate => "addIceCandidate",
            Step::GetChildren => "getChildren",
            Step::GetInfo => "getInfo",
            Step::GetMetadata => "getMetadata",
            Step::GetUsedCpu => "getUsedCpu",
            Step::GetUsedMemory => "getUsedMemory",
            Step::GetPipelines => "getPipelines",
            Step::CreateRecorderEndpoint => "create RecorderEndpoint",
            Step::CreateComposite => "create Composite",
            Step::CreateHubPort => "create HubPort",
            Step::Record => "record",
            Step::Pause => "pause",
            Step::StopRecording => "stop",
            Step::StopAndWait => "stopAndWait",
            Step::GetStats => "getStats",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed call to a media node.
#[derive(Debug, thiserror::Error)]
#[error("media node: {step} failed: {source}")]
pub struct MediaError {
    pub step: Step,
    #[source]
    pub source: ClientError,
}

impl MediaError {
    pub fn new(step: Step, source: ClientError) -> Self {
        Self { step, source }
    }

    /// The Kurento error code, when the node answered with an error.
    pub fn rpc_code(&self) -> Option<i64> {
        self.source.rpc_code()
    }
}

pub type MediaResult<T> = Result<T, MediaError>;

/// `map_err` helper: tags a client error with the step it happened in.
pub(crate) fn at(step: Step) -> impl FnOnce(ClientError) -> MediaError {
    move |source| MediaError::new(step, source)
}

/// The error for an answer that has the wrong shape (a number where an SDP was expected, …).
pub(crate) fn unexpected(step: Step, answer: serde_json::Value) -> MediaError {
    MediaError::new(step, ClientError::UnexpectedAnswer { method: step.name().to_string(), answer })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_step() {
        let error = MediaError::new(Step::ProcessOffer, ClientError::Disconnected);
        assert_eq!(error.to_string(), "media node: processOffer failed: the connection to the media node is down");
        assert_eq!(Step::CreateWebRtcEndpoint.to_string(), "create WebRtcEndpoint");
        assert_eq!(Step::SetMinVideoSendBandwidth.name(), "setMinVideoSendBandwidth");
        assert_eq!(error.rpc_code(), None);
    }

    #[test]
    fn unexpected_answers_keep_what_came() {
        let error = unexpected(Step::GetUsedCpu, serde_json::json!("lots"));
        assert!(matches!(
            error.source,
            ClientError::UnexpectedAnswer { ref method, ref answer } if method == "getUsedCpu" && answer == "lots"
        ));
    }
}
