//! A scripted stand-in for a media node on a loopback socket, for the facade's
//! tests: it records every request and answers with what the test's script says.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{ClientOptions, KurentoClient};
use crate::error::RpcError;
use crate::jsonrpc::{self, Id, Incoming};

/// A request as the node saw it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: String,
    pub params: Map<String, Value>,
}

impl Request {
    /// `create WebRtcEndpoint`, `invoke processOffer`, `subscribe IceCandidateFound`, `release`, …
    pub fn summary(&self) -> String {
        let text = |key: &str| self.params.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        match self.method.as_str() {
            "create" | "subscribe" => format!("{} {}", self.method, text("type")),
            "invoke" => format!("invoke {}", text("operation")),
            method => method.to_string(),
        }
    }
}

type Script = dyn Fn(&Request) -> Result<Value, RpcError> + Send + Sync;

pub(crate) struct FakeNode {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeNode {
    /// A node answering `ping` itself and everything else with `script`'s `value`.
    /// With `hold_subscribes` > 0 it holds its answers to `subscribe` until that
    /// many are waiting, so a client that waits for each before the next one stalls.
    pub async fn start(
        hold_subscribes: usize,
        script: impl Fn(&Request) -> Result<Value, RpcError> + Send + Sync + 'static,
    ) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { continue };
                tokio::spawn(serve(socket, recorded.clone(), script.clone(), hold_subscribes));
            }
        });
        FakeNode { addr, requests, task }
    }

    /// A client of this node with a short request timeout.
    pub async fn client(&self) -> KurentoClient {
        let options =
            ClientOptions { reconnect: false, request_timeout: Duration::from_secs(2), ..ClientOptions::default() };
        KurentoClient::connect(&format!("ws://{}/kurento", self.addr), options).await.expect("the fake node answers")
    }

    /// Every request so far except pings, summarised.
    pub fn summaries(&self) -> Vec<String> {
        self.requests().iter().map(Request::summary).collect()
    }

    pub fn requests(&self) -> Vec<Request> {
        let requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        requests.iter().filter(|r| r.method != "ping").cloned().collect()
    }
}

impl Drop for FakeNode {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    socket: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
    requests: Arc<Mutex<Vec<Request>>>,
    script: Arc<Script>,
    hold_subscribes: usize,
) {
    let (mut sink, mut source) = socket.split();
    let mut held = Vec::new();
    while let Some(Ok(message)) = source.next().await {
        let Message::Text(text) = message else { continue };
        let Ok(Incoming::Request { id, method, params }) = jsonrpc::parse(&text) else { continue };
        let request = Request { method, params: params.unwrap_or_default() };
        requests.lock().unwrap_or_else(|p| p.into_inner()).push(request.clone());
        let frame = answer(&id, &request, script.as_ref());
        if request.method == "subscribe" && hold_subscribes > 0 {
            held.push(frame);
            if held.len() < hold_subscribes {
                continue;
            }
        } else {
            held.push(frame);
        }
        for frame in held.drain(..) {
            if sink.send(Message::text(frame)).await.is_err() {
                return;
            }
        }
    }
}

fn answer(id: &Id, request: &Request, script: &Script) -> String {
    let outcome = match request.method.as_str() {
        "ping" => Ok(json!("pong")),
        _ => script(request),
    };
    match outcome {
        Ok(value) => jsonrpc::result(id, &json!({"value": value, "sessionId": "fake-session"})),
        Err(error) => jsonrpc::error(Some(id), &error),
    }
}

/// A script that acts like a node for the recipe: ids for creates, an answer for offers, null otherwise.
pub(crate) fn obliging(request: &Request) -> Result<Value, RpcError> {
    let text = |key: &str| request.params.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    Ok(match request.method.as_str() {
        "create" => match request.params.get("constructorParams").and_then(|p| p.get("mediaPipeline")) {
            Some(Value::String(pipeline)) => json!(format!("{pipeline}/e_kurento.{}", text("type"))),
            _ => json!(format!("p_kurento.{}", text("type"))),
        },
        "subscribe" => json!(format!("subscription-{}", text("type"))),
        "invoke" if text("operation") == "processOffer" => json!("answer-sdp"),
        _ => Value::Null,
    })
}
