//! One typed configuration for the master.
//!
//! [`Settings`] holds every property of the catalog, validated; [`Config`] is
//! the typed view the rest of the server reads. Values are checked once, when
//! the configuration is loaded (at startup, and again at restart), and a bad
//! value stops the program with a message that names the key and what is allowed.

mod catalog;
mod declare;
mod dotenv;
mod key;
mod kind;
mod persist;
mod report;
mod restart_request;
mod settings;
mod typed;
mod value;

pub use catalog::{OPENVIDU_VERSION, PROPERTIES, PropertySpec, keys};
pub use dotenv::{Document, Line, SyntaxError};
pub use key::{Key, Property, PropertyType};
pub use kind::{Item, Kind, WEBHOOK_EVENTS, parse_list};
pub use persist::write_atomically;
pub use report::config_json;
pub use restart_request::{Change, Plan, PlanError, parse_body as parse_restart_body, plan as plan_restart};
pub use settings::{InvalidProperty, Settings, Source};
pub use typed::{Config, ConfigError, LoadOutcome, PublicEndpoint, TlsSource};
pub use value::{Value, ValueType};
