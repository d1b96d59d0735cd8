//! Media object ids in Kurento's form.
//!
//! Pipelines are `<uuid>_kurento.MediaPipeline`; elements are
//! `<parent id>/<uuid>_kurento.<Type>`. The text after the last `_` names the
//! class, and the Java client relies on it to type ids it did not create, so
//! UUIDs are written without underscores (hyphenated form).

/// The ServerManager singleton, hard-coded by clients.
pub const SERVER_MANAGER_ID: &str = "manager_ServerManager";

/// The module prefix of core, elements and filters classes.
pub const MODULE: &str = "kurento";

/// A fresh id for a pipeline.
pub fn new_pipeline_id() -> String {
    format!("{}_{MODULE}.MediaPipeline", uuid::Uuid::new_v4())
}

/// A fresh id for an element of `class` whose parent is `parent` (a pipeline, or a hub for HubPorts).
pub fn new_element_id(parent: &str, class: &str) -> String {
    format!("{parent}/{}_{MODULE}.{class}", uuid::Uuid::new_v4())
}

/// The class of an id (`WebRtcEndpoint` for `…_kurento.WebRtcEndpoint`), if it has Kurento's form.
pub fn class_of(id: &str) -> Option<&str> {
    if id == SERVER_MANAGER_ID {
        return Some("ServerManager");
    }
    let (_, qualified) = id.rsplit_once('_')?;
    qualified.strip_prefix(MODULE)?.strip_prefix('.').filter(|class| !class.is_empty())
}

/// The id of the object's parent (the pipeline of an element, the hub of a HubPort).
pub fn parent_of(id: &str) -> Option<&str> {
    id.rsplit_once('/').map(|(parent, _)| parent)
}

/// The id of the pipeline an object belongs to (its first segment), or itself for a pipeline.
pub fn pipeline_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}

/// `kurento.WebRtcEndpoint` or `WebRtcEndpoint` → `WebRtcEndpoint`.
pub fn bare_type(type_name: &str) -> &str {
    type_name.strip_prefix("kurento.").unwrap_or(type_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_kurento_form_and_name_their_class() {
        let pipeline = new_pipeline_id();
        assert!(pipeline.ends_with("_kurento.MediaPipeline"));
        assert_eq!(pipeline.matches('_').count(), 1, "UUIDs carry no underscore");
        let endpoint = new_element_id(&pipeline, "WebRtcEndpoint");
        assert!(endpoint.starts_with(&format!("{pipeline}/")));
        assert_eq!(class_of(&endpoint), Some("WebRtcEndpoint"));
        assert_eq!(class_of(&pipeline), Some("MediaPipeline"));
        assert_eq!(parent_of(&endpoint), Some(pipeline.as_str()));
        assert_eq!(pipeline_of(&endpoint), pipeline);
        assert_eq!(class_of(SERVER_MANAGER_ID), Some("ServerManager"));
        assert_eq!(class_of("garbage"), None);
        assert_eq!(class_of("x_other.Thing"), None);
    }

    #[test]
    fn hub_ports_have_three_segments() {
        let pipeline = new_pipeline_id();
        let hub = new_element_id(&pipeline, "Composite");
        let port = new_element_id(&hub, "HubPort");
        assert_eq!(port.split('/').count(), 3);
        assert_eq!(parent_of(&port), Some(hub.as_str()));
        assert_eq!(pipeline_of(&port), pipeline);
    }

    #[test]
    fn types_may_be_qualified() {
        assert_eq!(bare_type("kurento.PassThrough"), "PassThrough");
        assert_eq!(bare_type("PassThrough"), "PassThrough");
    }
}
