//! JSON-RPC 2.0 framing as Kurento uses it: one message per websocket text
//! frame, ids that are numbers or strings (0 is a real id), notifications
//! without ids, no batches.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ErrorCode, RpcError};

/// A request id, echoed verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Number(i64),
    Text(String),
}

/// A message received from the peer.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A call that expects a response.
    Request { id: Id, method: String, params: Option<Map<String, Value>> },
    /// A call without id: executed, never answered.
    Notification { method: String, params: Option<Map<String, Value>> },
    /// An answer to one of our requests.
    Response { id: Id, outcome: Result<Value, RpcError> },
}

/// A message that could not be understood, with the id to answer to (if any was readable).
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    pub id: Option<Id>,
    pub error: Box<RpcError>,
}

/// Parses one text frame.
pub fn parse(text: &str) -> Result<Incoming, Malformed> {
    let value: Value = serde_json::from_str(text)
        .map_err(|_| Malformed { id: None, error: Box::new(RpcError::new(ErrorCode::ParseError, "Parse error.")) })?;
    let Value::Object(mut object) = value else { return Err(invalid(None)) };
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(n) => Some(Id::Number(n)),
            None => return Err(invalid(None)),
        },
        Some(Value::String(s)) => Some(Id::Text(s)),
        Some(_) => return Err(invalid(None)),
    };
    if object.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err(invalid(id));
    }
    if let Some(method) = object.remove("method") {
        let Value::String(method) = method else { return Err(invalid(id)) };
        let params = match object.remove("params") {
            None | Some(Value::Null) => None,
            Some(Value::Object(params)) => Some(params),
            Some(_) => {
                return Err(Malformed {
                    id,
                    error: Box::new(RpcError::new(ErrorCode::InvalidParams, "'params' must be an object")),
                });
            }
        };
        return Ok(match id {
            Some(id) => Incoming::Request { id, method, params },
            None => Incoming::Notification { method, params },
        });
    }
    let Some(id) = id else { return Err(invalid(None)) };
    if let Some(error) = object.remove("error") {
        let error: RpcError = serde_json::from_value(error).map_err(|_| invalid(Some(id.clone())))?;
        return Ok(Incoming::Response { id, outcome: Err(error) });
    }
    match object.remove("result") {
        Some(result) => Ok(Incoming::Response { id, outcome: Ok(result) }),
        None => Err(invalid(Some(id))),
    }
}

fn invalid(id: Option<Id>) -> Malformed {
    Malformed { id, error: Box::new(RpcError::new(ErrorCode::InvalidRequest, "Invalid JSON-RPC request.")) }
}

/// `{"jsonrpc":"2.0","id":…,"method":…,"params":…}`
pub fn request(id: &Id, method: &str, params: Option<&Map<String, Value>>) -> String {
    #[derive(Serialize)]
    struct Request<'a> {
        jsonrpc: &'static str,
        id: &'a Id,
        method: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        params: Option<&'a Map<String, Value>>,
    }
    serde_json::to_string(&Request { jsonrpc: "2.0", id, method, params }).expect("requests serialize")
}

/// `{"jsonrpc":"2.0","id":…,"result":…}`
pub fn result(id: &Id, result: &Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

/// `{"jsonrpc":"2.0","id":…,"error":…}`; `id` is null when the request's id could not be read.
pub fn error(id: Option<&Id>, error: &RpcError) -> String {
    serde_json::json!({"jsonrpc": "2.0", "id": id, "error": error}).to_string()
}

/// `{"jsonrpc":"2.0","method":…,"params":…}` (no id).
pub fn notification(method: &str, params: &Value) -> String {
    serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_notifications_and_responses() {
        let request = parse(r#"{"jsonrpc":"2.0","id":0,"method":"ping","params":{"interval":240000}}"#).unwrap();
        assert!(matches!(request, Incoming::Request { id: Id::Number(0), ref method, .. } if method == "ping"));
        let text_id = parse(r#"{"jsonrpc":"2.0","id":"a","method":"create"}"#).unwrap();
        assert!(matches!(text_id, Incoming::Request { id: Id::Text(_), params: None, .. }));
        let notification = parse(r#"{"jsonrpc":"2.0","method":"onEvent","params":{"value":{}}}"#).unwrap();
        assert!(matches!(notification, Incoming::Notification { .. }));
        let ok = parse(r#"{"jsonrpc":"2.0","id":3,"result":{"value":"pong"}}"#).unwrap();
        assert_eq!(ok, Incoming::Response { id: Id::Number(3), outcome: Ok(json!({"value": "pong"})) });
        let err = parse(r#"{"jsonrpc":"2.0","id":7,"error":{"code":40007,"message":"Invalid session","data":{"type":"INVALID_SESSION"}}}"#)
            .unwrap();
        let Incoming::Response { outcome: Err(error), .. } = err else { panic!() };
        assert!(error.is(ErrorCode::InvalidSession));
    }

    #[test]
    fn malformed_messages_get_the_framework_codes() {
        assert_eq!(parse("{not json").unwrap_err().error.code, -32700);
        assert_eq!(parse("[1,2]").unwrap_err().error.code, -32600);
        let wrong_version = parse(r#"{"jsonrpc":"1.0","id":4,"method":"ping"}"#).unwrap_err();
        assert_eq!((wrong_version.id, wrong_version.error.code), (Some(Id::Number(4)), -32600));
        assert_eq!(parse(r#"{"jsonrpc":"2.0","id":[1],"method":"ping"}"#).unwrap_err().error.code, -32600);
        assert_eq!(parse(r#"{"jsonrpc":"2.0","id":1,"method":5}"#).unwrap_err().error.code, -32600);
        assert_eq!(parse(r#"{"jsonrpc":"2.0","id":1,"method":"create","params":[1]}"#).unwrap_err().error.code, -32602);
    }

    #[test]
    fn writers_produce_the_envelopes() {
        let mut params = Map::new();
        params.insert("object".into(), json!("x"));
        let text = request(&Id::Number(5), "describe", Some(&params));
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"jsonrpc":"2.0","id":5,"method":"describe","params":{"object":"x"}})
        );
        let text = error(None, &RpcError::new(ErrorCode::ParseError, "Parse error."));
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error."}})
        );
    }
}
