//! A media node as the REST API shows it (`object: "mediaNode"`).

use serde_json::{Map, Value, json};

use super::status::NodeStatus;
use crate::openvidu_enums::WireEnum;

#[derive(Debug, Clone, PartialEq)]
pub struct MediaNode {
    /// `media_<environmentId>`, or `media_` + a random suffix for nodes added by URI alone.
    pub id: String,
    /// The launcher's handle (a process id for `local`), or what autodiscovery or the operator named.
    pub environment_id: Option<String>,
    pub ip: Option<String>,
    pub uri: Option<String>,
    pub connected: bool,
    pub connection_time: Option<u64>,
    pub disconnection_time: Option<u64>,
    pub launching_time: u64,
    pub status: NodeStatus,
    /// CPU percentage (0.00–100.00), as OpenVidu 2.15+ reports it.
    pub load: f64,
}

/// Parts of the record that are only shown when asked for.
#[derive(Debug, Default)]
pub struct Extras {
    /// `?sessions=true`: full Session objects.
    pub sessions: Option<Vec<Value>>,
    /// `?recordings=true`.
    pub recording_ids: Option<Vec<String>>,
    /// `?extra-info=true`: from the node's ServerManager.
    pub kurento_info: Option<Value>,
}

impl MediaNode {
    pub fn id_for(environment_id: &str) -> String {
        format!("media_{environment_id}")
    }

    pub fn json(&self, extras: Extras) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("object".into(), json!("mediaNode"));
        out.insert("environmentId".into(), json!(self.environment_id));
        out.insert("ip".into(), json!(self.ip));
        out.insert("uri".into(), json!(self.uri));
        out.insert("launchingTime".into(), json!(self.launching_time));
        out.insert("connected".into(), json!(self.connected));
        out.insert("connectionTime".into(), json!(self.connection_time));
        if !self.connected {
            out.insert("disconnectionTime".into(), json!(self.disconnection_time));
        }
        out.insert("load".into(), json!((self.load * 100.0).round() / 100.0));
        out.insert("status".into(), json!(self.status.as_str()));
        if let Some(sessions) = extras.sessions {
            out.insert("sessions".into(), Value::Array(sessions));
        }
        if let Some(ids) = extras.recording_ids {
            out.insert("recordingIds".into(), json!(ids));
            out.insert("broadcasts".into(), json!([]));
        }
        if let Some(info) = extras.kurento_info {
            out.insert("kurentoInfo".into(), info);
        }
        Value::Object(out)
    }

    /// The IP part of a `ws://host:port/kurento` URI.
    pub fn ip_of(uri: &url::Url) -> Option<String> {
        uri.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(connected: bool) -> MediaNode {
        MediaNode {
            id: MediaNode::id_for("4242"),
            environment_id: Some("4242".into()),
            ip: Some("127.0.0.1".into()),
            uri: Some("ws://127.0.0.1:8888/kurento".into()),
            connected,
            connection_time: Some(10),
            disconnection_time: (!connected).then_some(20),
            launching_time: 5,
            status: NodeStatus::Running,
            load: 12.3456,
        }
    }

    #[test]
    fn the_record_has_the_documented_keys() {
        let json = node(true).json(Extras::default());
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "id",
                "object",
                "environmentId",
                "ip",
                "uri",
                "launchingTime",
                "connected",
                "connectionTime",
                "load",
                "status"
            ]
        );
        assert_eq!(json["id"], "media_4242");
        assert_eq!(json["load"], 12.35);
    }

    #[test]
    fn disconnection_time_shows_only_while_disconnected() {
        assert_eq!(node(false).json(Extras::default())["disconnectionTime"], 20);
        assert!(node(true).json(Extras::default()).get("disconnectionTime").is_none());
    }

    #[test]
    fn extras_appear_only_when_asked() {
        let extras = Extras {
            sessions: Some(vec![json!({"id": "s"})]),
            recording_ids: Some(vec![]),
            kurento_info: Some(json!({"version": "7.3.0"})),
        };
        let json = node(true).json(extras);
        assert_eq!(json["sessions"][0]["id"], "s");
        assert_eq!(json["recordingIds"], json!([]));
        assert_eq!(json["kurentoInfo"]["version"], "7.3.0");
    }

    #[test]
    fn ip_comes_from_the_uri_host() {
        let uri = url::Url::parse("ws://[::1]:8888/kurento").unwrap();
        assert_eq!(MediaNode::ip_of(&uri).as_deref(), Some("::1"));
    }
}
