//! What the load generator needs to know about Opus packets (RFC 6716 §3.1):
//! how long one plays, read from its TOC byte.

/// Samples at 48 kHz in one Opus packet, or `None` for an empty or malformed packet.
pub fn packet_samples(packet: &[u8]) -> Option<u32> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame sizes in units of 2.5 ms (120 samples at 48 kHz).
    let units = match config {
        0..=11 => [4, 8, 16, 24][usize::from(config % 4)],
        12..=15 => [4, 8][usize::from(config % 2)],
        _ => [1, 2, 4, 8][usize::from(config % 4)],
    };
    let frames = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => u32::from(*packet.get(1)? & 0x3f),
    };
    let samples = frames * units * 120;
    (samples > 0 && samples <= 5760).then_some(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_durations_from_the_toc() {
        // CELT-only fullband 20 ms, one frame.
        assert_eq!(packet_samples(&[0xf8, 0xff]), Some(960));
        // SILK 10 ms, two frames.
        assert_eq!(packet_samples(&[0x01]), Some(960));
        // Hybrid 20 ms, code 3 with three frames.
        assert_eq!(packet_samples(&[(13 << 3) | 3, 3]), Some(2880));
        assert_eq!(packet_samples(&[]), None);
        assert_eq!(packet_samples(&[3]), None);
    }
}
