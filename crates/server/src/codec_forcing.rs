//! A session's `forcedVideoCodec` and `allowTranscoding`, applied to the SDP offers
//! the master hands to the media node.
//!
//! OpenVidu 2.32 (`SDPMunging.forceCodec`, called by `KurentoSessionManager` on
//! publish, subscribe and both kinds of `reconnectStream`) keeps in every `m=video`
//! section of an offer only the payload types of the forced codec and the RTX
//! payload types that repair them, so the node's answer can carry nothing else.
//! Without that, a str0m node answers with every codec both sides know and the
//! browser picks one, whatever the session says.
//!
//! Plenum differs from OpenVidu on Kurento in one respect: its node forwards
//! packets and cannot transcode. So a subscriber is forced to the codec its
//! publisher actually sends (the first video codec of the publisher's answer),
//! which is the session's codec unless transcoding let the publisher fall back to
//! another one; and a subscriber that cannot receive that codec is refused (as
//! OpenVidu refuses it without transcoding) instead of getting a video that never
//! plays.
//!
//! Everything here is pure text work on untrusted input: nothing panics, and an
//! offer that cannot be understood is passed on for the node to reject.

use std::fmt;

// The wire names of VP8, VP9 and H264 are their SDP encoding names too.
use crate::openvidu_enums::{VideoCodec, WireEnum};

/// OpenVidu's `FORCED_CODEC_NOT_FOUND_IN_SDPOFFER`: the signaling error code of a refused offer.
pub const FORCED_CODEC_ERROR_CODE: i64 = 800;

/// What a session says about video codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecPolicy {
    /// As stored: `MEDIA_SERVER_PREFERRED` and `NONE` included.
    pub forced: VideoCodec,
    pub allow_transcoding: bool,
}

/// Who made a refused offer; OpenVidu's error message names it.
#[derive(Debug, Clone, Copy)]
pub struct Offerer<'a> {
    pub session: &'a str,
    pub connection: &'a str,
    pub is_publisher: bool,
    pub is_reconnecting: bool,
}

/// Why an offer cannot be forced to a codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForceCodecError {
    /// A video section of the offer does not offer the codec.
    NotInOffer(VideoCodec),
    /// A subscriber does not offer the codec its publisher sends, and the node
    /// cannot transcode although the session allows it.
    CannotTranscode(VideoCodec),
}

impl ForceCodecError {
    pub fn codec(self) -> VideoCodec {
        match self {
            ForceCodecError::NotInOffer(codec) | ForceCodecError::CannotTranscode(codec) => codec,
        }
    }
}

impl fmt::Display for ForceCodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // OpenVidu's own wording, so logs and client errors read the same.
        write!(f, "The specified forced codec {} is not present in the SDP", self.codec())?;
        if let ForceCodecError::CannotTranscode(_) = self {
            f.write_str(" (transcoding is allowed, but this media node cannot transcode)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ForceCodecError {}

/// The codec to force, as OpenVidu resolves it for a Kurento media node (Plenum's
/// node presents itself as Kurento): `MEDIA_SERVER_PREFERRED` is VP8, `NONE` is
/// no forcing at all.
pub fn resolve(codec: VideoCodec) -> Option<VideoCodec> {
    match codec {
        VideoCodec::None => None,
        VideoCodec::MediaServerPreferred => Some(VideoCodec::Vp8),
        other => Some(other),
    }
}

/// Keeps, in every `m=video` section of `offer`, only `codec`'s payload types and
/// their RTX payload types (in the order offered), and drops the `a=rtpmap`,
/// `a=fmtp` and `a=rtcp-fb` lines of the others (other codecs, RED, ULPFEC and
/// their RTX). Other sections and lines are untouched, line endings included.
/// `NONE` leaves the offer as it is; an offer without video is returned unchanged.
pub fn force_codec(offer: &str, codec: VideoCodec) -> Result<String, ForceCodecError> {
    let Some(codec) = resolve(codec) else { return Ok(offer.to_string()) };
    let mut out = String::with_capacity(offer.len());
    for section in sections(offer) {
        if is_video(&section) {
            keep_only(&section, codec, &mut out).ok_or(ForceCodecError::NotInOffer(codec))?;
        } else {
            section.iter().for_each(|line| out.push_str(line));
        }
    }
    Ok(out)
}

/// A publisher's offer (`publishVideo`, or its `reconnectStream`) as the node gets it.
/// When the offer lacks the codec and transcoding is allowed it goes unchanged, as
/// in OpenVidu: the publisher then sends the codec the node prefers, and its
/// subscribers are forced to that one ([`subscriber_offer`]).
pub fn publisher_offer(policy: CodecPolicy, offer: &str) -> Result<String, ForceCodecError> {
    match force_codec(offer, policy.forced) {
        Err(_) if policy.allow_transcoding => Ok(offer.to_string()),
        forced => forced,
    }
}

/// A subscriber's offer (`receiveVideoFrom`, or its `reconnectStream`) as the node
/// gets it. `sending` is the codec the publisher sends ([`first_video_codec`] of its
/// answer); without it, the session's codec is forced.
pub fn subscriber_offer(
    policy: CodecPolicy,
    offer: &str,
    sending: Option<VideoCodec>,
) -> Result<String, ForceCodecError> {
    let Some(forced) = resolve(policy.forced) else { return Ok(offer.to_string()) };
    let codec = sending.unwrap_or(forced);
    force_codec(offer, codec).map_err(|error| match error {
        ForceCodecError::NotInOffer(codec) if policy.allow_transcoding => ForceCodecError::CannotTranscode(codec),
        other => other,
    })
}

/// The first codec of the first video section: in a node's answer to a publisher,
/// the codec the browser sends. `None` without video, or for a codec that cannot
/// be forced (AV1, ...).
pub fn first_video_codec(sdp: &str) -> Option<VideoCodec> {
    let section = sections(sdp).into_iter().find(|s| is_video(s))?;
    let lines: Vec<&str> = section.iter().map(|l| l.trim_end()).collect();
    let formats = formats(lines.first()?)?;
    let first = formats.iter().find_map(|pt| rtpmap(&lines, pt).filter(|(name, _)| !is_repair(name)))?;
    match first.0.to_ascii_uppercase().as_str() {
        "VP8" => Some(VideoCodec::Vp8),
        "VP9" => Some(VideoCodec::Vp9),
        "H264" => Some(VideoCodec::H264),
        _ => None,
    }
}

/// OpenVidu's error message for a refused offer (`SDPMunging.forceCodec`),
/// sent with [`FORCED_CODEC_ERROR_CODE`].
pub fn openvidu_message(error: ForceCodecError, offerer: Offerer<'_>, offer: &str) -> String {
    format!(
        "Error forcing codec: '{}', for PARTICIPANT: '{}' in Session: '{}'. Is publishing: '{}'. \
         Is Subscriber: '{}'. Is Reconnecting: '{}'.\nException: {error}\nSDP:\n{offer}",
        error.codec(),
        offerer.connection,
        offerer.session,
        offerer.is_publisher,
        !offerer.is_publisher,
        offerer.is_reconnecting,
    )
}

/// The offer's lines (with their endings), grouped: the session part, then one
/// group per `m=` section starting with its `m=` line.
fn sections(sdp: &str) -> Vec<Vec<&str>> {
    let mut groups: Vec<Vec<&str>> = vec![Vec::new()];
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("m=") {
            groups.push(Vec::new());
        }
        if let Some(group) = groups.last_mut() {
            group.push(line);
        }
    }
    groups
}

fn is_video(section: &[&str]) -> bool {
    section.first().is_some_and(|line| line.starts_with("m=video"))
}

/// The payload types of an `m=` line (`m=<media> <port> <proto> <fmt>...`).
fn formats(m_line: &str) -> Option<Vec<&str>> {
    let formats: Vec<&str> = m_line.split_whitespace().skip(3).collect();
    (!formats.is_empty()).then_some(formats)
}

/// `(encoding name, clock rate)` of `pt` from its `a=rtpmap` line.
fn rtpmap<'a>(lines: &[&'a str], pt: &str) -> Option<(&'a str, &'a str)> {
    lines.iter().find_map(|line| {
        let (line_pt, value) = attribute(line, "a=rtpmap:")?;
        if line_pt != pt {
            return None;
        }
        let mut parts = value.split('/');
        Some((parts.next()?.trim(), parts.next().unwrap_or("").trim()))
    })
}

/// `(payload type, rest)` of an `a=<name>:<pt> <rest>` line.
fn attribute<'a>(line: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let (pt, rest) = line.strip_prefix(prefix)?.split_once(' ')?;
    Some((pt.trim(), rest.trim()))
}

/// Formats that repair or protect another one rather than carry a codec.
fn is_repair(name: &str) -> bool {
    ["rtx", "red", "ulpfec", "flexfec-03", "flexfec"].iter().any(|repair| name.eq_ignore_ascii_case(repair))
}

/// The payload type an RTX format repairs (`a=fmtp:<pt> apt=<repaired>`).
fn repaired<'a>(lines: &[&'a str], pt: &str) -> Option<&'a str> {
    lines.iter().find_map(|line| {
        let (line_pt, params) = attribute(line, "a=fmtp:")?;
        if line_pt != pt {
            return None;
        }
        params.split(';').find_map(|param| param.trim().strip_prefix("apt=")).map(str::trim)
    })
}

/// Writes the video `section` keeping only `codec` (and its RTX) into `out`;
/// `None` when the section does not offer the codec.
fn keep_only(section: &[&str], codec: VideoCodec, out: &mut String) -> Option<()> {
    let bare: Vec<&str> = section.iter().map(|l| l.trim_end()).collect();
    let m_line = *bare.first()?;
    let formats = formats(m_line)?;
    let is_codec = |pt: &str| {
        rtpmap(&bare, pt).is_some_and(|(name, clock)| name.eq_ignore_ascii_case(codec.as_str()) && clock == "90000")
    };
    let codec_pts: Vec<&str> = formats.iter().copied().filter(|pt| is_codec(pt)).collect();
    if codec_pts.is_empty() {
        return None;
    }
    let is_its_rtx = |pt: &str| {
        rtpmap(&bare, pt).is_some_and(|(name, _)| name.eq_ignore_ascii_case("rtx"))
            && repaired(&bare, pt).is_some_and(|apt| codec_pts.contains(&apt))
    };
    let kept: Vec<&str> = formats.iter().copied().filter(|pt| codec_pts.contains(pt) || is_its_rtx(pt)).collect();
    let dropped: Vec<&str> = formats.iter().copied().filter(|pt| !kept.contains(pt)).collect();

    let head: Vec<&str> = m_line.split_whitespace().take(3).collect();
    out.push_str(&head.join(" "));
    for pt in &kept {
        out.push(' ');
        out.push_str(pt);
    }
    out.push_str(&section[0][m_line.len()..]);
    for (line, bare) in section.iter().zip(&bare).skip(1) {
        let of_dropped = ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"]
            .iter()
            .any(|prefix| attribute(bare, prefix).is_some_and(|(pt, _)| dropped.contains(&pt)));
        if !of_dropped {
            out.push_str(line);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests;
