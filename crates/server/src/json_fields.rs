//! Typed, null-tolerant access to the fields of a JSON request body.
//!
//! OpenVidu clients send explicit `null` for every option they leave unset
//! (openvidu-node-client does), so `null` means "use the default" everywhere.
//! A field of the wrong type is an error that names the field and says what
//! was expected, never a silent default.

use serde_json::{Map, Value};

use crate::openvidu_enums::WireEnum;

/// A rejected field, with a message fit for the `message` of a 400 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField(pub String);

impl std::fmt::Display for BadField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fields of one JSON object; `prefix` names nested objects in messages.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'a str,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Fields<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Self { map, prefix: "" }
    }

    /// An object with no fields, for bodies that may be absent.
    pub fn empty() -> Fields<'a> {
        Fields { map: &EMPTY, prefix: "" }
    }

    /// The value of `key`, treating `null` as absent.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<&'a str>, BadField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.type_error(key, "a string", other)),
        }
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, BadField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.type_error(key, "a boolean", other)),
        }
    }

    /// An integral number; `30.0` is accepted, `30.5` is not.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, BadField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    return Ok(Some(i));
                }
                match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                    _ => Err(BadField(format!("Parameter '{}{key}' must be an integer, got {n}", self.prefix))),
                }
            }
            Some(other) => Err(self.type_error(key, "an integer", other)),
        }
    }

    pub fn choice<T: WireEnum>(&self, key: &str) -> Result<Option<T>, BadField> {
        match self.string(key)? {
            None => Ok(None),
            Some(text) => T::parse(text).map(Some).ok_or_else(|| {
                BadField(format!(
                    "Parameter '{}{key}' has invalid value '{text}'; allowed: {}",
                    self.prefix,
                    T::allowed()
                ))
            }),
        }
    }

    pub fn array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, BadField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(self.type_error(key, "an array", other)),
        }
    }

    /// A nested object; its fields are named `key.field` in messages.
    pub fn object(&self, key: &'a str, prefix: &'a str) -> Result<Option<Fields<'a>>, BadField> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields { map, prefix })),
            Some(other) => Err(self.type_error(key, "a JSON object", other)),
        }
    }

    /// An array of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, BadField> {
        let Some(items) = self.array(key)? else { return Ok(None) };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(BadField(format!(
                    "Parameter '{}{key}' must contain only strings; item {i} is {}",
                    self.prefix,
                    describe(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn type_error(&self, key: &str, expected: &str, got: &Value) -> BadField {
        BadField(format!("Type error in parameter '{}{key}': expected {expected}, got {}", self.prefix, describe(got)))
    }
}

/// "a number (12)", "a boolean (true)"... for error messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ('{}')", truncate(s, 40)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openvidu_enums::Role;
    use serde_json::json;

    fn with<T>(value: Value, f: impl FnOnce(Fields) -> T) -> T {
        let map = value.as_object().unwrap().clone();
        f(Fields::new(&map))
    }

    #[test]
    fn null_means_absent() {
        with(json!({"role": null, "data": null}), |f| {
            assert_eq!(f.choice::<Role>("role"), Ok(None));
            assert_eq!(f.string("data"), Ok(None));
        });
    }

    #[test]
    fn wrong_types_name_the_field() {
        with(json!({"role": 123, "record": "WRONG", "to": 12}), |f| {
            assert_eq!(
                f.choice::<Role>("role").unwrap_err().0,
                "Type error in parameter 'role': expected a string, got a number (123)"
            );
            assert!(f.boolean("record").unwrap_err().0.contains("'record': expected a boolean"));
            assert!(f.array("to").unwrap_err().0.contains("'to': expected an array"));
        });
    }

    #[test]
    fn enum_values_list_what_is_allowed() {
        with(json!({"role": "ADMIN"}), |f| {
            assert_eq!(
                f.choice::<Role>("role").unwrap_err().0,
                "Parameter 'role' has invalid value 'ADMIN'; allowed: SUBSCRIBER, PUBLISHER, MODERATOR"
            );
        });
    }

    #[test]
    fn integers_accept_integral_floats_only() {
        with(json!({"a": 30.0, "b": 30.5, "c": 7}), |f| {
            assert_eq!(f.integer("a"), Ok(Some(30)));
            assert!(f.integer("b").is_err());
            assert_eq!(f.integer("c"), Ok(Some(7)));
        });
    }

    #[test]
    fn nested_objects_prefix_their_field_names() {
        with(json!({"kurentoOptions": {"videoMaxRecvBandwidth": "x"}}), |f| {
            let nested = f.object("kurentoOptions", "kurentoOptions.").unwrap().unwrap();
            assert!(
                nested
                    .integer("videoMaxRecvBandwidth")
                    .unwrap_err()
                    .0
                    .contains("'kurentoOptions.videoMaxRecvBandwidth'")
            );
        });
    }
}
