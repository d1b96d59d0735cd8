//! `transaction`: a batch of calls run in order, where `"newref:N"` anywhere in
//! a call's params stands for the value returned by call N.
//!
//! Call `i` must carry `id: i`; the batch stops at the first failing call,
//! whose error is included; later calls are absent from the answer. The
//! transport drives a [`TransactionRun`] because some calls wait for media.

use kurento_protocol::error::{ErrorCode, RpcError};
use serde_json::{Map, Value, json};

/// One call of the batch, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: i64,
    pub method: String,
    pub params: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransactionRun {
    operations: Vec<Value>,
    session: String,
    responses: Vec<Value>,
    values: Vec<Value>,
    stopped: bool,
}

impl TransactionRun {
    pub fn new(operations: Vec<Value>, session: &str) -> Self {
        Self { operations, session: session.to_string(), responses: Vec::new(), values: Vec::new(), stopped: false }
    }

    /// The next call to run, or `None` when the batch is over. A call that
    /// cannot be prepared ends the batch with its error recorded.
    pub fn next_step(&mut self) -> Option<Step> {
        if self.stopped || self.responses.len() == self.operations.len() {
            return None;
        }
        let index = self.responses.len();
        match self.prepare(index) {
            Ok(step) => Some(step),
            Err(error) => {
                self.record(index as i64, Err(error));
                None
            }
        }
    }

    /// Records the outcome of the step just returned by [`Self::next_step`].
    pub fn record(&mut self, id: i64, outcome: Result<Value, RpcError>) {
        match outcome {
            Ok(result) => {
                self.values.push(result.get("value").cloned().unwrap_or(Value::Null));
                self.responses.push(json!({"jsonrpc": "2.0", "id": id, "result": result}));
            }
            Err(error) => {
                self.responses.push(json!({"jsonrpc": "2.0", "id": id, "error": error}));
                self.stopped = true;
            }
        }
    }

    /// The outer result: `{sessionId, value: [responses]}`.
    pub fn finish(self) -> Value {
        json!({"sessionId": self.session, "value": self.responses})
    }

    fn prepare(&self, index: usize) -> Result<Step, RpcError> {
        let operation = self.operations[index]
            .as_object()
            .ok_or_else(|| malformed(format!("Operation {index} is not a JSON-RPC request")))?;
        if operation.get("id").and_then(Value::as_i64) != Some(index as i64) {
            return Err(malformed(format!("Id of request '{index}' should be '{index}'")));
        }
        let method = operation
            .get("method")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed(format!("Operation {index} has no method")))?
            .to_string();
        let mut params = match operation.get("params") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(params)) => params.clone(),
            Some(_) => return Err(malformed(format!("Params of operation {index} must be an object"))),
        };
        for value in params.values_mut() {
            self.substitute(value)?;
        }
        params.insert("sessionId".into(), json!(self.session));
        Ok(Step { id: index as i64, method, params })
    }

    fn substitute(&self, value: &mut Value) -> Result<(), RpcError> {
        match value {
            Value::String(text) => {
                if let Some(reference) = text.strip_prefix("newref:") {
                    let target = reference.parse::<usize>().ok().and_then(|n| self.values.get(n));
                    *value = target
                        .cloned()
                        .ok_or_else(|| malformed(format!("Reference '{text}' does not name an earlier operation")))?;
                }
                Ok(())
            }
            Value::Array(items) => items.iter_mut().try_for_each(|item| self.substitute(item)),
            Value::Object(map) => map.values_mut().try_for_each(|item| self.substitute(item)),
            _ => Ok(()),
        }
    }
}

fn malformed(message: String) -> RpcError {
    RpcError::new(ErrorCode::MalformedTransaction, message)
}

/// A `newref:` outside a transaction refers to nothing: 40109.
pub fn reject_stray_references(params: Option<&Map<String, Value>>) -> Result<(), RpcError> {
    fn contains(value: &Value) -> bool {
        match value {
            Value::String(text) => text.starts_with("newref:"),
            Value::Array(items) => items.iter().any(contains),
            Value::Object(map) => map.values().any(contains),
            _ => false,
        }
    }
    if params.is_some_and(|p| p.values().any(contains)) {
        return Err(RpcError::new(
            ErrorCode::MediaObjectNotFoundTransactionNoCommit,
            "A 'newref:' reference was used outside a transaction",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(value: Value) -> Vec<Value> {
        value.as_array().unwrap().clone()
    }

    #[test]
    fn references_are_replaced_by_earlier_values() {
        let mut run = TransactionRun::new(
            ops(json!([
                {"jsonrpc": "2.0", "id": 0, "method": "create", "params": {"type": "MediaPipeline"}},
                {"jsonrpc": "2.0", "id": 1, "method": "create", "params": {"type": "WebRtcEndpoint", "constructorParams": {"mediaPipeline": "newref:0"}}},
            ])),
            "S",
        );
        let first = run.next_step().unwrap();
        assert_eq!(first.params["sessionId"], "S");
        run.record(first.id, Ok(json!({"value": "P", "sessionId": "S"})));
        let second = run.next_step().unwrap();
        assert_eq!(second.params["constructorParams"]["mediaPipeline"], "P");
        run.record(second.id, Ok(json!({"value": "W", "sessionId": "S"})));
        assert!(run.next_step().is_none());
        let result = run.finish();
        assert_eq!(result["value"][1]["result"]["value"], "W");
        assert_eq!(result["sessionId"], "S");
    }

    #[test]
    fn the_batch_stops_at_the_first_failure() {
        let mut run = TransactionRun::new(
            ops(json!([
                {"jsonrpc": "2.0", "id": 0, "method": "describe", "params": {"object": "x"}},
                {"jsonrpc": "2.0", "id": 1, "method": "describe", "params": {"object": "y"}},
            ])),
            "S",
        );
        let step = run.next_step().unwrap();
        run.record(step.id, Err(RpcError::new(ErrorCode::MediaObjectNotFound, "Object 'x' not found")));
        assert!(run.next_step().is_none());
        let result = run.finish();
        assert_eq!(result["value"].as_array().unwrap().len(), 1);
        assert_eq!(result["value"][0]["error"]["code"], 40101);
    }

    #[test]
    fn bad_ids_and_references_are_40008() {
        let mut run =
            TransactionRun::new(ops(json!([{"jsonrpc": "2.0", "id": 5, "method": "describe", "params": {}}])), "S");
        assert!(run.next_step().is_none());
        let result = run.finish();
        assert_eq!(result["value"][0]["error"]["message"], "Id of request '0' should be '0'");
        let mut run = TransactionRun::new(
            ops(json!([{"jsonrpc": "2.0", "id": 0, "method": "describe", "params": {"object": "newref:3"}}])),
            "S",
        );
        assert!(run.next_step().is_none());
        assert_eq!(run.finish()["value"][0]["error"]["code"], 40008);
    }

    #[test]
    fn stray_references_are_40109() {
        let params = json!({"object": "newref:0"});
        assert_eq!(reject_stray_references(params.as_object()).unwrap_err().code, 40109);
        assert!(reject_stray_references(json!({"object": "P"}).as_object()).is_ok());
    }
}
