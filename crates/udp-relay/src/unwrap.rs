//! Extending wrapping counters (16-bit RTP sequence numbers, 32-bit RTP
//! timestamps) to 64 bits, so that loss is a plain difference between the
//! highest and the first number even across wraps.

/// Extends `bits`-bit values, each read as the one closest to the highest seen
/// so far (a packet more than half the range late or early is misread, as in
/// every RTP receiver).
#[derive(Debug, Clone, Copy)]
pub struct Unwrapper {
    bits: u32,
    highest: Option<u64>,
}

impl Unwrapper {
    /// `bits` is 16 for sequence numbers, 32 for timestamps.
    pub const fn new(bits: u32) -> Self {
        Self { bits, highest: None }
    }

    /// The extended value of `value` (which should fit in `bits` bits; higher bits are ignored).
    pub fn extend(&mut self, value: u64) -> u64 {
        let range = 1u64 << self.bits;
        let value = value & (range - 1);
        let Some(highest) = self.highest else {
            // The first value starts in the second cycle, so that a reordered
            // packet from just before it still has a non-negative extension.
            let extended = value + range;
            self.highest = Some(extended);
            return extended;
        };
        let forward = value.wrapping_sub(highest) & (range - 1);
        let extended = if forward < range / 2 {
            highest + forward
        } else {
            // Behind the highest: an old or reordered value.
            highest.saturating_sub(range - forward)
        };
        self.highest = Some(highest.max(extended));
        extended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_grow_across_the_wrap() {
        let mut seq = Unwrapper::new(16);
        let first = seq.extend(65534);
        assert_eq!(seq.extend(65535), first + 1);
        assert_eq!(seq.extend(0), first + 2);
        assert_eq!(seq.extend(3), first + 5, "a gap of two");
        assert_eq!(seq.extend(2), first + 4, "a late packet goes back");
        assert_eq!(seq.extend(4), first + 6, "and the highest is kept");
    }

    #[test]
    fn a_packet_from_before_the_first_does_not_underflow() {
        let mut seq = Unwrapper::new(16);
        let first = seq.extend(0);
        assert_eq!(seq.extend(65535), first - 1);
    }

    #[test]
    fn timestamps_wrap_at_32_bits() {
        let mut ts = Unwrapper::new(32);
        let first = ts.extend(u64::from(u32::MAX - 959));
        assert_eq!(ts.extend(0), first + 960);
        assert_eq!(ts.extend(960), first + 1920);
    }
}
