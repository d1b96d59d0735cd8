//! Identifiers in OpenVidu's documented forms.
//!
//! `ses_` / `con_` + one upper-case letter + 9 alphanumerics, and `tok_` + one
//! upper-case letter + 15 alphanumerics. Tokens are credentials, so every id
//! comes from a cryptographically secure generator (ChaCha12 seeded by the OS);
//! tests seed it to get repeatable ids.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

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

/// The suffix of a media node id added by URI alone: one upper-case letter + 7 alphanumerics.
pub fn random_node_suffix() -> String {
    IdGenerator::from_os().prefixed("", 7)
}

/// A one-off random alphanumeric string.
pub fn random_alphanumeric(len: usize) -> String {
    IdGenerator::from_os().alphanumeric(len)
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
    fn seeded_generators_repeat_and_os_ones_differ() {
        assert_eq!(IdGenerator::seeded(1).token_id(), IdGenerator::seeded(1).token_id());
        assert_ne!(IdGenerator::from_os().token_id(), IdGenerator::from_os().token_id());
    }
}
