//! VP8 facts needed to recognise keyframes, in a raw frame (RFC 6386 §9.1) and
//! in an RTP payload (the payload descriptor of RFC 7741 §4.2, then the frame).

/// Whether a raw VP8 frame is a keyframe: bit 0 of its first byte is 0.
pub fn is_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 0x01 == 0)
}

/// Whether an RTP payload is the first packet of a VP8 keyframe
/// (start of partition 0 whose frame header says keyframe).
pub fn payload_starts_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else { return false };
    let (extended, start, partition) = (first & 0x80 != 0, first & 0x10 != 0, first & 0x07);
    if !start || partition != 0 {
        return false;
    }
    let mut at = 1;
    if extended {
        let Some(&flags) = payload.get(at) else { return false };
        at += 1;
        if flags & 0x80 != 0 {
            // PictureID: 7 bits, or 15 when its first bit (M) is set.
            let Some(&picture) = payload.get(at) else { return false };
            at += if picture & 0x80 != 0 { 2 } else { 1 };
        }
        if flags & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if flags & 0x30 != 0 {
            at += 1; // TID / KEYIDX
        }
    }
    payload.get(at..).is_some_and(is_keyframe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_frames() {
        assert!(is_keyframe(&[0x10, 0x02, 0x00]));
        assert!(!is_keyframe(&[0x11]));
        assert!(!is_keyframe(&[]));
    }

    #[test]
    fn rtp_payloads() {
        // Minimal descriptor, start of partition 0, keyframe.
        assert!(payload_starts_keyframe(&[0x10, 0x50]));
        // Interframe.
        assert!(!payload_starts_keyframe(&[0x10, 0x51]));
        // Not the start of the frame.
        assert!(!payload_starts_keyframe(&[0x00, 0x50]));
        // Extended with a 15-bit picture id, TL0PICIDX and KEYIDX.
        assert!(payload_starts_keyframe(&[0x90, 0xf0, 0x80, 0x01, 0x05, 0x20, 0x50]));
        assert!(!payload_starts_keyframe(&[0x90, 0xf0, 0x80, 0x01, 0x05, 0x20, 0x51]));
        // Cut short.
        assert!(!payload_starts_keyframe(&[0x90, 0x80]));
    }
}
