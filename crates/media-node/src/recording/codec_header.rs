//! Frame sizes read from VP8 and VP9 keyframes: Matroska wants the video's
//! width and height in the track header, and nothing else in the encoded
//! path knows them.

/// Width and height of a VP8 keyframe (RFC 6386 §9.1), `None` for an interframe or junk.
pub fn vp8_size(frame: &[u8]) -> Option<(u32, u32)> {
    let header = frame.get(..10)?;
    let is_keyframe = header[0] & 1 == 0;
    if !is_keyframe || header[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u32::from(u16::from_le_bytes([header[6], header[7]]) & 0x3fff);
    let height = u32::from(u16::from_le_bytes([header[8], header[9]]) & 0x3fff);
    (width > 0 && height > 0).then_some((width, height))
}

/// Reads bits most significant first.
struct Bits<'a> {
    data: &'a [u8],
    position: usize,
}

impl Bits<'_> {
    fn read(&mut self, count: u32) -> Option<u32> {
        let mut value = 0;
        for _ in 0..count {
            let byte = *self.data.get(self.position / 8)?;
            let bit = (byte >> (7 - self.position % 8)) & 1;
            value = (value << 1) | u32::from(bit);
            self.position += 1;
        }
        Some(value)
    }
}

/// Width and height of a VP9 keyframe (VP9 bitstream spec §6.2, uncompressed header).
pub fn vp9_size(frame: &[u8]) -> Option<(u32, u32)> {
    let mut bits = Bits { data: frame, position: 0 };
    if bits.read(2)? != 2 {
        return None; // frame_marker
    }
    let profile = bits.read(1)? | (bits.read(1)? << 1);
    if profile == 3 {
        bits.read(1)?; // reserved_zero
    }
    if bits.read(1)? == 1 {
        return None; // show_existing_frame
    }
    if bits.read(1)? != 0 {
        return None; // frame_type: not a keyframe
    }
    bits.read(2)?; // show_frame, error_resilient_mode
    if bits.read(24)? != 0x49_83_42 {
        return None; // sync code
    }
    if profile >= 2 {
        bits.read(1)?; // ten_or_twelve_bit
    }
    let color_space = bits.read(3)?;
    if color_space != 7 {
        bits.read(1)?; // color_range
        if profile == 1 || profile == 3 {
            bits.read(3)?; // subsampling_x, subsampling_y, reserved_zero
        }
    } else if profile == 1 || profile == 3 {
        bits.read(1)?; // reserved_zero
    }
    let width = bits.read(16)? + 1;
    let height = bits.read(16)? + 1;
    Some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp8_keyframes_give_their_size() {
        // A keyframe tag (bit 0 clear), the start code, 640 x 360 (little endian, scale bits 0).
        let frame = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0xff];
        assert_eq!(vp8_size(&frame), Some((640, 360)));
        let mut inter = frame;
        inter[0] |= 1;
        assert_eq!(vp8_size(&inter), None);
        assert_eq!(vp8_size(&frame[..5]), None);
    }

    #[test]
    fn vp9_keyframes_give_their_size() {
        // marker 10, profile 0 (00), show_existing 0, frame_type 0, show 1, error_res 0,
        // sync 0x498342, color_space 000, range 0, width-1 = 639, height-1 = 359.
        let mut bits = String::from("10000010");
        bits += "010010011000001101000010";
        bits += "0000";
        bits += &format!("{:016b}{:016b}", 639, 359);
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        assert_eq!(vp9_size(&bytes), Some((640, 360)));
        let mut inter = bytes.clone();
        inter[0] |= 0b0000_0100; // frame_type 1
        assert_eq!(vp9_size(&inter), None);
        assert_eq!(vp9_size(&[0x00]), None);
    }
}
