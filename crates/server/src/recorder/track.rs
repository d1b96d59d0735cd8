//! One stream of an INDIVIDUAL recording: its recorder and what the sync file
//! says of it.

use kurento_protocol::media::RecorderEndpoint;

/// What is known of a published stream when its recording begins.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedStream {
    pub connection_id: String,
    pub stream_id: String,
    pub client_data: String,
    pub server_data: String,
    pub has_audio: bool,
    pub has_video: bool,
    pub type_of_video: String,
}

/// A stream being (or done being) written to `file`.
#[derive(Debug, Clone)]
pub(super) struct Track {
    pub stream: RecordedStream,
    pub file: String,
    pub recorder: RecorderEndpoint,
    pub has_audio: bool,
    pub has_video: bool,
    pub started_at: u64,
    pub ended_at: Option<u64>,
}

/// `<streamId>.webm`, or `<streamId>-1.webm`, `-2`… when a stream published again
/// under the same id already has a file in this recording.
pub(super) fn file_for(stream_id: &str, taken: impl Fn(&str) -> bool) -> String {
    let plain = format!("{stream_id}.webm");
    if !taken(&plain) {
        return plain;
    }
    (1u64..).map(|n| format!("{stream_id}-{n}.webm")).find(|name| !taken(name)).expect("unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_republished_stream_gets_a_suffix() {
        assert_eq!(file_for("str_A", |_| false), "str_A.webm");
        assert_eq!(file_for("str_A", |n| n == "str_A.webm"), "str_A-1.webm");
    }
}
