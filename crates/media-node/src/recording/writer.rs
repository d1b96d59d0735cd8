//! The GStreamer pipeline that writes one recording file: encoded frames muxed
//! as they came (no transcoding), or a Composite's raw mix encoded. The
//! recorder thread feeds it buffers with their times already on the
//! recording's timeline and asks it to finish (end-of-stream, then the muxer
//! completes the file).

use std::path::Path;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app::AppSrc;

use super::gst_setup::{self, chain, element};
use super::tap::Codec;
use crate::control::links::MediaType;
use crate::control::recording_params::{Container, MediaProfile};

/// What an encoded recording's video track holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoTrack {
    pub codec: Codec,
    /// Known from the first keyframe for VP8/VP9; H.264's parser finds it itself.
    pub size: Option<(u32, u32)>,
}

pub struct Writer {
    pipeline: gst::Pipeline,
    video: Option<AppSrc>,
    audio: Option<AppSrc>,
    /// Buffers taken since the last [`Writer::flush`], per track (audio, video): one
    /// hand-off to a track's streaming thread per batch, not one wake-up per frame.
    pending: [Option<gst::BufferList>; 2],
}

fn muxer(container: Container) -> Result<gst::Element, String> {
    match container {
        Container::Webm => element("webmmux"),
        Container::Mkv => element("matroskamux"),
        Container::Mp4 => {
            // Fragments every second: a stop that never completes, or a crash, leaves a playable file.
            let mux = element("mp4mux")?;
            mux.set_property("fragment-duration", 1000u32);
            Ok(mux)
        }
    }
}

/// The entry of one track. Its queue is bounded and drops its oldest data when full
/// (GStreamer ≥ 1.20 `leaky-type`): a muxer held back (a track that went quiet, an
/// encoder that falls behind) costs frames, never the node's memory.
fn source(caps: &gst::Caps) -> AppSrc {
    let src = AppSrc::builder()
        .caps(caps)
        .format(gst::Format::Time)
        .is_live(false)
        .block(false)
        .max_bytes(32 * 1024 * 1024)
        .build();
    src.set_property_from_str("leaky-type", "downstream");
    src
}

fn file_sink(path: &Path) -> Result<gst::Element, String> {
    let sink = element("filesink")?;
    sink.set_property("location", path.to_string_lossy().to_string());
    sink.set_property("async", false);
    Ok(sink)
}

fn codec_name(codec: Codec) -> &'static str {
    match codec {
        Codec::Vp8 => "VP8",
        Codec::Vp9 => "VP9",
        Codec::H264 => "H.264",
        Codec::Opus => "Opus",
        Codec::Other => "an unsupported codec",
    }
}

impl Writer {
    /// Muxes encoded frames into `path` without decoding them.
    pub fn encoded(
        path: &Path,
        container: Container,
        video: Option<VideoTrack>,
        audio: Option<Codec>,
    ) -> Result<Self, String> {
        let pipeline = gst::Pipeline::new();
        let mux = muxer(container)?;
        let sink = file_sink(path)?;
        chain(&pipeline, &[&mux, &sink])?;
        let refuse = |codec: Codec| format!("a {container:?} file cannot hold {}", codec_name(codec));
        let video_src = match video {
            None => None,
            Some(track) => {
                let caps = match (track.codec, container) {
                    (Codec::H264, _) => gst::Caps::builder("video/x-h264")
                        .field("stream-format", "byte-stream")
                        .field("alignment", "au")
                        .build(),
                    (Codec::Vp8 | Codec::Vp9, Container::Webm | Container::Mkv) => {
                        let name = if track.codec == Codec::Vp8 { "video/x-vp8" } else { "video/x-vp9" };
                        let (width, height) = track.size.unwrap_or((640, 480));
                        gst::Caps::builder(name)
                            .field("width", width as i32)
                            .field("height", height as i32)
                            // WebM's muxer insists on a frame rate; 0/1 is "variable".
                            .field("framerate", gst::Fraction::new(0, 1))
                            .build()
                    }
                    (codec, _) => return Err(refuse(codec)),
                };
                let src = source(&caps);
                if track.codec == Codec::H264 {
                    let parse = element("h264parse")?;
                    chain(&pipeline, &[src.upcast_ref(), &parse])?;
                    parse.link(&mux).map_err(|e| format!("cannot link the video track: {e}"))?;
                } else {
                    pipeline.add(&src).map_err(|e| e.to_string())?;
                    src.link(&mux).map_err(|e| format!("cannot link the video track: {e}"))?;
                }
                Some(src)
            }
        };
        let audio_src = match audio {
            None => None,
            Some(Codec::Opus) => {
                let caps = gst::Caps::builder("audio/x-opus")
                    .field("channel-mapping-family", 0i32)
                    .field("channels", 2i32)
                    .field("rate", 48_000i32)
                    .build();
                let src = source(&caps);
                let parse = element("opusparse")?;
                chain(&pipeline, &[src.upcast_ref(), &parse])?;
                parse.link(&mux).map_err(|_| refuse(Codec::Opus))?;
                Some(src)
            }
            Some(codec) => return Err(refuse(codec)),
        };
        Self::start(pipeline, video_src, audio_src)
    }

    /// Encodes a Composite's raw output into `path`: H.264 + AAC in MP4 (and MKV), VP8 + Opus in WebM.
    pub fn raw(
        path: &Path,
        profile: MediaProfile,
        video: Option<&gst::Caps>,
        audio: Option<&gst::Caps>,
        frame_rate: u32,
    ) -> Result<Self, String> {
        let pipeline = gst::Pipeline::new();
        let mux = muxer(profile.container)?;
        let sink = file_sink(path)?;
        chain(&pipeline, &[&mux, &sink])?;
        let video_src = match video.filter(|_| profile.video) {
            None => None,
            Some(caps) => {
                let src = source(caps);
                let convert = element("videoconvert")?;
                let encoder = match profile.container {
                    Container::Webm => {
                        let vp8 = element("vp8enc")?;
                        vp8.set_property("deadline", 1i64);
                        vp8.set_property("cpu-used", 8i32);
                        vp8.set_property("keyframe-max-dist", (frame_rate * 2) as i32);
                        vp8
                    }
                    Container::Mp4 | Container::Mkv => {
                        let x264 = element("x264enc")?;
                        x264.set_property_from_str("speed-preset", "veryfast");
                        x264.set_property_from_str("tune", "zerolatency");
                        x264.set_property("key-int-max", frame_rate * 2);
                        x264
                    }
                };
                let mut elements = vec![src.upcast_ref::<gst::Element>().clone(), convert, encoder];
                if profile.container != Container::Webm {
                    elements.push(element("h264parse")?);
                }
                let refs: Vec<&gst::Element> = elements.iter().collect();
                chain(&pipeline, &refs)?;
                elements.last().expect("not empty").link(&mux).map_err(|e| format!("cannot link video: {e}"))?;
                Some(src)
            }
        };
        let audio_src = match audio.filter(|_| profile.audio) {
            None => None,
            Some(caps) => {
                let src = source(caps);
                let convert = element("audioconvert")?;
                let resample = element("audioresample")?;
                let encoder = match profile.container {
                    Container::Mp4 => element("avenc_aac")?,
                    Container::Webm | Container::Mkv => element("opusenc")?,
                };
                chain(&pipeline, &[src.upcast_ref(), &convert, &resample, &encoder])?;
                encoder.link(&mux).map_err(|e| format!("cannot link audio: {e}"))?;
                Some(src)
            }
        };
        Self::start(pipeline, video_src, audio_src)
    }

    fn start(pipeline: gst::Pipeline, video: Option<AppSrc>, audio: Option<AppSrc>) -> Result<Self, String> {
        if video.is_none() && audio.is_none() {
            return Err("nothing to record: no track the profile keeps".into());
        }
        pipeline.set_state(gst::State::Playing).map_err(|_| {
            gst_setup::bus_error(&pipeline).unwrap_or_else(|| "the recording pipeline cannot start".into())
        })?;
        Ok(Self { pipeline, video, audio, pending: [None, None] })
    }

    pub fn has(&self, media: MediaType) -> bool {
        match media {
            MediaType::Video => self.video.is_some(),
            MediaType::Audio => self.audio.is_some(),
            MediaType::Data => false,
        }
    }

    /// Queues `buffer` for its track; it reaches the pipeline at the next [`Writer::flush`].
    pub fn push(&mut self, media: MediaType, buffer: gst::Buffer) {
        let slot = match media {
            MediaType::Video if self.video.is_some() => 1,
            MediaType::Audio if self.audio.is_some() => 0,
            _ => return,
        };
        let list = self.pending[slot].get_or_insert_with(gst::BufferList::new);
        list.get_mut().expect("the writer owns its pending list").add(buffer);
    }

    /// Hands every queued buffer to its track, one buffer list per track.
    pub fn flush(&mut self) -> Result<(), String> {
        for (slot, src) in [(0, &self.audio), (1, &self.video)] {
            let (Some(src), Some(list)) = (src, self.pending[slot].take()) else { continue };
            src.push_buffer_list(list).map_err(|flow| {
                gst_setup::bus_error(&self.pipeline)
                    .unwrap_or_else(|| format!("the recording pipeline refused data ({flow:?})"))
            })?;
        }
        Ok(())
    }

    /// An error the pipeline posted since the last look (a full disk, a muxer failure).
    pub fn error(&self) -> Option<String> {
        gst_setup::bus_error(&self.pipeline)
    }

    /// Ends every track and waits for the muxer to complete the file, at most `timeout`.
    pub fn finish(mut self, timeout: Duration) -> Result<(), String> {
        let flushed = self.flush();
        for src in self.video.iter().chain(self.audio.iter()) {
            let _ = src.end_of_stream();
        }
        let outcome = gst_setup::wait_eos(&self.pipeline, timeout);
        let _ = self.pipeline.set_state(gst::State::Null);
        flushed.and(outcome)
    }
}

/// Writes one raw video frame as a JPEG (the recording's thumbnail).
pub fn thumbnail(sample: &gst::Sample, path: &Path) -> Result<(), String> {
    let caps = sample.caps().ok_or("the frame has no caps")?;
    let buffer = sample.buffer_owned().ok_or("the frame has no data")?;
    let pipeline = gst::Pipeline::new();
    let src = source(&caps.to_owned());
    let convert = element("videoconvert")?;
    let jpeg = element("jpegenc")?;
    let sink = file_sink(path)?;
    chain(&pipeline, &[src.upcast_ref(), &convert, &jpeg, &sink])?;
    pipeline.set_state(gst::State::Playing).map_err(|_| "the thumbnail pipeline cannot start".to_string())?;
    let mut buffer = buffer.copy();
    if let Some(buffer) = buffer.get_mut() {
        buffer.set_pts(gst::ClockTime::ZERO);
        buffer.set_dts(gst::ClockTime::NONE);
    }
    let pushed = src.push_buffer(buffer).map_err(|e| format!("thumbnail: {e:?}"));
    let _ = src.end_of_stream();
    let outcome = pushed.and_then(|_| gst_setup::wait_eos(&pipeline, Duration::from_secs(5)));
    let _ = pipeline.set_state(gst::State::Null);
    outcome
}
