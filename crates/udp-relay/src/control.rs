//! The relay's control datagrams: plain ASCII words. None can be mistaken for
//! media: their first byte has the top bits `01`, RTP version 2 has `10`.
//!
//! - `JOIN` from a receiver adds its address to the fan-out; the relay answers `JOINED`.
//! - `LEAVE` removes it; answered `LEFT`.
//! - `PUBLISH` makes the sender's address the publisher; answered `PUBLISHING`.
//!
//! Each request is idempotent, so a client whose answer was lost sends it again.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Join,
    Joined,
    Leave,
    Left,
    Publish,
    Publishing,
}

impl Control {
    const ALL: [Control; 6] =
        [Control::Join, Control::Joined, Control::Leave, Control::Left, Control::Publish, Control::Publishing];

    pub const fn bytes(self) -> &'static [u8] {
        match self {
            Control::Join => b"JOIN",
            Control::Joined => b"JOINED",
            Control::Leave => b"LEAVE",
            Control::Left => b"LEFT",
            Control::Publish => b"PUBLISH",
            Control::Publishing => b"PUBLISHING",
        }
    }

    /// The control message a datagram is exactly, if any.
    pub fn parse(datagram: &[u8]) -> Option<Control> {
        Self::ALL.into_iter().find(|c| c.bytes() == datagram)
    }

    /// The answer the relay gives to a request (`None` for answers themselves).
    pub const fn answer(self) -> Option<Control> {
        match self {
            Control::Join => Some(Control::Joined),
            Control::Leave => Some(Control::Left),
            Control::Publish => Some(Control::Publishing),
            Control::Joined | Control::Left | Control::Publishing => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_nothing_else_matches() {
        for control in Control::ALL {
            assert_eq!(Control::parse(control.bytes()), Some(control));
            assert_eq!(control.bytes()[0] >> 6, 0b01, "never RTP version 2");
        }
        assert_eq!(Control::parse(b"JOIN "), None);
        assert_eq!(Control::parse(b"join"), None);
        assert_eq!(Control::parse(b""), None);
        assert_eq!(Control::Join.answer(), Some(Control::Joined));
        assert_eq!(Control::Joined.answer(), None);
    }
}
