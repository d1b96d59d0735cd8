//! Every identifier the master makes, in OpenVidu's documented forms; the one
//! place ids are generated.
//!
//! `ses_` / `con_` + one upper-case letter + 9 alphanumerics, `tok_` + one
//! upper-case letter + 15 alphanumerics, stream ids
//! `str_<CAM|SCR|CUS|MIC>_<1 upper + 3 alphanumerics>_<connection id>`, and the
//! ids of websockets (rpc sessions), media nodes and clusters. Tokens are
//! credentials, so every id comes from a cryptographically secure generator
//! (ChaCha12 seeded by the OS); tests seed it to get repeatable ids. Each form
//! has a [`has_form`] check, and the tests check every generator against it.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_ALPHANUMERIC: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const RPC_SESSION_LEN: usize = 26;

pub struct IdGenerator {
    rng: StdRng,
}

impl IdGenerator {
    pub fn from_os() -> Self {
        Self { rng: rand::make_rng() }
    }

    pub fn seeded(seed: u64) -> Self {
        Self { rng: StdRng::seed_from_u64(seed) }
    }

    pub fn session_id(&mut self) -> String {
        self.prefixed("ses_", 9)
    }

    pub fn connection_id(&mut self) -> String {
        self.prefixed("con_", 9)
    }

    pub fn token_id(&mut self) -> String {
        self.prefixed("tok_", 15)
    }

    /// OpenVidu's stream id: the kind of video (`MIC` without video), a short
    /// random part and the publisher's connection id, whose owner it names.
    pub fn stream_id(&mut self, type_of_video: Option<&str>, has_video: bool, connection: &str) -> String {
        let kind = match (has_video, type_of_video) {
            (false, _) => "MIC".to_string(),
            // Only letters go into an id; anything else (from the network) is a camera.
            (true, Some(kind)) => match kind.get(..3).filter(|k| k.bytes().all(|b| b.is_ascii_alphabetic())) {
                Some(prefix) => prefix.to_uppercase(),
                None => "CAM".to_string(),
            },
            _ => "CAM".to_string(),
        };
        let middle = self.prefixed("", 3);
        format!("str_{kind}_{middle}_{connection}")
    }

    /// The id of a websocket's rpc session: 26 lower-case alphanumerics, as kurento-jsonrpc makes them.
    pub fn rpc_session_id(&mut self) -> String {
        (0..RPC_SESSION_LEN).map(|_| self.pick(LOWER_ALPHANUMERIC)).collect()
    }

    /// joinRoom's `finalUserId`: 16 upper-case alphanumerics.
    pub fn final_user_id(&mut self) -> String {
        (0..16).map(|_| self.pick(UPPER_ALPHANUMERIC)).collect()
    }

    /// A media node added by URI alone: `media_` + one upper-case letter + 7 alphanumerics.
    pub fn media_node_id(&mut self) -> String {
        self.prefixed("media_", 7)
    }

    /// A cluster id when `OPENVIDU_PRO_CLUSTER_ID` is empty: `plenum_` + 8 alphanumerics.
    pub fn cluster_id(&mut self) -> String {
        format!("plenum_{}", self.alphanumeric(8))
    }

    /// Random alphanumerics (TURN credentials' user names, for one).
    pub fn alphanumeric(&mut self, len: usize) -> String {
        (0..len).map(|_| self.pick(ALPHANUMERIC)).collect()
    }

    fn prefixed(&mut self, prefix: &str, tail: usize) -> String {
        let mut id = String::with_capacity(prefix.len() + 1 + tail);
        id.push_str(prefix);
        id.push(self.pick(UPPER));
        for _ in 0..tail {
            id.push(self.pick(ALPHANUMERIC));
        }
        id
    }

    fn pick(&mut self, alphabet: &[u8]) -> char {
        alphabet[self.rng.random_range(0..alphabet.len())] as char
    }
}

/// A generator for a one-off id, where no long-lived generator is at hand
/// (a socket's rpc session id, a node added by URI).
pub fn one_off() -> IdGenerator {
    IdGenerator::from_os()
}

/// Whether `text` has the form of an id made by [`IdGenerator`] with `prefix`.
pub fn has_form(text: &str, prefix: &str, tail: usize) -> bool {
    let Some(rest) = text.strip_prefix(prefix) else { return false };
    let bytes = rest.as_bytes();
    bytes.len() == tail + 1 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_documented_forms() {
        let mut ids = IdGenerator::seeded(7);
        assert!(has_form(&ids.session_id(), "ses_", 9));
        assert!(has_form(&ids.connection_id(), "con_", 9));
        assert!(has_form(&ids.token_id(), "tok_", 15));
    }

    #[test]
    fn every_generated_id_has_its_checked_form() {
        let mut ids = IdGenerator::seeded(3);
        for _ in 0..200 {
            let connection = ids.connection_id();
            let stream = ids.stream_id(Some("SCREEN"), true, &connection);
            let middle = stream.strip_prefix("str_SCR_").and_then(|s| s.strip_suffix(&format!("_{connection}")));
            assert!(middle.is_some_and(|m| has_form(m, "", 3)), "{stream}");
            assert!(has_form(&ids.media_node_id(), "media_", 7));
            let rpc = ids.rpc_session_id();
            assert!(rpc.len() == RPC_SESSION_LEN && rpc.bytes().all(|b| LOWER_ALPHANUMERIC.contains(&b)), "{rpc}");
            let user = ids.final_user_id();
            assert!(user.len() == 16 && user.bytes().all(|b| UPPER_ALPHANUMERIC.contains(&b)), "{user}");
            assert!(ids.cluster_id().starts_with("plenum_"));
        }
        assert!(ids.stream_id(None, false, "con_X").starts_with("str_MIC_"));
        assert!(ids.stream_id(None, true, "con_X").starts_with("str_CAM_"));
        for odd in ["ÉCRAN", "ÉÉ", "S", "a_b"] {
            assert!(ids.stream_id(Some(odd), true, "con_X").starts_with("str_CAM_"), "{odd}");
        }
    }

    #[test]
    fn seeded_generators_repeat_and_os_ones_differ() {
        assert_eq!(IdGenerator::seeded(1).token_id(), IdGenerator::seeded(1).token_id());
        assert_ne!(IdGenerator::from_os().token_id(), IdGenerator::from_os().token_id());
    }
}
