//! What a REST call may set on a connection: `POST .../connection`, the
//! deprecated `POST /tokens`, and `PATCH .../connection/{id}`.

use serde::Serialize;

use crate::ice::{IceServer, IceServerSpec};
use crate::json_fields::{BadField, Fields};
use crate::openvidu_enums::{ConnectionType, Role};

/// Bandwidth limits (kbps) and allowed filters of one connection. Only the
/// keys the caller gave are kept and echoed back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KurentoOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_max_recv_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_min_recv_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_max_send_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_min_send_bandwidth: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_filters: Option<Vec<String>>,
}

/// Options of an IP camera connection (`type: IPCAM`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpcamOptions {
    pub rtsp_uri: String,
    pub adaptative_bitrate: bool,
    pub only_play_with_subscribers: bool,
    pub network_cache: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionProperties {
    pub kind: ConnectionType,
    pub data: String,
    pub record: bool,
    /// `None` for IP cameras.
    pub role: Option<Role>,
    pub kurento_options: Option<KurentoOptions>,
    pub custom_ice_servers: Vec<IceServerSpec>,
    pub ipcam: Option<IpcamOptions>,
}

/// Values a request may leave out.
pub struct ConnectionDefaults<'a> {
    /// `OPENVIDU_WEBRTC_ICE_SERVERS`, used when the request gives none.
    pub ice_servers: &'a [IceServerSpec],
}

impl ConnectionProperties {
    /// Parses a connection request body. `type` defaults to WEBRTC (2.16+),
    /// `role` to PUBLISHER, `record` to true, `data` to "".
    pub fn parse(fields: &Fields, defaults: &ConnectionDefaults) -> Result<Self, BadField> {
        let kind = fields.choice::<ConnectionType>("type")?.unwrap_or(ConnectionType::Webrtc);
        let data = fields.string("data")?.unwrap_or("").to_string();
        let record = fields.boolean("record")?.unwrap_or(true);
        let mut props = ConnectionProperties {
            kind,
            data,
            record,
            role: None,
            kurento_options: None,
            custom_ice_servers: Vec::new(),
            ipcam: None,
        };
        match kind {
            ConnectionType::Webrtc => {
                props.role = Some(fields.choice::<Role>("role")?.unwrap_or(Role::Publisher));
                props.kurento_options = parse_kurento_options(fields)?;
                props.custom_ice_servers = parse_ice_servers(fields)?;
                if props.custom_ice_servers.is_empty() {
                    props.custom_ice_servers = defaults.ice_servers.to_vec();
                }
            }
            ConnectionType::Ipcam => props.ipcam = Some(parse_ipcam(fields)?),
        }
        Ok(props)
    }

    /// The ICE servers as sent to the client, with TURN credentials generated now.
    pub fn resolved_ice_servers(&self, now_ms: u64, random: &mut impl FnMut() -> String) -> Vec<IceServer> {
        self.custom_ice_servers.iter().map(|spec| spec.resolve(now_ms, &random())).collect()
    }
}

/// The fields `PATCH .../connection/{id}` may change; every other key is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionUpdate {
    pub role: Option<Role>,
    pub record: Option<bool>,
}

impl ConnectionUpdate {
    pub fn parse(fields: &Fields) -> Result<Self, BadField> {
        Ok(Self { role: fields.choice::<Role>("role")?, record: fields.boolean("record")? })
    }
}

fn parse_kurento_options(fields: &Fields) -> Result<Option<KurentoOptions>, BadField> {
    let Some(options) = fields.object("kurentoOptions", "kurentoOptions.")? else { return Ok(None) };
    let mut parsed = KurentoOptions {
        video_max_recv_bandwidth: options.integer("videoMaxRecvBandwidth")?,
        video_min_recv_bandwidth: options.integer("videoMinRecvBandwidth")?,
        video_max_send_bandwidth: options.integer("videoMaxSendBandwidth")?,
        video_min_send_bandwidth: options.integer("videoMinSendBandwidth")?,
        allowed_filters: options.strings("allowedFilters")?,
    };
    for (name, value) in [
        ("videoMaxRecvBandwidth", &mut parsed.video_max_recv_bandwidth),
        ("videoMinRecvBandwidth", &mut parsed.video_min_recv_bandwidth),
        ("videoMaxSendBandwidth", &mut parsed.video_max_send_bandwidth),
        ("videoMinSendBandwidth", &mut parsed.video_min_send_bandwidth),
    ] {
        if let Some(kbps) = *value
            && !(0..=i64::from(i32::MAX)).contains(&kbps)
        {
            return Err(BadField(format!(
                "Parameter 'kurentoOptions.{name}' must be a non-negative number of kbps, got {kbps}"
            )));
        }
    }
    Ok(Some(parsed))
}

fn parse_ice_servers(fields: &Fields) -> Result<Vec<IceServerSpec>, BadField> {
    let Some(items) = fields.array("customIceServers")? else { return Ok(Vec::new()) };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let serde_json::Value::Object(map) = item else {
                return Err(BadField(format!("Parameter 'customIceServers' item {i} must be a JSON object")));
            };
            let prefix = format!("customIceServers[{i}].");
            let entry = Fields::new(map);
            let named = |bad: BadField| BadField(bad.0.replacen("parameter '", &format!("parameter '{prefix}"), 1));
            let url = entry
                .string("url")
                .map_err(named)?
                .ok_or_else(|| BadField(format!("Parameter '{prefix}url' is mandatory")))?;
            let get = |key: &str| entry.string(key).map(|v| v.map(str::to_string)).map_err(named);
            IceServerSpec::new(url.to_string(), get("username")?, get("credential")?, get("staticAuthSecret")?)
                .map_err(|why| BadField(format!("Parameter 'customIceServers' item {i} is not valid: {why}")))
        })
        .collect()
}

fn parse_ipcam(fields: &Fields) -> Result<IpcamOptions, BadField> {
    let rtsp_uri = fields
        .string("rtspUri")?
        .ok_or_else(|| BadField("Parameter 'rtspUri' is mandatory for IPCAM connections".into()))?;
    check_rtsp_uri(rtsp_uri)?;
    let network_cache = fields.integer("networkCache")?.unwrap_or(2000);
    if network_cache < 0 {
        return Err(BadField(format!(
            "Parameter 'networkCache' must be a non-negative number of milliseconds, got {network_cache}"
        )));
    }
    Ok(IpcamOptions {
        rtsp_uri: rtsp_uri.to_string(),
        adaptative_bitrate: fields.boolean("adaptativeBitrate")?.unwrap_or(true),
        only_play_with_subscribers: fields.boolean("onlyPlayWithSubscribers")?.unwrap_or(true),
        network_cache,
    })
}

/// `file`, `rtsp`, `rtsps`, `http` and `https` URIs, as OpenVidu accepts.
fn check_rtsp_uri(uri: &str) -> Result<(), BadField> {
    const SCHEMES: &[&str] = &["file", "rtsp", "rtsps", "http", "https"];
    match url::Url::parse(uri) {
        Ok(parsed) if SCHEMES.contains(&parsed.scheme()) => Ok(()),
        _ => Err(BadField(format!(
            "Error in parameter 'rtspUri': '{uri}' is not a valid URI; allowed schemes: {}",
            SCHEMES.join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: serde_json::Value) -> Result<ConnectionProperties, BadField> {
        let map = body.as_object().unwrap().clone();
        ConnectionProperties::parse(&Fields::new(&map), &ConnectionDefaults { ice_servers: &[] })
    }

    #[test]
    fn defaults_match_openvidu() {
        let props = parse(json!({})).unwrap();
        assert_eq!(props.kind, ConnectionType::Webrtc);
        assert_eq!(props.role, Some(Role::Publisher));
        assert!(props.record);
        assert_eq!(props.data, "");
    }

    #[test]
    fn node_client_nulls_are_defaults() {
        let props = parse(json!({"type": null, "data": null, "record": null, "role": null, "kurentoOptions": null,
            "rtspUri": null, "adaptativeBitrate": null, "onlyPlayWithSubscribers": null, "networkCache": null,
            "customIceServers": null}))
        .unwrap();
        assert_eq!(props, parse(json!({})).unwrap());
    }

    #[test]
    fn rejects_what_openvidu_rejects() {
        for body in [
            json!({"type": false}),
            json!({"type": "NOT_EXISTS"}),
            json!({"role": 123}),
            json!({"data": true}),
            json!({"kurentoOptions": false}),
            json!({"kurentoOptions": {"allowedFilters": "NOT_EXISTS"}}),
            json!({"customIceServers": [{"url": "bad-ice-server"}]}),
            json!({"customIceServers": [{"url": "turn:1.2.3.4"}]}),
            json!({"customIceServers": [{"url": "ftp:1.2.3.4"}]}),
            json!({"type": "IPCAM"}),
            json!({"type": "IPCAM", "rtspUri": "NOT_A_URL"}),
        ] {
            assert!(parse(body.clone()).is_err(), "{body} should be rejected");
        }
    }

    #[test]
    fn kurento_options_keep_only_given_keys() {
        let props =
            parse(json!({"kurentoOptions": {"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]}}))
                .unwrap();
        assert_eq!(
            serde_json::to_value(props.kurento_options.unwrap()).unwrap(),
            json!({"videoMaxRecvBandwidth": 500, "allowedFilters": ["GStreamerFilter"]})
        );
    }

    #[test]
    fn global_ice_servers_fill_in_when_none_given() {
        let global = [IceServerSpec::new("stun:10.0.0.1:3478".into(), None, None, None).unwrap()];
        let map = serde_json::Map::new();
        let props =
            ConnectionProperties::parse(&Fields::new(&map), &ConnectionDefaults { ice_servers: &global }).unwrap();
        assert_eq!(props.custom_ice_servers, global.to_vec());
    }

    #[test]
    fn ice_server_errors_name_the_item() {
        let err = parse(json!({"customIceServers": [{"url": "stun:1.2.3.4"}, {"url": 5}]})).unwrap_err();
        assert!(err.0.contains("customIceServers[1].url"), "{}", err.0);
    }

    #[test]
    fn ipcam_options_have_defaults() {
        let props = parse(json!({"type": "IPCAM", "rtspUri": "rtsp://cam.local/stream"})).unwrap();
        assert_eq!(
            props.ipcam,
            Some(IpcamOptions {
                rtsp_uri: "rtsp://cam.local/stream".into(),
                adaptative_bitrate: true,
                only_play_with_subscribers: true,
                network_cache: 2000
            })
        );
        assert_eq!(props.role, None);
    }
}
