//! The media node an event is about (`mediaNodeStatusChanged`, `nodeCrashed`,
//! `nodeRecovered`): the four fields OpenVidu Pro puts in each of them.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, PartialEq)]
pub struct NodeRef {
    pub id: String,
    pub environment_id: Option<String>,
    pub ip: Option<String>,
    pub uri: Option<String>,
}

impl NodeRef {
    /// `id`, `environmentId`, `ip`, `uri`, in OpenVidu's order.
    pub(super) fn add_to(&self, fields: &mut Map<String, Value>) {
        fields.insert("id".into(), json!(self.id));
        fields.insert("environmentId".into(), json!(self.environment_id));
        fields.insert("ip".into(), json!(self.ip));
        fields.insert("uri".into(), json!(self.uri));
    }
}
