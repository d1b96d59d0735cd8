//! The WebSocket to Janus: one task reads (replies go to the requests waiting
//! for them, trickled candidates to their handle's channel, the rest is
//! logged), one writes. Requests time out rather than wait forever; when the
//! socket drops, every waiting request fails at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::message::{self, Id, Incoming, Reply};
use super::transactions::{Completion, Transactions};
use crate::driver::IceCandidate;

/// The WebSocket subprotocol Janus's transport requires.
pub const SUBPROTOCOL: &str = "janus-protocol";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the reading task shares with the requesters.
#[derive(Default)]
struct Shared {
    transactions: Mutex<Transactions>,
    /// Where each handle's trickled candidates go.
    routes: Mutex<HashMap<Id, mpsc::UnboundedSender<IceCandidate>>>,
}

impl Shared {
    /// Hands one frame from Janus to whoever waits for it.
    fn deliver(&self, text: &str) {
        let incoming = match message::parse(text) {
            Ok(incoming) => incoming,
            Err(error) => return tracing::warn!(%error, "unreadable message from Janus"),
        };
        let Some(notification) = lock(&self.transactions).settle(incoming) else { return };
        match notification {
            Incoming::Trickle { sender, candidate: Some(candidate) } => {
                tracing::trace!(sender, candidate = candidate.candidate, "candidate from Janus");
                if let Some(route) = lock(&self.routes).get(&sender) {
                    let _ = route.send(candidate);
                }
            }
            // Janus has sent all its candidates: closing the channel says so.
            Incoming::Trickle { sender, candidate: None } => {
                tracing::trace!(sender, "Janus has sent all its candidates");
                lock(&self.routes).remove(&sender);
            }
            // Janus may push a plugin's event before the core's ack of the same
            // request; the request is settled by then, so the ack has nobody to tell.
            Incoming::Ack { .. } => {}
            Incoming::Error { code, reason, .. } => tracing::warn!(code, reason, "error from Janus"),
            Incoming::Notice { kind, sender, .. } if kind == "timeout" => {
                tracing::warn!(?sender, "Janus timed the session out")
            }
            Incoming::Notice { kind, sender, message } => tracing::debug!(kind, ?sender, %message, "Janus notice"),
            other => tracing::debug!(?other, "unsolicited message from Janus"),
        }
    }

    fn close(&self) {
        lock(&self.transactions).close();
        lock(&self.routes).clear();
    }
}

struct Inner {
    shared: Arc<Shared>,
    outgoing: mpsc::UnboundedSender<String>,
    reader: JoinHandle<()>,
    timeout: Duration,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The writer ends by itself (with a close frame) once `outgoing` is gone.
        self.reader.abort();
        self.shared.close();
    }
}

/// A connection to Janus's WebSocket API; clones share it.
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

impl Connection {
    /// Connects to `url` (`ws://host:8188/`) within `connect_timeout`; requests wait `request_timeout` for answers.
    pub async fn open(url: &str, connect_timeout: Duration, request_timeout: Duration) -> Result<Self, String> {
        let fail = |reason: String| format!("cannot connect to {url}: {reason}");
        let mut request = url.into_client_request().map_err(|e| fail(e.to_string()))?;
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static(SUBPROTOCOL));
        // Nagle off: the Janus API is small request/answer frames.
        let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
        let socket = match tokio::time::timeout(connect_timeout, connecting).await {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(error)) => return Err(fail(error.to_string())),
            Err(_) => return Err(fail(format!("no answer within {connect_timeout:?}"))),
        };
        let (mut sink, mut source) = socket.split();
        let (outgoing, mut queue) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(frame) = queue.recv().await {
                if let Err(error) = sink.send(Message::text(frame)).await {
                    return tracing::debug!(%error, "cannot write to Janus");
                }
            }
            let _ = sink.close().await;
        });
        let shared = Arc::new(Shared::default());
        let reading = shared.clone();
        let reader = tokio::spawn(async move {
            while let Some(frame) = source.next().await {
                match frame {
                    Ok(Message::Text(text)) => reading.deliver(text.as_str()),
                    Ok(Message::Binary(bytes)) => match std::str::from_utf8(&bytes) {
                        Ok(text) => reading.deliver(text),
                        Err(_) => tracing::warn!("binary frame from Janus that is not UTF-8"),
                    },
                    Ok(Message::Close(_)) => break,
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "the connection to Janus failed");
                        break;
                    }
                }
            }
            tracing::debug!("the connection to Janus is closed");
            reading.close();
        });
        Ok(Self { inner: Arc::new(Inner { shared, outgoing, reader, timeout: request_timeout }) })
    }

    /// Sends `request` with a new transaction and waits for what ends it.
    pub async fn request(&self, mut request: Map<String, Value>, completion: Completion) -> Result<Reply, String> {
        const CLOSED: &str = "the connection to Janus is closed";
        let inner = &self.inner;
        let kind = request.get("janus").and_then(Value::as_str).unwrap_or("request").to_string();
        let (transaction, outcome) = lock(&inner.shared.transactions).begin(completion).ok_or(CLOSED)?;
        request.insert("transaction".into(), json!(transaction));
        if inner.outgoing.send(Value::Object(request).to_string()).is_err() {
            lock(&inner.shared.transactions).forget(&transaction);
            return Err(CLOSED.into());
        }
        match tokio::time::timeout(inner.timeout, outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(format!("{CLOSED} (while waiting for '{kind}')")),
            Err(_) => {
                lock(&inner.shared.transactions).forget(&transaction);
                Err(format!("Janus did not answer '{kind}' within {:?}", inner.timeout))
            }
        }
    }

    /// The candidates Janus will trickle for `handle` (the channel closes when it is done).
    pub fn candidates(&self, handle: Id) -> mpsc::UnboundedReceiver<IceCandidate> {
        let (sender, receiver) = mpsc::unbounded_channel();
        lock(&self.inner.shared.routes).insert(handle, sender);
        receiver
    }

    /// Stops forwarding `handle`'s candidates (and closes its channel).
    pub fn forget_candidates(&self, handle: Id) {
        lock(&self.inner.shared.routes).remove(&handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_reach_their_handle_until_completed() {
        let shared = Shared::default();
        let (sender, mut mine) = mpsc::unbounded_channel();
        lock(&shared.routes).insert(2, sender);
        let (other_sender, mut other) = mpsc::unbounded_channel();
        lock(&shared.routes).insert(3, other_sender);
        shared.deliver(
            r#"{"janus":"trickle","sender":2,"candidate":{"sdpMid":"0","sdpMLineIndex":0,"candidate":"candidate:x"}}"#,
        );
        assert_eq!(mine.try_recv().map(|c| c.candidate), Ok("candidate:x".to_string()));
        assert!(other.try_recv().is_err());
        shared.deliver(r#"{"janus":"trickle","sender":2,"candidate":{"completed":true}}"#);
        assert!(matches!(mine.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)));
        // Unknown handles, garbage and notices are dropped quietly.
        shared.deliver(r#"{"janus":"trickle","sender":9,"candidate":{"candidate":"candidate:y"}}"#);
        shared.deliver("not json");
        shared.deliver(r#"{"janus":"hangup","sender":3,"reason":"DTLS alert"}"#);
        assert!(other.try_recv().is_err());
    }

    #[test]
    fn replies_reach_their_request_and_closing_fails_the_rest() {
        let shared = Shared::default();
        let (transaction, mut outcome) = lock(&shared.transactions).begin(Completion::Reply).unwrap();
        shared.deliver(&format!(r#"{{"janus":"success","transaction":"{transaction}","data":{{"id":12}}}}"#));
        assert_eq!(outcome.try_recv().ok().and_then(|o| o.ok()).and_then(|r| r.id()), Some(12));
        let (_, mut waiting) = lock(&shared.transactions).begin(Completion::Reply).unwrap();
        shared.close();
        assert!(matches!(waiting.try_recv(), Err(tokio::sync::oneshot::error::TryRecvError::Closed)));
    }
}
