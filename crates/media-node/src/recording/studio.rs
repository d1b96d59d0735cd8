//! The recorders and Composites of a node, as the media layer reaches them:
//! creation (paths checked against the recording root), links between them,
//! the recorder operations, and finishing every open file on release or exit.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kurento_protocol::error::{ErrorCode, RpcError};
use kurento_protocol::event::Event;
use kurento_protocol::object_id;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::composite::{CompositeControl, CompositeHandle};
use super::gst_setup;
use super::recorder::{Control, FINISH_LIMIT, RecorderHandle};
use super::tap::Tap;
use crate::control::links::{LinkChange, MediaType};
use crate::control::plane::RecorderOp;
use crate::control::recording_params::{CompositeParams, RecorderParams, inside_root};
use crate::transport::MediaAnswer;

/// How long a node exit waits for its open recordings to finish.
const EXIT_FINISH_LIMIT: Duration = Duration::from_secs(8);

#[derive(Default)]
struct Inner {
    recorders: HashMap<String, RecorderHandle>,
    composites: HashMap<String, CompositeHandle>,
    /// HubPort id → (its Composite, its input key).
    ports: HashMap<String, (String, u64)>,
    /// Links from a HubPort into a recorder: (port, recorder, media).
    raw_links: BTreeSet<(String, String, MediaType)>,
    next_key: u64,
}

pub struct Studio {
    events: mpsc::UnboundedSender<Event>,
    recording_root: Option<PathBuf>,
    inner: Mutex<Inner>,
}

fn error(code: ErrorCode, message: impl Into<String>) -> RpcError {
    RpcError::new(code, message.into())
}

impl Studio {
    pub fn new(events: mpsc::UnboundedSender<Event>, recording_root: Option<PathBuf>) -> Self {
        Self { events, recording_root, inner: Mutex::default() }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a recorder thread; the tap is for the worker.
    pub fn create_recorder(&self, id: &str, params: RecorderParams) -> Result<Tap, RpcError> {
        if let Some(root) = &self.recording_root
            && !inside_root(&params.path, root)
        {
            return Err(error(
                ErrorCode::MediaObjectEventNotSupported,
                format!("URI_ERROR: {} is outside the recording root {}", params.path.display(), root.display()),
            ));
        }
        if let Some(parent) = params.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                error(ErrorCode::UnexpectedError, format!("cannot create the folder {}: {e}", parent.display()))
            })?;
        }
        gst_setup::init().map_err(|e| error(ErrorCode::UnexpectedError, e))?;
        let handle = RecorderHandle::spawn(id.to_string(), params, self.events.clone())
            .map_err(|e| error(ErrorCode::UnexpectedError, e))?;
        let tap = handle.tap();
        self.inner().recorders.insert(id.to_string(), handle);
        Ok(tap)
    }

    /// Starts a Composite; a failure is reported as its `Error` event.
    pub fn create_composite(&self, id: &str, params: CompositeParams) {
        let started =
            gst_setup::init().and_then(|()| CompositeHandle::spawn(id.to_string(), params, self.events.clone()));
        match started {
            Ok(handle) => {
                self.inner().composites.insert(id.to_string(), handle);
            }
            Err(description) => {
                tracing::error!(id, description, "cannot start a composite");
                let data = json!({"description": description, "errorCode": ErrorCode::UnexpectedError as i64,
                                  "type": "COMPOSITE_ERROR"});
                let fields = data.as_object().cloned().unwrap_or_default();
                let _ = self.events.send(Event::new("Error", id, crate::now_ms(), fields));
            }
        }
    }

    /// A HubPort of a running Composite: the tap the worker feeds its input through.
    pub fn create_hubport(&self, id: &str) -> Option<Tap> {
        let composite = object_id::parent_of(id)?.to_string();
        let mut inner = self.inner();
        inner.next_key += 1;
        let key = inner.next_key;
        let tap = inner.composites.get(&composite)?.add_port(key);
        inner.ports.insert(id.to_string(), (composite, key));
        Some(tap)
    }

    /// Follows the graph where it concerns recorders and Composites.
    pub fn link(&self, change: &LinkChange) {
        let (source, sink, media, connected) = match change {
            LinkChange::Connected { source, sink, media } => (source, sink, *media, true),
            LinkChange::Disconnected { source, sink, media } => (source, sink, *media, false),
        };
        let mut inner = self.inner();
        if let Some((composite, key)) = inner.ports.get(sink).cloned()
            && let Some(composite) = inner.composites.get(&composite)
        {
            composite.send(CompositeControl::Linked { key, media, connected });
        }
        if !inner.recorders.contains_key(sink) {
            return;
        }
        let from_port = inner.ports.get(source).cloned();
        let raw = from_port.is_some();
        if let Some(recorder) = inner.recorders.get(sink) {
            recorder.send(Control::Linked { media, raw, connected });
        }
        let Some((composite, _)) = from_port else { return };
        let link = (source.clone(), sink.clone(), media);
        if connected {
            inner.raw_links.insert(link);
        } else {
            inner.raw_links.remove(&link);
        }
        let still_linked = inner.raw_links.iter().any(|(p, r, _)| p == source && r == sink);
        let input = inner.recorders.get(sink).map(RecorderHandle::raw_input);
        if let Some(composite) = inner.composites.get(&composite) {
            match input.filter(|_| still_linked) {
                Some(input) => composite.add_output(sink, input),
                None => composite.remove_output(sink),
            }
        }
    }

    /// Released: a recorder finishes its file in the background; a Composite stops.
    pub fn release(&self, id: &str) {
        let mut inner = self.inner();
        if let Some(recorder) = inner.recorders.remove(id) {
            recorder.send(Control::Release);
            for composite in inner.composites.values() {
                composite.remove_output(id);
            }
            inner.raw_links.retain(|(_, r, _)| r != id);
        }
        if let Some((composite, key)) = inner.ports.remove(id) {
            if let Some(composite) = inner.composites.get(&composite) {
                composite.send(CompositeControl::RemovePort { key });
                for (_, recorder, _) in inner.raw_links.iter().filter(|(p, _, _)| p == id) {
                    composite.remove_output(recorder);
                }
            }
            inner.raw_links.retain(|(p, _, _)| p != id);
        }
        inner.composites.remove(id);
    }

    pub fn request(&self, id: &str, op: RecorderOp) -> MediaAnswer {
        let inner = self.inner();
        let Some(recorder) = inner.recorders.get(id) else {
            let missing = error(ErrorCode::MediaObjectNotFound, format!("Object '{id}' not found"));
            return Box::pin(std::future::ready(Err(missing)));
        };
        let now = |value: Value| -> MediaAnswer { Box::pin(std::future::ready(Ok(value))) };
        match op {
            RecorderOp::Record => {
                recorder.send(Control::Record);
                now(Value::Null)
            }
            RecorderOp::Pause => {
                recorder.send(Control::Pause);
                now(Value::Null)
            }
            RecorderOp::Stop => {
                recorder.send(Control::Stop(None));
                now(Value::Null)
            }
            RecorderOp::GetState => now(json!(recorder.status().state.as_str())),
            RecorderOp::GetStats => {
                let status = recorder.status();
                let bytes = std::fs::metadata(&recorder.path).map(|m| m.len()).unwrap_or(0);
                now(json!({
                    "framesWritten": status.frames_written,
                    "framesDropped": recorder.shared.dropped.load(Ordering::Relaxed),
                    "bytes": bytes,
                    "durationMs": status.duration.as_millis() as u64,
                    "startedAtMs": status.started_at_ms.unwrap_or(0),
                }))
            }
            RecorderOp::StopAndWait => {
                let (done, finished) = oneshot::channel();
                recorder.send(Control::Stop(Some(done)));
                Box::pin(async move {
                    match tokio::time::timeout(FINISH_LIMIT + Duration::from_secs(1), finished).await {
                        Ok(Ok(Ok(()))) => Ok(Value::Null),
                        Ok(Ok(Err(why))) => Err(error(ErrorCode::UnexpectedError, format!("stopAndWait: {why}"))),
                        Ok(Err(_)) => Ok(Value::Null),
                        Err(_) => Err(error(
                            ErrorCode::UnexpectedError,
                            format!("stopAndWait: the file was not complete after {FINISH_LIMIT:?}"),
                        )),
                    }
                })
            }
        }
    }

    /// Finishes every open recording and waits (bounded) for the files: on node exit.
    pub fn finish_all(&self) {
        let recorders: Vec<RecorderHandle> = self.inner().recorders.drain().map(|(_, r)| r).collect();
        if recorders.is_empty() {
            return;
        }
        let waits: Vec<_> = recorders
            .iter()
            .map(|recorder| {
                let (done, finished) = oneshot::channel();
                recorder.send(Control::Stop(Some(done)));
                finished
            })
            .collect();
        let deadline = std::time::Instant::now() + EXIT_FINISH_LIMIT;
        for (mut finished, recorder) in waits.into_iter().zip(&recorders) {
            while std::time::Instant::now() < deadline {
                match finished.try_recv() {
                    Err(oneshot::error::TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(20)),
                    _ => break,
                }
            }
            recorder.send(Control::Release);
        }
        tracing::info!(count = recorders.len(), "open recordings finished at exit");
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        self.finish_all();
    }
}
