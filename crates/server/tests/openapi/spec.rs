//! The committed OpenAPI document as the tests read it: its operations, and the
//! check of one real reply against what the document says that operation answers.

use serde_json::{Value, json};

use crate::common::Reply;

/// The spec's text, as the binary embeds it.
pub const COMMITTED: &str = include_str!("../../src/api/openapi.json");

pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

pub struct Spec {
    pub doc: Value,
}

impl Spec {
    pub fn committed() -> Self {
        Self { doc: serde_json::from_str(COMMITTED).expect("openapi.json is JSON") }
    }

    /// Every documented path template, e.g. `/openvidu/api/sessions/{sessionId}`.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.doc["paths"].as_object().expect("paths").keys().map(String::as_str)
    }

    /// `(method, path)` of every operation, methods in lower case.
    pub fn operations(&self) -> Vec<(&'static str, String)> {
        let mut operations = Vec::new();
        for path in self.paths() {
            for method in METHODS {
                if self.doc["paths"][path].get(method).is_some() {
                    operations.push((method, path.to_string()));
                }
            }
        }
        operations
    }

    pub fn operation(&self, method: &str, path: &str) -> &Value {
        let operation = &self.doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not in the spec");
        operation
    }

    pub fn has_request_body(&self, method: &str, path: &str) -> bool {
        self.operation(method, path).get("requestBody").is_some()
    }

    /// Whether the operation needs HTTP Basic always (`security` has no empty alternative).
    pub fn requires_auth(&self, method: &str, path: &str) -> bool {
        let security = self.operation(method, path)["security"].as_array().expect("every operation names its security");
        !security.is_empty() && security.iter().all(|s| s.get("basicAuth").is_some())
    }

    /// Whether the operation is public (`security: [{}]`).
    pub fn is_public(&self, method: &str, path: &str) -> bool {
        let security = self.operation(method, path)["security"].as_array().expect("security");
        security.iter().all(|s| s.as_object().is_some_and(|o| o.is_empty()))
    }

    /// A `$ref` to `#/components/...` resolved, anything else as it is.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => self.doc.pointer(pointer.trim_start_matches('#')).expect("the $ref resolves"),
            None => value,
        }
    }

    /// Checks `reply` against the operation's documented response for its status:
    /// the status is listed, the media type is the documented one, an empty response has
    /// an empty body, and a JSON body is valid against the schema.
    pub fn check(&self, method: &str, path: &str, reply: &Reply) -> Result<(), String> {
        let status = reply.status.as_str().to_string();
        let operation = self.operation(method, path);
        let Some(response) = operation["responses"].get(&status) else {
            return Err(format!("{method} {path} answered {status}, which the spec does not list: {}", reply.text));
        };
        let response = self.resolve(response);
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            if reply.text.is_empty() {
                return Ok(());
            }
            return Err(format!("{method} {path} {status} is documented empty, got {:?}", reply.text));
        };
        if reply.text.is_empty() && response.get("x-empty-body") == Some(&Value::Bool(true)) {
            return Ok(());
        }
        let received = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
        let base = |media: &str| media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let Some((media, entry)) = content.iter().find(|(media, _)| *media == "*/*" || base(media) == base(received))
        else {
            return Err(format!(
                "{method} {path} {status}: content type {received:?} is not one of {:?}",
                content.keys()
            ));
        };
        if base(media) != "application/json" {
            return Ok(());
        }
        let body: Value = serde_json::from_str(&reply.text)
            .map_err(|e| format!("{method} {path} {status}: not JSON ({e}): {:?}", reply.text))?;
        self.validate(&entry["schema"], &body).map_err(|errors| {
            format!("{method} {path} {status}: the body does not match the spec:\n{errors}\nbody: {body}")
        })
    }

    /// Validates `instance` against `schema` (JSON Schema 2020-12, with the spec's components for `$ref`).
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::draft202012::new(&root).map_err(|e| format!("the schema does not compile: {e}"))?;
        let errors: Vec<String> =
            validator.iter_errors(instance).map(|e| format!("  at {}: {e}", e.instance_path())).collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("\n")) }
    }
}
