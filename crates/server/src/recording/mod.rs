//! Recordings: their properties (also a session's defaults), their JSON object,
//! the store of known recordings, and the pure rules around them (ids, the
//! INDIVIDUAL sync file, autostop, who is notified). Driving media nodes and
//! writing files is the recording service's (`services::recordings`, over
//! `recorder`).

mod autostop;
pub mod file_path;
mod ids;
mod notification;
mod object;
mod properties;
mod store;
mod sync_file;

pub use autostop::Autostop;
pub use ids::next_recording_id;
pub use notification::NotificationScope;
#[cfg(test)]
pub use object::test_recording;
pub use object::{Recording, RecordingStatus};
pub use properties::{RecordingProperties, RecordingPropertiesError, is_valid_recording_name, media_node_id};
pub use store::{RecordingStore, RecordingStoreError};
pub use sync_file::{StreamFile, SyncFile, offset};
