//! The fixed 12-byte RTP header (RFC 3550 §5.1): written around the clip's
//! payloads by the sender, read back by the receivers. No CSRCs, no header
//! extensions, no padding: the relay baseline carries the media and nothing else.

/// Length of the header this module writes.
pub const HEADER_LEN: usize = 12;

/// The header fields the load generator sets and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub payload_type: u8,
    /// Last packet of a video frame.
    pub marker: bool,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

impl Header {
    /// Appends the header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(0x80); // version 2, no padding, no extension, no CSRC
        out.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
    }

    /// The header of an RTP packet and its payload; `None` for anything that is
    /// not version 2 or is too short for what its first byte announces.
    pub fn parse(packet: &[u8]) -> Option<(Header, &[u8])> {
        let fixed: &[u8; HEADER_LEN] = packet.get(..HEADER_LEN)?.try_into().ok()?;
        if fixed[0] >> 6 != 2 {
            return None;
        }
        let csrcs = usize::from(fixed[0] & 0x0f) * 4;
        let mut start = HEADER_LEN + csrcs;
        if fixed[0] & 0x10 != 0 {
            let words = packet.get(start + 2..start + 4)?;
            start += 4 + usize::from(u16::from_be_bytes([words[0], words[1]])) * 4;
        }
        let mut end = packet.len();
        if fixed[0] & 0x20 != 0 {
            end = end.checked_sub(usize::from(*packet.last()?))?;
        }
        let payload = packet.get(start..end)?;
        let header = Header {
            payload_type: fixed[1] & 0x7f,
            marker: fixed[1] & 0x80 != 0,
            seq: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
        };
        Some((header, payload))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back() {
        let header = Header { payload_type: 96, marker: true, seq: 65535, timestamp: 0xdead_beef, ssrc: 7 };
        let mut packet = Vec::new();
        header.write(&mut packet);
        assert_eq!(packet.len(), HEADER_LEN);
        packet.extend_from_slice(b"payload");
        assert_eq!(Header::parse(&packet), Some((header, &b"payload"[..])));
    }

    #[test]
    fn skips_csrcs_extensions_and_padding() {
        // Version 2, padding, extension, 1 CSRC; extension of 1 word; 2 bytes of padding.
        let mut packet = vec![0xb1, 111, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        packet.extend_from_slice(&[9, 9, 9, 9]); // CSRC
        packet.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension
        packet.extend_from_slice(b"opus");
        packet.extend_from_slice(&[0, 2]); // padding
        let (header, payload) = Header::parse(&packet).unwrap();
        assert_eq!((header.payload_type, header.seq, header.timestamp, header.ssrc), (111, 1, 2, 3));
        assert_eq!(payload, b"opus");
    }

    #[test]
    fn refuses_garbage_without_panicking() {
        assert_eq!(Header::parse(b""), None);
        assert_eq!(Header::parse(b"JOIN"), None);
        assert_eq!(Header::parse(&[0x40; 20]), None, "version 1");
        assert_eq!(Header::parse(&[0x8f; 12]), None, "15 CSRCs announced, none there");
        assert_eq!(Header::parse(&[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]), None);
        let mut padded = vec![0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        padded.push(200);
        assert_eq!(Header::parse(&padded), None, "more padding than packet");
        padded.pop();
        padded.push(1);
        assert!(Header::parse(&padded).is_some_and(|(_, p)| p.is_empty()), "the padding byte counts itself");
    }
}
