//! One typed configuration for the master.
//!
//! [`Settings`] holds every property of the catalog, validated; [`Config`] is
//! the typed view the rest of the server reads. Values are checked once, when
//! the configuration is loaded (at startup, and again at restart), and a bad
//! value stops the program with a message that names the key and what is allowed.

mod catalog;
mod declare;
mod dotenv;
pub mod header_line;
mod key;
mod persist;
mod property_value;
mod report;
mod resolved;
mod restart_request;
mod settings;
mod value_kind;

pub use catalog::{OPENVIDU_VERSION, PROPERTIES, PropertySpec, keys};
pub use dotenv::{Document, Line, SyntaxError};
pub use key::{Key, Property, PropertyType};
pub use persist::write_atomically;
pub use property_value::{Value, ValueType};
pub use report::config_json;
pub use resolved::{Config, ConfigError, LoadOutcome, PublicEndpoint, TlsSource};
pub use restart_request::{Change, Plan, PlanError, parse_body as parse_restart_body, plan as plan_restart};
pub use settings::{InvalidProperty, Settings, Source};
pub use value_kind::{Item, Kind, WEBHOOK_EVENTS, parse_list};
