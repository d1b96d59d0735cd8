//! The I/O edge of recordings: the node objects that write a recording's files
//! (`docs/recording.md`) and the files in `OPENVIDU_RECORDING_PATH`.
//!
//! - [`ActiveRecording`]: one recording in progress on its session's pipeline.
//!   INDIVIDUAL: a RecorderEndpoint per published stream, fed from the stream's
//!   PassThrough. COMPOSED: a Composite with an input HubPort per stream and an
//!   output HubPort into one RecorderEndpoint (MP4, or WebM audio-only).
//! - [`disk`]: the `.recording.<id>` metadata files (atomic), the folder names
//!   that make ids taken, the INDIVIDUAL zip, and deletion.
//! - [`RemotePull`]: the seam through which files a remote node wrote are
//!   brought into `OPENVIDU_RECORDING_PATH`; [`remote_files`] is the HTTP client that
//!   pulls them from a node's control port (checked, atomic, then deleted there).
//!
//! Used by `services` only; it knows nothing of sessions or events.

mod active;
pub mod disk;
mod pull;
pub mod remote_files;
mod track;

pub use active::{ActiveRecording, CompositeSpec, StopReport, WrittenFile};
pub use pull::{PullFuture, RemotePull};
pub use track::RecordedStream;
