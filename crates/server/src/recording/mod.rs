//! Recordings: their properties (also a session's defaults), their JSON object
//! and the store of known recordings.
//!
//! Starting and stopping real recordings needs media nodes and comes with the
//! recording issue; until then the REST API answers what it can without media.

mod object;
mod properties;
pub mod remote_pull;
mod store;

pub use object::{Recording, RecordingStatus};
pub use properties::{RecordingProperties, RecordingPropertiesError, is_valid_recording_name, media_node_id};
pub use store::{RecordingStore, RecordingStoreError};
