//! What a property may hold, and how its text is checked.
//!
//! Every property is read as text (from the defaults, the `.env` file or the
//! environment) and checked once, at startup or at restart, against its
//! [`Kind`]. A failure names what is allowed, so the operator can fix the value
//! without reading our source.

use std::net::IpAddr;

use super::property_value::{Value, ValueType};
use crate::hostname::is_ip_or_domain;
use crate::ice::IceServerSpec;

/// Events accepted in `OPENVIDU_WEBHOOK_EVENTS` (the 2.32 set plus the 2.13
/// deprecated recording events and the Enterprise HA events).
pub const WEBHOOK_EVENTS: &[&str] = &[
    "sessionCreated",
    "sessionDestroyed",
    "participantJoined",
    "participantLeft",
    "webrtcConnectionCreated",
    "webrtcConnectionDestroyed",
    "recordingStarted",
    "recordingStopped",
    "recordingStatusChanged",
    "filterEventDispatched",
    "signalSent",
    "mediaNodeStatusChanged",
    "autoscaling",
    "nodeCrashed",
    "nodeRecovered",
    "broadcastStarted",
    "broadcastStopped",
    "HANodeRegistered",
    "HANodeDeregistered",
];

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A TCP/UDP port, `1..=65535`.
    Port,
    /// A port to listen on; `0` asks the OS for a free one (used by tests).
    ListenPort,
    /// `-1` (wait forever) or a number of seconds `>= 3`.
    ReconnectionTimeout,
    /// Any text, including empty.
    Text,
    /// Text that must not be empty.
    NonEmpty,
    /// `[a-zA-Z0-9_-]+`, as OpenVidu requires for `OPENVIDU_SECRET`.
    Secret,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// An `http`/`https` URL, or empty when `optional`.
    HttpUrl {
        optional: bool,
    },
    /// An IP address, or empty when `optional`.
    Ip {
        optional: bool,
    },
    /// An IP address or a domain name, or empty.
    Host,
    /// A file-system path (not checked for existence here).
    Path,
    /// A list written as a JSON array; OpenVidu also accepts `[a,b]` without quotes.
    List(Item),
}

#[derive(Debug, Clone, Copy)]
pub enum Item {
    Text,
    /// `ws://` or `wss://` URL of a media node.
    WsUrl,
    /// `Name: value` HTTP header line.
    Header,
    /// One of [`WEBHOOK_EVENTS`].
    WebhookEvent,
    /// `url=...,username=...,credential=...` or `url=...,staticAuthSecret=...`.
    IceServer,
    Ip,
}

impl Kind {
    /// The shape of every value [`Kind::parse`] returns for this kind. A `const
    /// fn` so the catalog can check, when compiling, that each key's type fits.
    pub const fn value_type(&self) -> ValueType {
        match self {
            Kind::Bool => ValueType::Bool,
            Kind::Int { .. } | Kind::Port | Kind::ListenPort | Kind::ReconnectionTimeout => ValueType::Int,
            Kind::Text
            | Kind::NonEmpty
            | Kind::Secret
            | Kind::Choice(_)
            | Kind::HttpUrl { .. }
            | Kind::Ip { .. }
            | Kind::Host
            | Kind::Path => ValueType::Text,
            Kind::List(_) => ValueType::List,
        }
    }

    /// Checks `text` and returns its typed value, or a sentence that says what is allowed.
    pub fn parse(&self, text: &str) -> Result<Value, String> {
        let trimmed = text.trim();
        match *self {
            Kind::Bool => match trimmed.to_ascii_lowercase().as_str() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("'{trimmed}' is not a boolean; allowed: true or false")),
            },
            Kind::Int { min, max } => parse_int(trimmed, min, max),
            Kind::Port => parse_int(trimmed, 1, 65535),
            Kind::ListenPort => parse_int(trimmed, 0, 65535),
            Kind::ReconnectionTimeout => match trimmed.parse::<i64>() {
                Ok(-1) => Ok(Value::Int(-1)),
                Ok(n) if n >= 3 => Ok(Value::Int(n)),
                _ => Err(format!("'{trimmed}' is not allowed; allowed: -1 (no limit) or an integer >= 3 (seconds)")),
            },
            Kind::Text => Ok(Value::Text(text.to_string())),
            Kind::NonEmpty => {
                if trimmed.is_empty() {
                    Err("cannot be empty".to_string())
                } else {
                    Ok(Value::Text(trimmed.to_string()))
                }
            }
            Kind::Secret => {
                if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                    Ok(Value::Text(trimmed.to_string()))
                } else {
                    Err("cannot be empty and may contain only letters, digits, '-' and '_' ([a-zA-Z0-9_-]+)"
                        .to_string())
                }
            }
            Kind::Choice(options) => {
                if options.contains(&trimmed) {
                    Ok(Value::Text(trimmed.to_string()))
                } else {
                    Err(format!("'{trimmed}' is not allowed; allowed: {}", options.join(", ")))
                }
            }
            Kind::HttpUrl { optional } => {
                if trimmed.is_empty() && optional {
                    return Ok(Value::Text(String::new()));
                }
                check_url(trimmed, &["http", "https"])?;
                Ok(Value::Text(trimmed.to_string()))
            }
            Kind::Ip { optional } => {
                if trimmed.is_empty() && optional {
                    return Ok(Value::Text(String::new()));
                }
                check_ip(trimmed)?;
                Ok(Value::Text(trimmed.to_string()))
            }
            Kind::Host => {
                if !trimmed.is_empty() {
                    check_host(trimmed)?;
                }
                Ok(Value::Text(trimmed.to_string()))
            }
            Kind::Path => Ok(Value::Text(trimmed.to_string())),
            Kind::List(item) => {
                let items = parse_list(trimmed)?;
                for (index, entry) in items.iter().enumerate() {
                    item.check(entry).map_err(|why| format!("item {index} ('{entry}') {why}"))?;
                }
                Ok(Value::List(items))
            }
        }
    }

    /// A short description of the allowed values, for the README and errors.
    pub fn describe(&self) -> String {
        match *self {
            Kind::Bool => "true / false".into(),
            Kind::Int { min, max } if max == i64::MAX => format!("integer >= {min}"),
            Kind::Int { min, max } => format!("integer {min}..{max}"),
            Kind::Port => "port 1..65535".into(),
            Kind::ListenPort => "port 0..65535 (0 = any free port)".into(),
            Kind::ReconnectionTimeout => "-1 or seconds >= 3".into(),
            Kind::Text | Kind::Path => "text".into(),
            Kind::NonEmpty => "non-empty text".into(),
            Kind::Secret => "[a-zA-Z0-9_-]+".into(),
            Kind::Choice(options) => options.join(" / "),
            Kind::HttpUrl { .. } => "http(s) URL".into(),
            Kind::Ip { .. } => "IP address".into(),
            Kind::Host => "IP address or domain".into(),
            Kind::List(item) => format!("JSON array of {}", item.describe()),
        }
    }
}

impl Item {
    fn check(&self, entry: &str) -> Result<(), String> {
        match self {
            Item::Text => Ok(()),
            Item::WsUrl => check_url(entry, &["ws", "wss"]),
            Item::Header => super::header_line::parse(entry).map(|_| ()),
            Item::WebhookEvent => {
                if WEBHOOK_EVENTS.contains(&entry) {
                    Ok(())
                } else {
                    Err(format!("is not an event; allowed: {}", WEBHOOK_EVENTS.join(", ")))
                }
            }
            Item::IceServer => IceServerSpec::from_config_line(entry).map(|_| ()),
            Item::Ip => check_ip(entry),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Item::Text => "strings",
            Item::WsUrl => "ws(s) URLs",
            Item::Header => "'Name: value' headers",
            Item::WebhookEvent => "event names",
            Item::IceServer => "'url=...,username=...,credential=...' entries",
            Item::Ip => "IP addresses",
        }
    }
}

fn parse_int(text: &str, min: i64, max: i64) -> Result<Value, String> {
    let allowed =
        if max == i64::MAX { format!("an integer >= {min}") } else { format!("an integer from {min} to {max}") };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Value::Int(n)),
        _ => Err(format!("'{text}' is not allowed; allowed: {allowed}")),
    }
}

/// Parses `["a","b"]`, or the unquoted `[a,b]` form found in OpenVidu's own `.env` files.
pub fn parse_list(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    if !(text.starts_with('[') && text.ends_with(']')) {
        return Err(format!("'{text}' is not a list; write a JSON array such as [\"a\",\"b\"]"));
    }
    if let Ok(items) = serde_json::from_str::<Vec<String>>(text) {
        return Ok(items);
    }
    let inner = &text[1..text.len() - 1];
    if inner.contains('"') || inner.contains('[') || inner.contains('{') {
        return Err(format!("'{text}' is not a valid JSON array of strings"));
    }
    Ok(inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
}

fn check_url(text: &str, schemes: &[&str]) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(u) if schemes.contains(&u.scheme()) && u.host_str().is_some() => Ok(()),
        _ => Err(format!("'{text}' is not a valid URL; allowed: a {} URL", schemes.join("/"))),
    }
}

fn check_ip(text: &str) -> Result<(), String> {
    text.parse::<IpAddr>().map(|_| ()).map_err(|_| format!("'{text}' is not an IP address"))
}

fn check_host(text: &str) -> Result<(), String> {
    if is_ip_or_domain(text) { Ok(()) } else { Err(format!("'{text}' is not an IP address or a domain name")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_case_insensitive_and_strict() {
        assert_eq!(Kind::Bool.parse("TRUE"), Ok(Value::Bool(true)));
        assert!(Kind::Bool.parse("yes").unwrap_err().contains("true or false"));
    }

    #[test]
    fn integers_respect_their_range() {
        let kind = Kind::Int { min: 0, max: i64::MAX };
        assert_eq!(kind.parse("900"), Ok(Value::Int(900)));
        assert!(kind.parse("-1").unwrap_err().contains(">= 0"));
        assert!(Kind::Port.parse("70000").unwrap_err().contains("1 to 65535"));
        assert_eq!(Kind::ListenPort.parse("0"), Ok(Value::Int(0)));
    }

    #[test]
    fn reconnection_timeout_allows_minus_one_or_three_and_more() {
        assert_eq!(Kind::ReconnectionTimeout.parse("-1"), Ok(Value::Int(-1)));
        assert_eq!(Kind::ReconnectionTimeout.parse("3"), Ok(Value::Int(3)));
        assert!(Kind::ReconnectionTimeout.parse("2").is_err());
    }

    #[test]
    fn secret_must_be_alphanumeric() {
        assert!(Kind::Secret.parse("MY_SECRET-1").is_ok());
        assert!(Kind::Secret.parse("my secret").is_err());
        assert!(Kind::Secret.parse("").is_err());
    }

    #[test]
    fn lists_accept_json_and_the_unquoted_openvidu_form() {
        let kind = Kind::List(Item::WebhookEvent);
        assert_eq!(kind.parse("[\"sessionCreated\"]"), Ok(Value::List(vec!["sessionCreated".into()])));
        assert_eq!(
            kind.parse("[sessionCreated, nodeCrashed]"),
            Ok(Value::List(vec!["sessionCreated".into(), "nodeCrashed".into()]))
        );
        assert_eq!(kind.parse(""), Ok(Value::List(vec![])));
        assert!(kind.parse("[bogus]").unwrap_err().contains("item 0 ('bogus')"));
        assert!(kind.parse("sessionCreated").unwrap_err().contains("not a list"));
    }

    #[test]
    fn media_node_uris_must_be_websocket_urls() {
        let kind = Kind::List(Item::WsUrl);
        assert!(kind.parse("[\"ws://10.0.0.1:8888/kurento\"]").is_ok());
        assert!(kind.parse("[\"http://10.0.0.1:8888/kurento\"]").is_err());
    }

    #[test]
    fn headers_need_name_and_value() {
        let kind = Kind::List(Item::Header);
        assert!(kind.parse("[\"Authorization: Basic abc\"]").is_ok());
        assert!(kind.parse("[\"Authorization:Basic\"]").is_err());
    }

    #[test]
    fn hosts_are_ips_or_domains() {
        assert!(Kind::Host.parse("my.openvidu.io").is_ok());
        assert!(Kind::Host.parse("10.0.0.1").is_ok());
        assert!(Kind::Host.parse("bad host").is_err());
    }
}
