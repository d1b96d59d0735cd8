//! The methods of the Kurento protocol and their parameters.
//!
//! Parsing a request's params into a [`Call`] applies Kurento's own checks:
//! missing `params` where required is -32602, a missing or mistyped
//! top-level field is -32000 naming it, an unknown method -32601.

use serde_json::{Map, Value};

use crate::error::{ErrorCode, RpcError};

/// A parsed call. `session_id` is whatever the request carried; the server
/// injects or mints one before dispatch.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Ping { interval: Option<i64> },
    Connect,
    Create { type_name: String, constructor_params: Map<String, Value>, properties: Map<String, Value> },
    Describe { object: String },
    Invoke { object: String, operation: String, operation_params: Option<Map<String, Value>> },
    Subscribe { object: String, event: String },
    Unsubscribe { object: String, subscription: String },
    Release { object: String },
    Transaction { operations: Vec<Value> },
    Ref { object: String },
    Unref { object: String },
    KeepAlive,
    CloseSession { release: bool },
}

impl Call {
    /// Parses `method` and `params`; `params` without its `sessionId` is what the method reads.
    pub fn parse(method: &str, params: Option<&Map<String, Value>>) -> Result<Call, RpcError> {
        let empty = Map::new();
        let p = Params(params.unwrap_or(&empty));
        let required =
            || params.map(Params).ok_or_else(|| RpcError::new(ErrorCode::InvalidParams, "'params' is required"));
        Ok(match method {
            "ping" => Call::Ping { interval: p.0.get("interval").and_then(Value::as_i64) },
            "connect" => Call::Connect,
            "create" => {
                let p = required()?;
                Call::Create {
                    type_name: p.string("type")?,
                    constructor_params: p.object("constructorParams")?.unwrap_or_default(),
                    properties: p.object("properties")?.unwrap_or_default(),
                }
            }
            "describe" => Call::Describe { object: required()?.string("object")? },
            "invoke" => {
                let p = required()?;
                Call::Invoke {
                    object: p.string("object")?,
                    operation: p.string("operation")?,
                    operation_params: p.object("operationParams")?,
                }
            }
            "subscribe" => {
                let p = required()?;
                Call::Subscribe { object: p.string("object")?, event: p.string("type")? }
            }
            "unsubscribe" => {
                let p = required()?;
                Call::Unsubscribe { object: p.string("object")?, subscription: p.string("subscription")? }
            }
            "release" => Call::Release { object: required()?.string("object")? },
            "transaction" => match required()?.0.get("operations") {
                Some(Value::Array(operations)) => Call::Transaction { operations: operations.clone() },
                Some(_) => return Err(server_error("'operations' parameter should be an array")),
                None => return Err(server_error("'operations' parameter is required")),
            },
            "ref" => Call::Ref { object: required()?.string("object")? },
            "unref" => Call::Unref { object: required()?.string("object")? },
            "keepAlive" => Call::KeepAlive,
            "closeSession" => {
                Call::CloseSession { release: p.0.get("release").and_then(Value::as_bool).unwrap_or(false) }
            }
            _ => return Err(RpcError::new(ErrorCode::MethodNotFound, "Method not found.")),
        })
    }

    /// Whether the server may mint a new session for this call when none is known
    /// (Kurento refuses for `unsubscribe`, `ref`, `unref`, `keepAlive` and `closeSession`).
    pub fn may_start_session(&self) -> bool {
        !matches!(
            self,
            Call::Unsubscribe { .. }
                | Call::Ref { .. }
                | Call::Unref { .. }
                | Call::KeepAlive
                | Call::CloseSession { .. }
        )
    }
}

struct Params<'a>(&'a Map<String, Value>);

impl Params<'_> {
    fn string(&self, key: &str) -> Result<String, RpcError> {
        match self.0.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) => Err(server_error(&format!("'{key}' parameter is required"))),
            Some(_) => Err(server_error(&format!("'{key}' parameter should be a string"))),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Map<String, Value>>, RpcError> {
        match self.0.get(key) {
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            None | Some(Value::Null) => Ok(None),
            Some(_) => Err(server_error(&format!("'{key}' parameter should be an object"))),
        }
    }
}

fn server_error(message: &str) -> RpcError {
    RpcError::new(ErrorCode::ServerError, message)
}

/// The `sessionId` a request carries, if it is a string.
pub fn session_id_of(params: Option<&Map<String, Value>>) -> Option<&str> {
    params?.get("sessionId")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(method: &str, params: Value) -> Result<Call, RpcError> {
        let params = params.as_object().cloned();
        Call::parse(method, params.as_ref())
    }

    #[test]
    fn parses_every_method() {
        assert_eq!(parse("ping", json!({"interval": 240000})), Ok(Call::Ping { interval: Some(240000) }));
        assert_eq!(Call::parse("ping", None), Ok(Call::Ping { interval: None }));
        assert!(matches!(parse("create", json!({"type": "MediaPipeline"})), Ok(Call::Create { .. })));
        assert_eq!(parse("describe", json!({"object": "x"})), Ok(Call::Describe { object: "x".into() }));
        assert!(matches!(
            parse("invoke", json!({"object": "x", "operation": "getName"})),
            Ok(Call::Invoke { operation_params: None, .. })
        ));
        assert_eq!(
            parse("subscribe", json!({"object": "x", "type": "IceCandidateFound"})),
            Ok(Call::Subscribe { object: "x".into(), event: "IceCandidateFound".into() })
        );
        assert!(matches!(parse("transaction", json!({"operations": []})), Ok(Call::Transaction { .. })));
        assert_eq!(parse("closeSession", json!({"release": true})), Ok(Call::CloseSession { release: true }));
    }

    #[test]
    fn errors_follow_kurento() {
        assert_eq!(Call::parse("create", None).unwrap_err().code, -32602);
        let missing = parse("invoke", json!({"object": "x"})).unwrap_err();
        assert_eq!((missing.code, missing.message.as_str()), (-32000, "'operation' parameter is required"));
        let typed = parse("describe", json!({"object": 5})).unwrap_err();
        assert_eq!(typed.message, "'object' parameter should be a string");
        assert_eq!(parse("frobnicate", json!({})).unwrap_err().code, -32601);
        assert_eq!(parse("transaction", json!({"operations": 1})).unwrap_err().code, -32000);
    }

    #[test]
    fn only_some_calls_may_start_a_session() {
        assert!(Call::Ping { interval: None }.may_start_session());
        assert!(!Call::KeepAlive.may_start_session());
        assert!(!Call::Unsubscribe { object: "o".into(), subscription: "s".into() }.may_start_session());
    }
}
