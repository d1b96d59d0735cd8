//! Everything that happens in a call, in order: the lifecycle events the
//! conference core decides and the media node status changes of the cluster
//! go onto one [`EventBus`]; the CDR writer drains it into the CDR file, and
//! webhooks, metrics and the dashboard subscribe to the same bus.

pub mod autoscaling_report;
pub mod bus;
pub mod cdr;
pub mod cdr_files;
pub mod event;
pub mod node_ref;
pub mod reason;
pub mod recording_info;

pub use autoscaling_report::{AutoscalingLimits, AutoscalingReport, ClusterFigures, NodeSummary};
pub use bus::{BusSink, EventBus, Subscription};
pub use event::{EVENT_NAMES, Ended, Event, EventRecord, ParticipantInfo, SessionRef, StreamInfo};
pub use node_ref::NodeRef;
pub use reason::EndReason;
pub use recording_info::{ComposedVideo, RecordingInfo};
