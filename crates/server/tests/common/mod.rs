//! A real master on a loopback port and an HTTP client for it.
#![allow(dead_code, unused_imports)]

pub mod media_node;
pub mod media_publisher;
pub mod scripted_call;

use std::collections::HashMap;

use plenum::config::Config;
use plenum::server::RunningServer;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const SECRET: &str = "TEST_SECRET";

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub client: reqwest::Client,
    /// Where the CDR and recordings go unless a test names a path: nothing outside the test.
    pub storage: Option<tempfile::TempDir>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// The `message` of an error body.
    pub fn message(&self) -> String {
        self.json()["message"].as_str().unwrap_or_default().to_string()
    }
}

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Starts a master with `SERVER_PORT=0`, `OPENVIDU_SECRET=TEST_SECRET` and `extra` settings.
pub async fn start(extra: &[(&str, &str)]) -> TestServer {
    install_crypto();
    let mut env: HashMap<String, String> = HashMap::from([
        ("SERVER_PORT".to_string(), "0".to_string()),
        ("OPENVIDU_SECRET".to_string(), SECRET.to_string()),
    ]);
    let storage = tempfile::tempdir().expect("a temporary directory");
    for (key, dir) in [("OPENVIDU_CDR_PATH", "cdr"), ("OPENVIDU_RECORDING_PATH", "recordings")] {
        env.insert(key.to_string(), storage.path().join(dir).display().to_string());
    }
    for (key, value) in extra {
        env.insert(key.to_string(), value.to_string());
    }
    let outcome = Config::load(None, &move |key| env.get(key).cloned()).expect("valid test configuration");
    let server = plenum::server::start(outcome.config).await.expect("server starts");
    let scheme = if server.tls_fingerprint.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://127.0.0.1:{}", server.local_addr.port());
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = &server.tls_certificate_pem {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    TestServer { server: Some(server), base, client: builder.build().unwrap(), storage: Some(storage) }
}

impl TestServer {
    /// An authenticated request; `body` is sent as raw text when given.
    pub async fn call(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.raw(method, path, body, Some(("OPENVIDUAPP", SECRET))).await
    }

    pub async fn raw(&self, method: &str, path: &str, body: Option<&str>, auth: Option<(&str, &str)>) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some((user, password)) = auth {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.expect("request reaches the server");
        Reply { status: response.status(), headers: response.headers().clone(), text: response.text().await.unwrap() }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        self.call("POST", path, Some(body)).await
    }

    /// Creates a session with a custom id through the 2.16+ API.
    pub async fn session(&self, id: &str) -> Value {
        let reply = self.post("/openvidu/api/sessions", &format!("{{\"customSessionId\":\"{id}\"}}")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    /// Creates a connection in `session` with `body` and returns it.
    pub async fn connection(&self, session: &str, body: &str) -> Value {
        let reply = self.post(&format!("/openvidu/api/sessions/{session}/connection"), body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json()
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.unwrap();
        }
    }
}

/// The sorted keys of a JSON object.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().expect("a JSON object").keys().cloned().collect();
    keys.sort();
    keys
}

pub fn sorted(list: &[&str]) -> Vec<String> {
    let mut keys: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    keys.sort();
    keys
}

pub use plenum::session::connection::CONNECTION_KEYS;
pub use plenum::session::model::SESSION_KEYS;

/// Both path families for a resource path: `/openvidu/api{p}` and `/api{p}`.
pub fn families(path: &str) -> [String; 2] {
    [format!("/openvidu/api{path}"), format!("/api{path}")]
}
