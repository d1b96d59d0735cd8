//! The 2.13-2.15 token form: tokens made on the legacy paths carry the query
//! parameters openvidu-browser 2.13 reads from them (`role`, `version`, TURN).

use super::extract::Family;
use crate::ice::IceServer;
use crate::openvidu_enums::WireEnum;
use crate::session::Connection;

/// The `version` of a 2.13-era token. openvidu-browser 2.13.0 (and 2.14, 2.15)
/// only logs the value and compares it with its own version as a string: any
/// other value prints "versions do NOT match" as a console error (nothing
/// fails). `2.13.0` is what an OpenVidu 2.13.0 server put there and the only
/// value a 2.13.0 browser takes silently.
pub const LEGACY_TOKEN_VERSION: &str = "2.13.0";

/// The port openvidu-browser 2.13-2.15 assume for `coturnIp` (`stun:`/`turn:<ip>:3478`).
const LEGACY_TURN_PORT: &str = "3478";

/// What a token made through `family` carries after `?sessionId=...&token=...`:
/// nothing on the 2.16+ paths (2.17+ tokens are plain), [`legacy_token_query`] on the
/// 2.13-2.15 ones.
pub fn token_query(family: Family) -> fn(&Connection) -> String {
    if family.is_legacy() { legacy_token_query } else { |_| String::new() }
}

/// `&role=<ROLE>&version=2.13.0[&coturnIp=<host>&turnUsername=<u>&turnCredential=<c>]`,
/// what OpenVidu 2.13 appended to every token (and 2.16.0 again, for 2.15 browsers).
/// openvidu-browser 2.13-2.15 take the connection's role from it (their joinRoom
/// result has none) and build their ICE servers from the TURN fields
/// (`stun:<coturnIp>:3478`, `turn:<coturnIp>:3478[?transport=tcp]`); without them they use
/// public STUN servers. The TURN fields come from the connection's first ICE server
/// those browsers can use as given: see [`legacy_turn`].
pub fn legacy_token_query(connection: &Connection) -> String {
    let mut query = String::new();
    if let Some(role) = connection.props.role {
        query.push_str("&role=");
        query.push_str(role.as_str());
    }
    query.push_str("&version=");
    query.push_str(LEGACY_TOKEN_VERSION);
    if let Some(turn) = legacy_turn(&connection.ice_servers) {
        for (key, value) in
            [("coturnIp", turn.host), ("turnUsername", turn.username), ("turnCredential", turn.credential)]
        {
            query.push('&');
            query.push_str(key);
            query.push('=');
            query.push_str(&value);
        }
    }
    query
}

/// The TURN fields of a legacy token, already written for the query.
#[derive(Debug, PartialEq, Eq)]
pub struct LegacyTurn {
    pub host: String,
    pub username: String,
    pub credential: String,
}

/// The first ICE server that a 2.13-2.15 browser can be told about in its token:
/// a `turn:` URL (not `turns:`) on port 3478 (given or by default; the browser
/// hard-codes it), with a username and credential that survive the browser's
/// parsing (see [`legacy_query_value`]). TURN REST credentials made from a
/// `staticAuthSecret` never do: they are base64 with `=` padding.
pub fn legacy_turn(servers: &[IceServer]) -> Option<LegacyTurn> {
    servers.iter().find_map(|server| {
        let rest = server.url.strip_prefix("turn:")?;
        let host_port = rest.split_once('?').map_or(rest, |(host_port, _)| host_port);
        let (host, port) = match host_port.rsplit_once(':') {
            // `host:port` or `[v6]:port`; a bare `[v6]` splits inside its brackets.
            Some((host, port)) if !port.contains(']') && (!host.contains(':') || host.ends_with(']')) => {
                (host, Some(port))
            }
            _ => (host_port, None),
        };
        if port.is_some_and(|p| p != LEGACY_TURN_PORT) || host.is_empty() {
            return None;
        }
        Some(LegacyTurn {
            host: legacy_query_value(host)?,
            username: legacy_query_value(server.username.as_deref()?)?,
            credential: legacy_query_value(server.credential.as_deref()?)?,
        })
    })
}

/// `value` written so that openvidu-browser 2.13-2.15 read it back unchanged, or
/// `None` when they cannot. They `decodeURI` the whole query and then split it on
/// `&` and on `=` (keeping only what is between the first and the second `=`), so a
/// value can hold no `&`, `=`, `?` (the token is also split on it) or `#`; and
/// `decodeURI` leaves escapes of `;/:@+$,` undecoded, so those stay as they are. Every
/// other byte outside `A-Za-z0-9-_.!~*'()` is percent-encoded (and decoded by the browser).
pub fn legacy_query_value(value: &str) -> Option<String> {
    if value.contains(['&', '=', '?', '#']) {
        return None;
    }
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'();/:@+$,".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json_fields::Fields;
    use crate::session::ConnectionProperties;

    fn turn(url: &str, username: Option<&str>, credential: Option<&str>) -> IceServer {
        IceServer { url: url.into(), username: username.map(Into::into), credential: credential.map(Into::into) }
    }

    fn found(host: &str, username: &str, credential: &str) -> Option<LegacyTurn> {
        Some(LegacyTurn { host: host.into(), username: username.into(), credential: credential.into() })
    }

    #[test]
    fn the_first_usable_turn_server_on_3478_is_taken() {
        let servers = [
            turn("stun:10.0.0.1:3478", None, None),
            turn("turns:10.0.0.2:3478", Some("u"), Some("c")),
            turn("turn:10.0.0.3:443", Some("u"), Some("c")),
            turn("turn:10.0.0.4:3478", Some("1700000000:abc"), Some("padded=")),
            turn("turn:10.0.0.5?transport=tcp", Some("1700000000:abc"), Some("c+/9")),
            turn("turn:10.0.0.6:3478", Some("other"), Some("other")),
        ];
        assert_eq!(legacy_turn(&servers), found("10.0.0.5", "1700000000:abc", "c+/9"));
        assert_eq!(legacy_turn(&servers[..4]), None);
        assert_eq!(legacy_turn(&[turn("turn:[::1]:3478", Some("u"), Some("c"))]), found("%5B::1%5D", "u", "c"));
        assert_eq!(legacy_turn(&[turn("turn:[::1]", Some("u"), Some("c"))]), found("%5B::1%5D", "u", "c"));
        assert_eq!(
            legacy_turn(&[turn("turn:turn.example.com", Some("u"), Some("c"))]),
            found("turn.example.com", "u", "c")
        );
        assert_eq!(legacy_turn(&[turn("turn:10.0.0.1:3478", None, Some("c"))]), None);
    }

    #[test]
    fn values_are_written_for_decode_uri_and_split() {
        assert_eq!(legacy_query_value("1700000000:aB9").as_deref(), Some("1700000000:aB9"));
        assert_eq!(legacy_query_value("a b%c\"é").as_deref(), Some("a%20b%25c%22%C3%A9"));
        assert_eq!(legacy_query_value("+/;@$,").as_deref(), Some("+/;@$,"));
        for impossible in ["base64==", "a&b", "a?b", "a#b"] {
            assert_eq!(legacy_query_value(impossible), None, "{impossible}");
        }
    }

    #[test]
    fn current_family_tokens_get_nothing_appended() {
        use crate::session::ConnectionDefaults;
        let map = serde_json::json!({"role": "MODERATOR"}).as_object().unwrap().clone();
        let props = ConnectionProperties::parse(&Fields::new(&map), &ConnectionDefaults { ice_servers: &[] }).unwrap();
        let connection = Connection {
            id: "con_X".into(),
            session_id: "s".into(),
            created_at: 1,
            token: None,
            props,
            ice_servers: vec![turn("turn:10.0.0.1", Some("u"), Some("c"))],
            participant: None,
        };
        assert_eq!(token_query(Family::Current)(&connection), "");
        assert_eq!(
            token_query(Family::Legacy)(&connection),
            "&role=MODERATOR&version=2.13.0&coturnIp=10.0.0.1&turnUsername=u&turnCredential=c"
        );
    }
}
