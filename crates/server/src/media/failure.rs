//! Why a media operation failed, for the participant's error message.

use kurento_protocol::media::MediaError;

#[derive(Debug, thiserror::Error)]
pub enum MediaFailure {
    /// A call to the node failed; the error names the step ("media node: processOffer failed: …").
    #[error(transparent)]
    Node(#[from] MediaError),
    #[error("the session has no media yet")]
    NoMedia,
    #[error("this participant is not publishing")]
    NotPublishing,
    #[error("that stream is not published")]
    NotPublished,
    #[error("no endpoint named '{0}'")]
    NoEndpoint(String),
    #[error("'{0}' is not an ICE candidate {{candidate, sdpMid, sdpMLineIndex}}")]
    BadCandidate(String),
}

pub type MediaResult<T> = Result<T, MediaFailure>;
