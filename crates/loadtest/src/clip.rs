//! The media a publisher loops: VP8 frames with their durations and Opus
//! packets with theirs. The built-in clip (fixtures/, made by
//! fixtures/make.sh) is 5 s of 320x240 VP8 at about 500 kbit/s with a keyframe
//! every 2 s, and 48 kHz Opus in 20 ms packets.

use std::path::Path;
use std::sync::Arc;

use crate::{ivf, ogg, opus, vp8};

const BUILTIN_VIDEO: &[u8] = include_bytes!("../fixtures/clip.ivf");
const BUILTIN_AUDIO: &[u8] = include_bytes!("../fixtures/clip.opus");

/// The RTP clock rates of VP8 and Opus.
pub const VIDEO_CLOCK: u32 = 90_000;
pub const AUDIO_CLOCK: u32 = 48_000;

#[derive(Debug, Clone)]
pub struct VideoFrame {
    pub data: Arc<[u8]>,
    pub keyframe: bool,
    /// How long the frame shows, in 90 kHz units.
    pub duration: u32,
}

#[derive(Debug, Clone)]
pub struct AudioPacket {
    pub data: Arc<[u8]>,
    /// How long the packet plays, in 48 kHz samples.
    pub duration: u32,
}

#[derive(Debug, Clone)]
pub struct Clip {
    pub video: Vec<VideoFrame>,
    pub audio: Vec<AudioPacket>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("bad IVF video: {0}")]
    Ivf(#[from] ivf::IvfError),
    #[error("bad Ogg audio: {0}")]
    Ogg(#[from] ogg::OggError),
    #[error("the video is not VP8 (fourcc {0})")]
    NotVp8(String),
    #[error("the audio is not Ogg Opus (no OpusHead packet)")]
    NotOpus,
    #[error("the clip has no {0}")]
    Empty(&'static str),
    #[error("the video has no keyframe")]
    NoKeyframe,
}

impl Clip {
    /// The clip compiled into the binary.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_VIDEO, BUILTIN_AUDIO).expect("the built-in clip is valid")
    }

    /// A clip from an IVF (VP8) file and an Ogg Opus file.
    pub fn load(video: &Path, audio: &Path) -> Result<Self, ClipError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|error| ClipError::Read { path: path.display().to_string(), error })
        };
        Self::parse(&read(video)?, &read(audio)?)
    }

    pub fn parse(ivf_bytes: &[u8], ogg_bytes: &[u8]) -> Result<Self, ClipError> {
        Ok(Self { video: video_frames(ivf_bytes)?, audio: audio_packets(ogg_bytes)? })
    }

    /// Indexes of the keyframes.
    pub fn keyframes(&self) -> impl Iterator<Item = usize> + '_ {
        self.video.iter().enumerate().filter(|(_, f)| f.keyframe).map(|(i, _)| i)
    }

    /// The first keyframe after `index` (wrapping around), `index` itself if there is no other.
    pub fn next_keyframe(&self, index: usize) -> usize {
        let count = self.video.len();
        (1..=count).map(|step| (index + step) % count).find(|&i| self.video[i].keyframe).unwrap_or(index)
    }

    /// Seconds of video, and of audio.
    pub fn durations(&self) -> (f64, f64) {
        let video: u64 = self.video.iter().map(|f| u64::from(f.duration)).sum();
        let audio: u64 = self.audio.iter().map(|p| u64::from(p.duration)).sum();
        (video as f64 / f64::from(VIDEO_CLOCK), audio as f64 / f64::from(AUDIO_CLOCK))
    }
}

fn video_frames(bytes: &[u8]) -> Result<Vec<VideoFrame>, ClipError> {
    let ivf = ivf::parse(bytes)?;
    if &ivf.fourcc != b"VP80" {
        return Err(ClipError::NotVp8(String::from_utf8_lossy(&ivf.fourcc).into_owned()));
    }
    let to_90khz = |pts: u64| pts * u64::from(VIDEO_CLOCK) * u64::from(ivf.timebase_num) / u64::from(ivf.timebase_den);
    let times: Vec<u64> = ivf.frames.iter().map(|f| to_90khz(f.pts)).collect();
    // The last frame lasts as long as the one before it (or 1/30 s alone).
    let fallback = match times.as_slice() {
        [.., a, b] if b > a => b - a,
        _ => u64::from(VIDEO_CLOCK / 30),
    };
    let frames: Vec<VideoFrame> = ivf
        .frames
        .into_iter()
        .enumerate()
        .map(|(i, frame)| {
            let duration = match times.get(i + 1) {
                Some(&next) if next > times[i] => next - times[i],
                _ => fallback,
            };
            VideoFrame {
                keyframe: vp8::is_keyframe(&frame.data),
                data: frame.data.into(),
                duration: u32::try_from(duration).unwrap_or(VIDEO_CLOCK),
            }
        })
        .collect();
    if frames.is_empty() {
        return Err(ClipError::Empty("video frames"));
    }
    if !frames.iter().any(|f| f.keyframe) {
        return Err(ClipError::NoKeyframe);
    }
    Ok(frames)
}

fn audio_packets(bytes: &[u8]) -> Result<Vec<AudioPacket>, ClipError> {
    let mut packets = ogg::packets(bytes)?.into_iter();
    if !packets.next().is_some_and(|head| head.starts_with(b"OpusHead")) {
        return Err(ClipError::NotOpus);
    }
    let audio: Vec<AudioPacket> = packets
        .filter(|p| !p.starts_with(b"OpusTags"))
        .filter_map(|p| opus::packet_samples(&p).map(|duration| AudioPacket { data: p.into(), duration }))
        .collect();
    if audio.is_empty() {
        return Err(ClipError::Empty("audio packets"));
    }
    Ok(audio)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_clip_is_five_seconds_with_a_keyframe_every_two() {
        let clip = Clip::builtin();
        let (video, audio) = clip.durations();
        assert!((video - 5.0).abs() < 0.05, "video lasts {video} s");
        assert!((audio - 5.0).abs() < 0.05, "audio lasts {audio} s");
        assert!(clip.video[0].keyframe);
        assert_eq!(clip.keyframes().collect::<Vec<_>>(), vec![0, 60, 120]);
        assert!(clip.video.iter().all(|f| f.duration == 3000));
        assert!(clip.audio.iter().all(|p| p.duration == 960));
        assert_eq!(clip.next_keyframe(0), 60);
        assert_eq!(clip.next_keyframe(130), 0);
        let bits: usize = clip.video.iter().map(|f| f.data.len() * 8).sum();
        let kbps = bits as f64 / video / 1000.0;
        assert!((300.0..700.0).contains(&kbps), "video at {kbps} kbit/s");
    }

    #[test]
    fn refuses_other_media() {
        assert!(matches!(Clip::parse(BUILTIN_AUDIO, BUILTIN_AUDIO), Err(ClipError::Ivf(_))));
        assert!(matches!(Clip::parse(BUILTIN_VIDEO, BUILTIN_VIDEO), Err(ClipError::Ogg(_))));
    }
}
