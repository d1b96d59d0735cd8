//! Clip frames to RTP packets, shaped like those plenum-loadtest's str0m
//! publisher sends (minus SRTP and header extensions): one packet per Opus
//! packet; VP8 frames split into payloads of at most [`MAX_PAYLOAD`] bytes, each
//! behind an RFC 7741 payload descriptor with a 15-bit PictureID, the marker on
//! a frame's last packet.

use crate::rtp::Header;

pub const AUDIO_PAYLOAD_TYPE: u8 = 111;
pub const VIDEO_PAYLOAD_TYPE: u8 = 96;
pub const AUDIO_SSRC: u32 = 0x0a0d_1000;
pub const VIDEO_SSRC: u32 = 0x0f1d_e000;

/// Largest RTP payload (descriptor included), as with a ~1200-byte MTU budget.
pub const MAX_PAYLOAD: usize = 1200;

/// X (extension byte follows) and I (PictureID follows) with the 15-bit form (M).
const VP8_DESCRIPTOR_LEN: usize = 4;

/// First sequence number of both streams: close to the 16-bit wrap, so that
/// every run of a few seconds also exercises the receivers' unwrapping.
const FIRST_SEQ: u16 = 65_000;

/// The numbering state of the two streams.
#[derive(Debug, Clone)]
pub struct Packetizer {
    audio_seq: u16,
    video_seq: u16,
    picture_id: u16,
}

impl Default for Packetizer {
    fn default() -> Self {
        Self { audio_seq: FIRST_SEQ, video_seq: FIRST_SEQ, picture_id: 0 }
    }
}

impl Packetizer {
    /// One Opus packet at RTP time `timestamp` (48 kHz); replaces `out`'s content.
    pub fn audio(&mut self, timestamp: u32, payload: &[u8], out: &mut Vec<Vec<u8>>) {
        out.clear();
        let header = Header {
            payload_type: AUDIO_PAYLOAD_TYPE,
            marker: false,
            seq: self.audio_seq,
            timestamp,
            ssrc: AUDIO_SSRC,
        };
        self.audio_seq = self.audio_seq.wrapping_add(1);
        let mut packet = Vec::with_capacity(crate::rtp::HEADER_LEN + payload.len());
        header.write(&mut packet);
        packet.extend_from_slice(payload);
        out.push(packet);
    }

    /// One VP8 frame at RTP time `timestamp` (90 kHz); replaces `out`'s content.
    pub fn video(&mut self, timestamp: u32, frame: &[u8], out: &mut Vec<Vec<u8>>) {
        out.clear();
        let picture_id = self.picture_id;
        self.picture_id = (self.picture_id + 1) & 0x7fff;
        let sizes = split_sizes(frame.len(), MAX_PAYLOAD - VP8_DESCRIPTOR_LEN);
        let count = sizes.len();
        let mut at = 0;
        for (index, size) in sizes.into_iter().enumerate() {
            let header = Header {
                payload_type: VIDEO_PAYLOAD_TYPE,
                marker: index + 1 == count,
                seq: self.video_seq,
                timestamp,
                ssrc: VIDEO_SSRC,
            };
            self.video_seq = self.video_seq.wrapping_add(1);
            let mut packet = Vec::with_capacity(crate::rtp::HEADER_LEN + VP8_DESCRIPTOR_LEN + size);
            header.write(&mut packet);
            let start = if index == 0 { 0x10 } else { 0x00 };
            let [high, low] = picture_id.to_be_bytes();
            packet.extend_from_slice(&[0x80 | start, 0x80, 0x80 | high, low]);
            packet.extend_from_slice(&frame[at..at + size]);
            at += size;
            out.push(packet);
        }
    }
}

/// Sizes of the fewest chunks of at most `max` bytes covering `len` bytes, as
/// equal as possible (the first ones one byte longer), so that no tiny last
/// packet is sent; one empty chunk for an empty frame.
pub fn split_sizes(len: usize, max: usize) -> Vec<usize> {
    let max = max.max(1);
    let count = len.div_ceil(max).max(1);
    let (base, longer) = (len / count, len % count);
    (0..count).map(|i| base + usize::from(i < longer)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_evenly_within_the_limit() {
        assert_eq!(split_sizes(0, 1196), vec![0]);
        assert_eq!(split_sizes(1196, 1196), vec![1196]);
        assert_eq!(split_sizes(1197, 1196), vec![599, 598]);
        assert_eq!(split_sizes(2500, 1000), vec![834, 833, 833]);
        assert_eq!(split_sizes(5, 0), vec![1; 5]);
    }

    #[test]
    fn a_video_frame_becomes_numbered_packets_with_one_marker() {
        let mut packetizer = Packetizer::default();
        let frame: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let mut out = Vec::new();
        packetizer.video(9000, &frame, &mut out);
        assert_eq!(out.len(), 3);
        let mut payload = Vec::new();
        for (i, packet) in out.iter().enumerate() {
            assert!(packet.len() <= crate::rtp::HEADER_LEN + MAX_PAYLOAD);
            let (header, body) = Header::parse(packet).unwrap();
            assert_eq!(header.seq, FIRST_SEQ + i as u16);
            assert_eq!((header.timestamp, header.ssrc, header.payload_type), (9000, VIDEO_SSRC, 96));
            assert_eq!(header.marker, i == 2);
            assert_eq!(body[0] & 0x10 != 0, i == 0, "S bit on the first packet only");
            assert_eq!(&body[1..4], &[0x80, 0x80, 0x00]);
            payload.extend_from_slice(&body[VP8_DESCRIPTOR_LEN..]);
        }
        assert_eq!(payload, frame);
        packetizer.video(12000, &[0], &mut out);
        let (header, body) = Header::parse(&out[0]).unwrap();
        assert_eq!((header.seq, header.marker, body[3]), (FIRST_SEQ + 3, true, 1), "next PictureID");
    }

    #[test]
    fn the_loadtest_sees_keyframes_in_these_payloads() {
        let mut out = Vec::new();
        Packetizer::default().video(0, &[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a], &mut out);
        let (_, body) = Header::parse(&out[0]).unwrap();
        assert!(plenum_loadtest::vp8::payload_starts_keyframe(body));
    }

    #[test]
    fn audio_sequence_numbers_wrap() {
        let mut packetizer = Packetizer::default();
        let mut out = Vec::new();
        let mut seqs = Vec::new();
        for i in 0..600u32 {
            packetizer.audio(i * 960, b"opus", &mut out);
            let (header, payload) = Header::parse(&out[0]).unwrap();
            assert_eq!((header.ssrc, payload), (AUDIO_SSRC, &b"opus"[..]));
            seqs.push(header.seq);
        }
        assert_eq!(seqs[535], u16::MAX);
        assert_eq!(seqs[536], 0);
    }
}
