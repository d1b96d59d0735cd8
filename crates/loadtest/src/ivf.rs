//! IVF, the container libvpx and ffmpeg write raw VP8 frames into: a 32-byte file
//! header, then per frame a 12-byte header (size, 64-bit pts) and the frame.

/// One compressed frame and its presentation time in time-base units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfFrame {
    pub pts: u64,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ivf {
    pub fourcc: [u8; 4],
    pub width: u16,
    pub height: u16,
    /// A pts unit lasts `timebase_num / timebase_den` seconds.
    pub timebase_num: u32,
    pub timebase_den: u32,
    pub frames: Vec<IvfFrame>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IvfError {
    #[error("not an IVF file (no DKIF signature)")]
    Signature,
    #[error("the IVF file is cut short at byte {0}")]
    Truncated(usize),
    #[error("the IVF time base {0}/{1} is not usable")]
    TimeBase(u32, u32),
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

pub fn parse(bytes: &[u8]) -> Result<Ivf, IvfError> {
    if bytes.len() < 32 {
        return Err(if bytes.starts_with(b"DKIF") || bytes.is_empty() {
            IvfError::Truncated(bytes.len())
        } else {
            IvfError::Signature
        });
    }
    if &bytes[0..4] != b"DKIF" {
        return Err(IvfError::Signature);
    }
    let header_len = usize::from(u16_at(bytes, 6)).max(32);
    let (timebase_den, timebase_num) = (u32_at(bytes, 16), u32_at(bytes, 20));
    if timebase_den == 0 || timebase_num == 0 {
        return Err(IvfError::TimeBase(timebase_num, timebase_den));
    }
    let mut frames = Vec::new();
    let mut at = header_len;
    while at < bytes.len() {
        if at + 12 > bytes.len() {
            return Err(IvfError::Truncated(at));
        }
        let size = u32_at(bytes, at) as usize;
        let pts = u64::from(u32_at(bytes, at + 4)) | (u64::from(u32_at(bytes, at + 8)) << 32);
        let start = at + 12;
        let end = start.checked_add(size).filter(|&end| end <= bytes.len()).ok_or(IvfError::Truncated(at))?;
        frames.push(IvfFrame { pts, data: bytes[start..end].to_vec() });
        at = end;
    }
    Ok(Ivf {
        fourcc: [bytes[8], bytes[9], bytes[10], bytes[11]],
        width: u16_at(bytes, 12),
        height: u16_at(bytes, 14),
        timebase_num,
        timebase_den,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(frames: &[(u64, &[u8])]) -> Vec<u8> {
        let mut out = b"DKIF".to_vec();
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(b"VP80");
        out.extend_from_slice(&320u16.to_le_bytes());
        out.extend_from_slice(&240u16.to_le_bytes());
        out.extend_from_slice(&30u32.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&(frames.len() as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        for (pts, data) in frames {
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&pts.to_le_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    #[test]
    fn reads_header_and_frames() {
        let ivf = parse(&file(&[(0, &[1, 2, 3]), (1, &[4])])).unwrap();
        assert_eq!(&ivf.fourcc, b"VP80");
        assert_eq!((ivf.width, ivf.height, ivf.timebase_num, ivf.timebase_den), (320, 240, 1, 30));
        assert_eq!(ivf.frames, vec![IvfFrame { pts: 0, data: vec![1, 2, 3] }, IvfFrame { pts: 1, data: vec![4] }]);
    }

    #[test]
    fn refuses_junk_and_cut_files() {
        assert_eq!(parse(b"OggS and more bytes than thirty-two of them"), Err(IvfError::Signature));
        let whole = file(&[(0, &[1, 2, 3])]);
        assert_eq!(parse(&whole[..whole.len() - 1]), Err(IvfError::Truncated(32)));
    }
}
