//! OpenVidu's error codes as JSON-RPC errors: a refusal of the conference core,
//! or a problem the adapter finds itself (bad parameters, join first).

use kurento_protocol::error::RpcError;
use serde_json::json;

pub use crate::conference::Code;
use crate::conference::Refusal;

/// An error for the client; `rpc_session` goes into `data` as kurento-jsonrpc does.
pub fn error(code: Code, message: impl Into<String>, rpc_session: Option<&str>) -> RpcError {
    RpcError {
        code: code as i64,
        message: message.into(),
        data: rpc_session.map(|session| json!({"sessionId": session})),
    }
}

/// A refusal of the conference core, told to the client of `rpc_session`.
pub fn refused(rpc_session: &str) -> impl Fn(Refusal) -> RpcError + '_ {
    move |refusal| error(refusal.code, refusal.message, Some(rpc_session))
}
