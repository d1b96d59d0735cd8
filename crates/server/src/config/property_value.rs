//! A validated configuration value.
//!
//! Values keep the JSON type OpenVidu reports for them in `GET /openvidu/api/config`
//! (booleans as booleans, numbers as numbers, lists as arrays), so the config
//! endpoint can print them without knowing each property.

use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Text(String),
    List(Vec<String>),
}

/// The shape of a validated value. A property's [`Kind`](super::Kind) decides
/// it, and the type of the property's key must agree (checked when compiling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Bool,
    Int,
    Text,
    List,
}

impl ValueType {
    /// Equality usable in constants, where the catalog checks each key's type.
    pub const fn is(self, other: ValueType) -> bool {
        self as u8 == other as u8
    }
}

impl Value {
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Bool(_) => ValueType::Bool,
            Value::Int(_) => ValueType::Int,
            Value::Text(_) => ValueType::Text,
            Value::List(_) => ValueType::List,
        }
    }

    pub fn to_json(&self) -> Json {
        match self {
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Text(s) => Json::String(s.clone()),
            Value::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
        }
    }

    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn as_int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            _ => 0,
        }
    }

    pub fn as_text(&self) -> &str {
        match self {
            Value::Text(s) => s,
            _ => "",
        }
    }

    pub fn as_list(&self) -> &[String] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }
}
