//! ICE servers (STUN/TURN) handed to browsers through a connection.
//!
//! They come from two places with one set of rules: the `customIceServers`
//! array of a REST connection, and the `OPENVIDU_WEBRTC_ICE_SERVERS` property
//! (`url=...,username=...,credential=...` strings). A TURN entry may carry a
//! `staticAuthSecret` instead of credentials; then each connection gets
//! time-limited credentials made with the TURN REST API scheme
//! (username `<expiry>:<random>`, credential `base64(HMAC-SHA1(secret, username))`),
//! which is what coturn's `use-auth-secret` mode checks.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;

/// How long generated TURN credentials stay valid.
const TURN_CREDENTIAL_LIFETIME_SECS: u64 = 24 * 3600;

/// An ICE server as configured: TURN credentials may still have to be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceServerSpec {
    pub url: String,
    pub username: Option<String>,
    pub credential: Option<String>,
    pub static_auth_secret: Option<String>,
}

/// An ICE server as sent to a client: `{url, username?, credential?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IceServer {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl IceServerSpec {
    /// Builds and checks an entry; the error says what is wrong with it.
    pub fn new(
        url: String,
        username: Option<String>,
        credential: Option<String>,
        static_auth_secret: Option<String>,
    ) -> Result<Self, String> {
        check_stun_turn_url(&url)?;
        let is_turn = url.starts_with("turn");
        if is_turn {
            if static_auth_secret.is_some() && (username.is_some() || credential.is_some()) {
                return Err(format!("'{url}': username or credential cannot be given together with staticAuthSecret"));
            }
            if static_auth_secret.is_none() && (username.is_none() || credential.is_none()) {
                return Err(format!("'{url}': a TURN server needs username and credential (or staticAuthSecret)"));
            }
        } else if username.is_some() || credential.is_some() {
            return Err(format!("'{url}': a STUN server cannot have username or credential"));
        }
        Ok(Self { url, username, credential, static_auth_secret })
    }

    /// Parses one `OPENVIDU_WEBRTC_ICE_SERVERS` entry: `url=...,username=...,credential=...`.
    pub fn from_config_line(line: &str) -> Result<Self, String> {
        let (mut url, mut username, mut credential, mut secret) = (None, None, None, None);
        for part in line.split(',') {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("has no '=' in '{part}'"))?;
            let slot = match key.trim() {
                "url" => &mut url,
                "username" => &mut username,
                "credential" => &mut credential,
                "staticAuthSecret" => &mut secret,
                other => {
                    return Err(format!(
                        "has unknown field '{other}'; allowed: url, username, credential, staticAuthSecret"
                    ));
                }
            };
            *slot = Some(value.trim().to_string());
        }
        let url = url.ok_or("has no 'url=' field")?;
        Self::new(url, username, credential, secret)
    }

    /// The entry as sent to a client, generating TURN credentials when a secret is configured.
    pub fn resolve(&self, now_ms: u64, random_suffix: &str) -> IceServer {
        match &self.static_auth_secret {
            Some(secret) => {
                let expiry = now_ms / 1000 + TURN_CREDENTIAL_LIFETIME_SECS;
                let username = format!("{expiry}:{random_suffix}");
                IceServer {
                    url: self.url.clone(),
                    credential: Some(turn_credential(secret, &username)),
                    username: Some(username),
                }
            }
            None => IceServer {
                url: self.url.clone(),
                username: self.username.clone(),
                credential: self.credential.clone(),
            },
        }
    }
}

/// `base64(HMAC-SHA1(secret, username))`, the TURN REST API credential.
pub fn turn_credential(secret: &str, username: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `stun:`, `stuns:`, `turn:` and `turns:` URLs: a host, an optional port,
/// and for TURN only an optional `?transport=udp|tcp`.
fn check_stun_turn_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url.split_once(':').ok_or_else(|| format!("'{url}' is not a STUN/TURN URL (no ':')"))?;
    let is_turn = match scheme {
        "turn" | "turns" => true,
        "stun" | "stuns" => false,
        other => return Err(format!("'{url}' has protocol '{other}'; allowed: stun, stuns, turn, turns")),
    };
    let host_port = match rest.split_once('?') {
        Some((host_port, query)) => {
            if !is_turn {
                return Err(format!("'{url}': a STUN URL cannot have a '?' query"));
            }
            if query != "transport=udp" && query != "transport=tcp" {
                return Err(format!("'{url}': the only query allowed is ?transport=udp or ?transport=tcp"));
            }
            host_port
        }
        None => rest,
    };
    let (host, port) = split_host_port(host_port).ok_or_else(|| format!("'{url}' has a malformed host or port"))?;
    if host.is_empty() {
        return Err(format!("'{url}' has an empty host"));
    }
    if !crate::hostname::is_ip_or_domain(host) {
        return Err(format!("'{url}': '{host}' is not an IP address or a domain name"));
    }
    if let Some(port) = port {
        match port.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => {}
            _ => return Err(format!("'{url}': '{port}' is not a port number (1-65535)")),
        }
    }
    Ok(())
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(text: &str) -> Option<(&str, Option<&str>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after {
            "" => Some((host, None)),
            _ => Some((host, Some(after.strip_prefix(':')?))),
        };
    }
    match text.split_once(':') {
        Some((host, port)) if !port.contains(':') => Some((host, Some(port))),
        Some(_) => None,
        None => Some((text, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, user: Option<&str>, cred: Option<&str>) -> Result<IceServerSpec, String> {
        IceServerSpec::new(url.into(), user.map(Into::into), cred.map(Into::into), None)
    }

    #[test]
    fn accepts_the_documented_forms() {
        assert!(spec("stun:stun.l.google.com:19302", None, None).is_ok());
        assert!(spec("turn:10.0.0.1:3478?transport=tcp", Some("u"), Some("c")).is_ok());
        assert!(spec("turns:[::1]:5349", Some("u"), Some("c")).is_ok());
        assert!(spec("stun:10.0.0.1", None, None).is_ok());
    }

    #[test]
    fn rejects_bad_urls_and_missing_credentials() {
        assert!(spec("bad-ice-server", None, None).unwrap_err().contains("no ':'"));
        assert!(spec("http:10.0.0.1", None, None).unwrap_err().contains("protocol 'http'"));
        assert!(spec("turn:10.0.0.1:3478", None, None).unwrap_err().contains("needs username"));
        assert!(spec("stun:10.0.0.1", Some("u"), Some("c")).unwrap_err().contains("cannot have username"));
        assert!(spec("stun:10.0.0.1?transport=tcp", None, None).is_err());
        assert!(spec("turn:10.0.0.1:99999", Some("u"), Some("c")).unwrap_err().contains("port"));
    }

    #[test]
    fn config_lines_parse_into_specs() {
        let s = IceServerSpec::from_config_line("url=turn:1.2.3.4:3478,username=u,credential=c").unwrap();
        assert_eq!(s.username.as_deref(), Some("u"));
        assert!(IceServerSpec::from_config_line("url=turn:1.2.3.4,user=u").unwrap_err().contains("unknown field"));
    }

    #[test]
    fn static_auth_secret_generates_turn_rest_credentials() {
        let s = IceServerSpec::new("turn:1.2.3.4".into(), None, None, Some("secret".into())).unwrap();
        let resolved = s.resolve(1_000_000, "abcdefgh");
        assert_eq!(resolved.username.as_deref(), Some("87400:abcdefgh"));
        assert_eq!(resolved.credential, Some(turn_credential("secret", "87400:abcdefgh")));
        // RFC 2202 test case 2 pins the HMAC-SHA1 implementation.
        assert_eq!(turn_credential("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
    }
}
