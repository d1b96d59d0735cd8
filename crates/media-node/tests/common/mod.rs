//! Shared helpers of the conformance tests: a real `plenum-media-node` process
//! per test, and a raw websocket JSON-RPC client that shows every frame as it
//! is on the wire (no id bookkeeping or session injection hidden from the test).
//!
//! Waiting is always bounded: every receive has a deadline, and polls loop
//! until a condition holds or a deadline passes.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a request may take before the test fails.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an expected event may take.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

pub const SERVER_MANAGER: &str = "manager_ServerManager";

/// A media node process, killed when dropped.
pub struct Node {
    child: Child,
    /// `ws://127.0.0.1:PORT/kurento`
    pub url: String,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl Node {
    /// A node on a free port with one media worker.
    pub fn start() -> Node {
        Node::start_with(&[])
    }

    /// A node with extra command-line arguments (`--session-grace 1`, ...).
    pub fn start_with(extra: &[&str]) -> Node {
        Node::start_at("127.0.0.1:0", extra)
    }

    /// A node listening on `listen` (`127.0.0.1:PORT`), e.g. to replace one that stopped.
    pub fn start_at(listen: &str, extra: &[&str]) -> Node {
        Node::start_with_env(listen, extra, &[])
    }

    /// A node with environment variables set (after the inherited `PLENUM_*` ones are removed).
    pub fn start_with_env(listen: &str, extra: &[&str], env: &[(&str, &str)]) -> Node {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plenum-media-node"));
        command.args(["--listen", listen, "--workers", "1"]).args(extra);
        for variable in [
            "PLENUM_MEDIA_LISTEN",
            "PLENUM_MEDIA_RTC_ADDRESS",
            "PLENUM_MEDIA_RTC_PORTS",
            "PLENUM_MEDIA_WORKERS",
            "PLENUM_MEDIA_SESSION_GRACE",
            "PLENUM_MEDIA_GC_PERIOD",
            "PLENUM_MEDIA_RECORDING_ROOT",
            "PLENUM_NODE_SECRET",
            "PLENUM_NODE_METRICS",
        ] {
            command.env_remove(variable);
        }
        command.envs(env.iter().copied());
        // Node logs only when asked for (CONFORMANCE_NODE_LOG=1), to keep test output readable.
        let logs = if std::env::var_os("CONFORMANCE_NODE_LOG").is_some() { Stdio::inherit() } else { Stdio::null() };
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(logs);
        let mut child = command.spawn().expect("the plenum-media-node binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (lines, line) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let _ = lines.send(first);
            // Keep reading so the node never blocks on (or dies of) a closed stdout.
            let mut rest = String::new();
            while reader.read_line(&mut rest).is_ok_and(|n| n > 0) {
                rest.clear();
            }
        });
        let first = match line.recv_timeout(Duration::from_secs(30)) {
            Ok(first) => first,
            Err(_) => {
                let _ = child.kill();
                panic!("the node printed no listening line within 30 s");
            }
        };
        let url = first
            .trim()
            .strip_prefix("plenum-media-node listening on ")
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!("unexpected first stdout line: {first:?}")
            })
            .to_string();
        let addr = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.strip_suffix("/kurento"))
            .unwrap_or_else(|| panic!("the announced URL is not ws://ADDR/kurento: {url}"))
            .to_string();
        Node { child, url, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A raw client on `/kurento`.
    pub async fn wire(&self) -> Wire {
        Wire::connect(&self.url).await
    }

    /// A `ws://ADDR<path>` URL on this node.
    pub fn url_with_path(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A raw JSON-RPC client: sends exactly what the test says, and keeps the
/// `onEvent` notifications that arrive while it waits for responses.
pub struct Wire {
    socket: Socket,
    next_id: i64,
    events: VecDeque<Value>,
}

/// Panics with the frame when a response is not what the test expected.
fn describe_frame(frame: &Value) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

impl Wire {
    pub async fn connect(url: &str) -> Wire {
        let (socket, _) = tokio::time::timeout(REPLY_TIMEOUT, tokio_tungstenite::connect_async(url))
            .await
            .unwrap_or_else(|_| panic!("websocket handshake with {url} timed out"))
            .unwrap_or_else(|e| panic!("websocket handshake with {url} failed: {e}"));
        Wire { socket, next_id: 1, events: VecDeque::new() }
    }

    /// Sends one websocket message as is.
    pub async fn send_message(&mut self, message: Message) {
        self.socket.send(message).await.expect("the node accepts the frame");
    }

    /// Sends one text frame as is.
    pub async fn send_text(&mut self, text: &str) {
        self.send_message(Message::text(text.to_string())).await;
    }

    pub async fn send_json(&mut self, frame: &Value) {
        self.send_text(&frame.to_string()).await;
    }

    /// The next JSON text frame from the node (events included), or `None` on timeout.
    /// Panics if the socket closes or the node sends a non-JSON text frame.
    pub async fn next_frame(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return None,
                Ok(None) => panic!("the node closed the websocket"),
                Ok(Some(Err(e))) => panic!("websocket error: {e}"),
                Ok(Some(Ok(message))) => message,
            };
            match message {
                Message::Text(text) => {
                    return Some(
                        serde_json::from_str(&text).unwrap_or_else(|e| panic!("node sent non-JSON {text:?}: {e}")),
                    );
                }
                Message::Close(frame) => panic!("the node closed the websocket: {frame:?}"),
                Message::Binary(_) => panic!("the node sent a binary frame"),
                _ => continue,
            }
        }
    }

    /// The next websocket message of any kind, or `None` on timeout or end of stream.
    pub async fn next_message(&mut self, timeout: Duration) -> Option<Result<Message, String>> {
        match tokio::time::timeout(timeout, self.socket.next()).await {
            Err(_) | Ok(None) => None,
            Ok(Some(result)) => Some(result.map_err(|e| e.to_string())),
        }
    }

    /// Waits for the response with `id`, keeping notifications for [`Self::wait_event`].
    pub async fn response_to(&mut self, id: &Value) -> Value {
        let deadline = Instant::now() + REPLY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = self.next_frame(left).await.unwrap_or_else(|| panic!("no response to id {id} in time"));
            if frame.get("method") == Some(&json!("onEvent")) && frame.get("id").is_none() {
                self.events.push_back(frame);
                continue;
            }
            if frame.get("id") == Some(id) {
                return frame;
            }
            panic!("unexpected frame while waiting for the response to {id}: {}", describe_frame(&frame));
        }
    }

    /// Sends `{"jsonrpc":"2.0","id":N,"method":…,"params":…}` (params left out when null)
    /// and returns the whole response frame.
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = json!(self.next_id);
        self.next_id += 1;
        let mut frame = json!({"jsonrpc": "2.0", "id": id, "method": method});
        if !params.is_null() {
            frame["params"] = params;
        }
        self.send_json(&frame).await;
        self.response_to(&id).await
    }

    /// `result` on success, the `error` object otherwise.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let frame = self.request(method, params).await;
        check_envelope(&frame);
        match (frame.get("result"), frame.get("error")) {
            (Some(result), None) => Ok(result.clone()),
            (None, Some(error)) => Err(error.clone()),
            _ => panic!("a response has exactly one of result and error: {}", describe_frame(&frame)),
        }
    }

    /// The result of a call that must succeed.
    pub async fn ok(&mut self, method: &str, params: Value) -> Value {
        let shown = format!("{method} {params}");
        self.call(method, params).await.unwrap_or_else(|error| panic!("{shown} failed: {}", describe_frame(&error)))
    }

    /// The error of a call that must fail.
    pub async fn err(&mut self, method: &str, params: Value) -> Value {
        let shown = format!("{method} {params}");
        match self.call(method, params).await {
            Ok(result) => panic!("{shown} should have failed, got result {}", describe_frame(&result)),
            Err(error) => error,
        }
    }

    /// `create`; returns the id.
    pub async fn create(&mut self, type_name: &str, constructor_params: Value) -> String {
        let result = self.ok("create", json!({"type": type_name, "constructorParams": constructor_params})).await;
        result["value"].as_str().unwrap_or_else(|| panic!("create returned no id: {result}")).to_string()
    }

    pub async fn pipeline(&mut self) -> String {
        self.create("MediaPipeline", json!({})).await
    }

    pub async fn webrtc(&mut self, pipeline: &str) -> String {
        self.create("WebRtcEndpoint", json!({"mediaPipeline": pipeline})).await
    }

    pub async fn passthrough(&mut self, pipeline: &str) -> String {
        self.create("PassThrough", json!({"mediaPipeline": pipeline})).await
    }

    /// `invoke`; `Ok(result.value)` (null when absent) or the error object.
    pub async fn invoke(&mut self, object: &str, operation: &str, params: Value) -> Result<Value, Value> {
        let result =
            self.call("invoke", json!({"object": object, "operation": operation, "operationParams": params})).await?;
        Ok(result.get("value").cloned().unwrap_or(Value::Null))
    }

    pub async fn invoke_ok(&mut self, object: &str, operation: &str, params: Value) -> Value {
        self.invoke(object, operation, params.clone())
            .await
            .unwrap_or_else(|e| panic!("{operation} {params} on {object} failed: {}", describe_frame(&e)))
    }

    pub async fn invoke_err(&mut self, object: &str, operation: &str, params: Value) -> Value {
        match self.invoke(object, operation, params.clone()).await {
            Ok(value) => panic!("{operation} {params} on {object} should have failed, got {value}"),
            Err(error) => error,
        }
    }

    /// `subscribe`; returns the subscription id.
    pub async fn subscribe(&mut self, object: &str, event: &str) -> String {
        let result = self.ok("subscribe", json!({"object": object, "type": event})).await;
        result["value"].as_str().unwrap_or_else(|| panic!("subscribe returned no id: {result}")).to_string()
    }

    /// `release`, which must succeed and answer the session.
    pub async fn release(&mut self, object: &str) {
        let result = self.ok("release", json!({"object": object})).await;
        assert!(result["sessionId"].is_string(), "release answers the session: {result}");
    }

    /// The ServerManager's pipelines.
    pub async fn pipelines(&mut self) -> Vec<String> {
        let value = self.invoke_ok(SERVER_MANAGER, "getPipelines", json!({})).await;
        value
            .as_array()
            .unwrap_or_else(|| panic!("getPipelines is not a list: {value}"))
            .iter()
            .map(|p| p.as_str().expect("pipeline ids are strings").to_string())
            .collect()
    }

    /// Polls `getPipelines` every 100 ms until `done` holds, failing after `deadline`;
    /// returns when it first held.
    pub async fn poll_pipelines(
        &mut self,
        what: &str,
        deadline: Duration,
        done: impl Fn(&[String]) -> bool,
    ) -> Instant {
        let until = Instant::now() + deadline;
        loop {
            let pipelines = self.pipelines().await;
            if done(&pipelines) {
                return Instant::now();
            }
            assert!(Instant::now() < until, "{what}: not within {deadline:?} (pipelines: {pipelines:?})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an `onEvent` whose `params.value` satisfies `matches`; returns the whole frame.
    /// Events that do not match stay queued.
    pub async fn wait_event(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(position) = self.events.iter().position(|e| matches(&e["params"]["value"])) {
            return self.events.remove(position).expect("in range");
        }
        let deadline = Instant::now() + EVENT_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Some(frame) = self.next_frame(left).await else {
                panic!("no {what} event within {EVENT_TIMEOUT:?}; queued events: {:?}", self.events);
            };
            assert_eq!(frame["method"], "onEvent", "only events arrive unasked: {}", describe_frame(&frame));
            assert!(frame.get("id").is_none(), "events carry no id: {}", describe_frame(&frame));
            if matches(&frame["params"]["value"]) {
                return frame;
            }
            self.events.push_back(frame);
        }
    }

    /// Waits for an event of `kind` from `object`.
    pub async fn wait_event_of(&mut self, object: &str, kind: &str) -> Value {
        self.wait_event(kind, |v| v["type"] == kind && v["object"] == object).await
    }

    /// Drains every event received up to a `ping` round trip. The node queues a
    /// request's events before its response, and a socket's frames stay in
    /// order, so this is every event caused by requests answered before.
    pub async fn events_until_barrier(&mut self) -> Vec<Value> {
        let pong = self.ok("ping", json!({})).await;
        assert_eq!(pong["value"], "pong");
        self.events.drain(..).collect()
    }

    /// Closes the websocket cleanly and waits for the node to acknowledge.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        let deadline = tokio::time::Instant::now() + REPLY_TIMEOUT;
        while let Ok(Some(Ok(_))) = tokio::time::timeout_at(deadline, self.socket.next()).await {}
    }
}

/// Every response is `{"jsonrpc":"2.0","id":…}` with `result` or `error`; errors are `{code, message[, data]}`.
pub fn check_envelope(frame: &Value) {
    assert_eq!(frame["jsonrpc"], "2.0", "jsonrpc version: {}", describe_frame(frame));
    assert!(frame.get("id").is_some(), "responses carry an id: {}", describe_frame(frame));
    if let Some(error) = frame.get("error") {
        assert!(error["code"].is_i64(), "error.code is an integer: {}", describe_frame(frame));
        assert!(error["message"].is_string(), "error.message is a string: {}", describe_frame(frame));
        assert!(frame.get("result").is_none(), "no result beside an error: {}", describe_frame(frame));
    }
}

/// Asserts a Kurento error: `code`, and `data.type` = `type_name` (KMS's own codes carry it).
pub fn assert_kurento_error(error: &Value, code: i64, type_name: &str) {
    assert_eq!(error["code"], code, "error code: {}", describe_frame(error));
    assert_eq!(error["data"]["type"], type_name, "error data.type: {}", describe_frame(error));
    assert!(error.get("sessionId").is_none(), "errors carry no sessionId");
}

/// Polls `condition` until it holds, failing the test with `what` after `timeout`.
pub async fn wait_for(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `count` subscribers to `publisher` in `room`, connected one after another, once each
/// receives audio and video.
pub async fn subscribers_with_media(
    driver: &plenum_loadtest::KurentoDriver,
    engine: &plenum_loadtest::EngineHandle,
    room: &plenum_loadtest::RoomId,
    publisher: &plenum_loadtest::PeerId,
    options: &plenum_loadtest::SubscriberOptions,
    count: usize,
) -> Vec<plenum_loadtest::Client> {
    let mut subscribers = Vec::new();
    for _ in 0..count {
        let subscriber = plenum_loadtest::connect_subscriber(driver, engine, room, publisher, options).await;
        subscribers.push(subscriber.expect("subscriber"));
    }
    wait_for(Duration::from_secs(20), "every subscriber to receive audio and video", || {
        subscribers.iter().all(|s| {
            let stats = s.handle.stats();
            stats.audio.packets > 0 && stats.video.packets > 0
        })
    })
    .await;
    subscribers
}

/// The worker's media port, read from the 127.0.0.1 host candidate of an SDP answer.
pub fn media_port(answer: &str) -> u16 {
    answer
        .lines()
        .filter_map(|l| l.strip_prefix("a=candidate:"))
        .find_map(|c| {
            let parts: Vec<&str> = c.split_whitespace().collect();
            (parts.get(4) == Some(&"127.0.0.1")).then(|| parts[5].parse().unwrap())
        })
        .expect("a 127.0.0.1 host candidate in the answer")
}

/// Whether `text` is a hyphenated lowercase UUID.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::parse_str(text).is_ok() && text == text.to_ascii_lowercase()
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_millis()
}

/// A realistic Chromium offer: audio (Opus 111) and video (VP8 96 + RTX) BUNDLEd, ICE, DTLS actpass, rtcp-mux.
pub const CHROME_OFFER: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0 1\r\n\
a=extmap-allow-mixed\r\n\
a=msid-semantic: WMS 3f6b7d0c-2f8c-4f5e-9a57-6cf0ad9e2b11\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:Hk4V\r\n\
a=ice-pwd:Jo3cV7GkxqH4Uq3nQpOq9z1e\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
a=sendrecv\r\n\
a=msid:3f6b7d0c-2f8c-4f5e-9a57-6cf0ad9e2b11 0c5e4b55-1a29-4bb5-8b0e-6b7a7e5e2a01\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=ssrc:1001 cname:k7mZbq2f0Jc3Xw1e\r\n\
a=ssrc:1001 msid:3f6b7d0c-2f8c-4f5e-9a57-6cf0ad9e2b11 0c5e4b55-1a29-4bb5-8b0e-6b7a7e5e2a01\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:Hk4V\r\n\
a=ice-pwd:Jo3cV7GkxqH4Uq3nQpOq9z1e\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n\
a=setup:actpass\r\n\
a=mid:1\r\n\
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
a=sendrecv\r\n\
a=msid:3f6b7d0c-2f8c-4f5e-9a57-6cf0ad9e2b11 9d1c3e77-4a0b-46de-b1f2-2f0a6c5d8e02\r\n\
a=rtcp-mux\r\n\
a=rtcp-rsize\r\n\
a=rtpmap:96 VP8/90000\r\n\
a=rtcp-fb:96 goog-remb\r\n\
a=rtcp-fb:96 transport-cc\r\n\
a=rtcp-fb:96 ccm fir\r\n\
a=rtcp-fb:96 nack\r\n\
a=rtcp-fb:96 nack pli\r\n\
a=rtpmap:97 rtx/90000\r\n\
a=fmtp:97 apt=96\r\n\
a=ssrc-group:FID 2001 2002\r\n\
a=ssrc:2001 cname:k7mZbq2f0Jc3Xw1e\r\n\
a=ssrc:2001 msid:3f6b7d0c-2f8c-4f5e-9a57-6cf0ad9e2b11 9d1c3e77-4a0b-46de-b1f2-2f0a6c5d8e02\r\n\
a=ssrc:2002 cname:k7mZbq2f0Jc3Xw1e\r\n\
a=ssrc:2002 msid:3f6b7d0c-2f8c-4f5e-9a57-6cf0ad9e2b11 9d1c3e77-4a0b-46de-b1f2-2f0a6c5d8e02\r\n";
