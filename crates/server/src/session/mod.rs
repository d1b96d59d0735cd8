//! Sessions, connections and tokens: the model behind the REST API and the
//! signaling websocket.

pub mod connection;
pub mod connection_properties;
pub mod endpoint_activity;
pub mod join;
pub mod model;
pub mod properties;
pub mod store;

pub use connection::{Connection, Participant, Token};
pub use connection_properties::{ConnectionDefaults, ConnectionProperties, ConnectionUpdate, KurentoOptions};
pub use model::{Session, SessionView};
pub use properties::{SessionDefaults, SessionProperties};
pub use store::{SessionStore, StoreError};
