//! Everything that happens in a call, in order: the lifecycle events the
//! conference core decides and the media node status changes of the cluster
//! go onto one [`EventBus`]; the CDR writer drains it into the CDR file, and
//! webhooks, metrics and the dashboard subscribe to the same bus.

pub mod bus;
pub mod cdr;
pub mod event;
pub mod reason;

pub use bus::{EventBus, Subscription};
pub use event::{Ended, Event, EventRecord, ParticipantInfo, SessionRef, StreamInfo};
pub use reason::EndReason;
