//! A stand-in media node speaking Kurento's JSON-RPC on a loopback port, for
//! the recording tests while the real node's recorder is being built: it
//! answers as `docs/recording.md` says a node does (ids for creates, an SDP
//! answer for offers, a file written at the recorder's URI on `stopAndWait`)
//! and records what it was asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

#[derive(Default)]
struct Node {
    next: u64,
    /// recorder id → the file path of its URI
    recorders: HashMap<String, String>,
    /// `create <type>` and `invoke <operation>`, in order.
    calls: Vec<String>,
    /// Operations answered with an error.
    failing: Vec<String>,
}

#[derive(Clone)]
pub struct FakeKurento {
    pub uri: String,
    node: Arc<Mutex<Node>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl FakeKurento {
    pub async fn start() -> FakeKurento {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("ws://{}/kurento", listener.local_addr().unwrap());
        let node: Arc<Mutex<Node>> = Arc::default();
        let shared = node.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { continue };
                tokio::spawn(serve(socket, shared.clone()));
            }
        });
        FakeKurento { uri, node, task: Arc::new(task) }
    }

    /// `create <type>` / `invoke <operation>` so far.
    pub fn calls(&self) -> Vec<String> {
        self.node.lock().unwrap().calls.clone()
    }

    pub fn count(&self, call: &str) -> usize {
        self.calls().iter().filter(|c| *c == call).count()
    }

    /// Answers `operation` (an invoke's name, or `create <Type>`) with an error from now on.
    pub fn fail(&self, operation: &str) {
        self.node.lock().unwrap().failing.push(operation.to_string());
    }

    /// Answers everything normally again.
    pub fn clear_failures(&self) {
        self.node.lock().unwrap().failing.clear();
    }

    pub fn abort(&self) {
        self.task.abort();
    }
}

async fn serve(socket: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, node: Arc<Mutex<Node>>) {
    let (mut sink, mut source) = socket.split();
    while let Some(Ok(message)) = source.next().await {
        let Message::Text(text) = message else { continue };
        let Ok(request) = serde_json::from_str::<Value>(&text) else { continue };
        let Some(id) = request.get("id").cloned() else { continue };
        let frame = match answer(&request, &node) {
            Ok(value) => json!({"jsonrpc": "2.0", "id": id, "result": {"value": value, "sessionId": "fake"}}),
            Err(message) => json!({"jsonrpc": "2.0", "id": id, "error": {"code": 40001, "message": message}}),
        };
        if sink.send(Message::text(frame.to_string())).await.is_err() {
            return;
        }
    }
}

fn answer(request: &Value, node: &Mutex<Node>) -> Result<Value, String> {
    let params = &request["params"];
    let text = |key: &str| params[key].as_str().unwrap_or_default().to_string();
    let mut node = node.lock().unwrap();
    match request["method"].as_str().unwrap_or_default() {
        "ping" => Ok(json!("pong")),
        "create" => {
            let kind = text("type");
            let call = format!("create {kind}");
            node.calls.push(call.clone());
            if node.failing.contains(&call) {
                return Err(format!("{kind} refused"));
            }
            node.next += 1;
            let id = format!("obj{}_kurento.{kind}", node.next);
            if kind == "RecorderEndpoint" {
                let uri = params["constructorParams"]["uri"].as_str().unwrap_or_default();
                node.recorders.insert(id.clone(), uri.trim_start_matches("file://").to_string());
            }
            Ok(json!(id))
        }
        "invoke" => {
            let operation = text("operation");
            if !["getUsedCpu", "getUsedMemory", "getPipelines", "getInfo"].contains(&operation.as_str()) {
                node.calls.push(format!("invoke {operation}"));
            }
            if node.failing.contains(&operation) {
                return Err(format!("{operation} failed"));
            }
            Ok(match operation.as_str() {
                "getInfo" => {
                    json!({"version": "7.3.0", "type": "KMS", "capabilities": ["transactions"], "modules": []})
                }
                "getUsedCpu" => json!(1.0),
                "getUsedMemory" => json!(1024),
                "getPipelines" | "getChildren" => json!([]),
                "processOffer" => json!("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"),
                "getStats" => json!({"framesWritten": 1, "bytes": 1000, "durationMs": 1000, "startedAtMs": 1}),
                "stopAndWait" | "stop" => {
                    if let Some(path) = node.recorders.get(&text("object")) {
                        let path = std::path::Path::new(path);
                        std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
                        std::fs::write(path, vec![0x1a; 1000]).map_err(|e| e.to_string())?;
                    }
                    Value::Null
                }
                _ => Value::Null,
            })
        }
        "subscribe" => Ok(json!("subscription")),
        _ => Ok(Value::Null),
    }
}
