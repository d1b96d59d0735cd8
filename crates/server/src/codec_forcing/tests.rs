//! On real offers of Chromium 156 (headless, fake devices), captured with
//! `createOffer()` the way openvidu-browser 2.32 makes them: a publisher
//! (sendonly audio + video), a subscriber (recvonly audio + video) and an
//! audio-only publisher. The publisher offers VP8, H.264 in three profiles with
//! both packetization modes, AV1, VP9 in two profiles, RED, ULPFEC, each with RTX.

use super::*;

const PUBLISHER: &str = include_str!("fixtures/chromium-156-publisher.sdp");
const SUBSCRIBER: &str = include_str!("fixtures/chromium-156-subscriber.sdp");
const AUDIO_ONLY: &str = include_str!("fixtures/chromium-156-audio-only.sdp");

const STRICT: CodecPolicy = CodecPolicy { forced: VideoCodec::H264, allow_transcoding: false };
const LENIENT: CodecPolicy = CodecPolicy { forced: VideoCodec::H264, allow_transcoding: true };

/// The lines of each section (session part first), without endings.
fn parts(sdp: &str) -> Vec<Vec<&str>> {
    sections(sdp).into_iter().map(|s| s.into_iter().map(str::trim_end).collect()).collect()
}

fn video(sdp: &str) -> Vec<&str> {
    parts(sdp).into_iter().find(|s| s.first().is_some_and(|l| l.starts_with("m=video"))).expect("a video section")
}

/// The payload types of the video m-line.
fn video_formats(sdp: &str) -> String {
    video(sdp)[0].split(' ').skip(3).collect::<Vec<_>>().join(" ")
}

/// The payload types that `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` lines of the video section name.
fn described_pts(sdp: &str) -> Vec<String> {
    let mut pts: Vec<String> = video(sdp)
        .iter()
        .filter_map(|l| ["a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"].iter().find_map(|p| attribute(l, p)))
        .map(|(pt, _)| pt.to_string())
        .collect();
    pts.dedup();
    pts
}

#[test]
fn h264_keeps_every_h264_profile_and_its_rtx_only() {
    let forced = force_codec(PUBLISHER, VideoCodec::H264).unwrap();
    assert_eq!(video_formats(&forced), "102 103 104 107 108 109 114 115 116 117 39 40");
    assert_eq!(described_pts(&forced), video_formats(&forced).split(' ').collect::<Vec<_>>());
    let section = video(&forced).join("\n");
    for gone in ["VP8", "VP9", "AV1", "red/", "ulpfec", "apt=96", "apt=118"] {
        assert!(!section.contains(gone), "{gone} is still there:\n{section}");
    }
    // Every H.264 line survives, with its fmtp (profile, packetization mode) and feedback.
    for pt in ["102", "104", "108", "114", "116", "39"] {
        assert!(section.contains(&format!("a=rtpmap:{pt} H264/90000")));
        assert_eq!(section.matches(&format!("a=rtcp-fb:{pt} ")).count(), 5, "feedback of {pt}");
    }
    assert!(section.contains("a=fmtp:116 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f"));
}

#[test]
fn only_the_codec_lines_of_the_video_section_go() {
    let forced = force_codec(PUBLISHER, VideoCodec::H264).unwrap();
    let (before, after) = (parts(PUBLISHER), parts(&forced));
    assert_eq!(before.len(), after.len());
    assert_eq!(before[0], after[0], "session part");
    assert_eq!(before[1], after[1], "audio section");
    let kept: Vec<&&str> = before[2].iter().skip(1).filter(|l| after[2].contains(l)).collect();
    assert_eq!(kept.len(), after[2].len() - 1, "no line is added or rewritten but the m-line");
    // Transport, extensions, direction and ssrc lines stay.
    for line in ["a=mid:1", "a=sendonly", "a=rtcp-mux", "a=ssrc-group:FID 2144341772 2253033698"] {
        assert!(after[2].contains(&line), "{line}");
    }
    assert!(forced.split_inclusive('\n').all(|l| l.ends_with("\r\n")), "CRLF endings are kept");
}

#[test]
fn vp8_and_vp9_keep_their_rtx() {
    assert_eq!(video_formats(&force_codec(PUBLISHER, VideoCodec::Vp8).unwrap()), "96 97");
    assert_eq!(video_formats(&force_codec(PUBLISHER, VideoCodec::Vp9).unwrap()), "98 99 100 101");
    // A subscriber receives every VP9 profile.
    assert_eq!(video_formats(&force_codec(SUBSCRIBER, VideoCodec::Vp9).unwrap()), "98 99 100 101 35 36 37 38");
}

#[test]
fn a_subscriber_offer_keeps_every_h264_profile_and_loses_flexfec_and_av1() {
    let forced = force_codec(SUBSCRIBER, VideoCodec::H264).unwrap();
    assert_eq!(video_formats(&forced), "102 103 104 107 108 109 114 115 116 117 39 40 41 42 43 44");
    let section = video(&forced).join("\n");
    assert!(!section.contains("flexfec") && !section.contains("repair-window") && !section.contains("AV1"));
    assert!(section.contains("a=recvonly"));
}

#[test]
fn media_server_preferred_is_vp8_and_none_changes_nothing() {
    assert_eq!(force_codec(PUBLISHER, VideoCodec::MediaServerPreferred), force_codec(PUBLISHER, VideoCodec::Vp8));
    assert_eq!(force_codec(PUBLISHER, VideoCodec::None).unwrap(), PUBLISHER);
    assert_eq!(resolve(VideoCodec::MediaServerPreferred), Some(VideoCodec::Vp8));
    assert_eq!(resolve(VideoCodec::None), None);
    assert_eq!(resolve(VideoCodec::H264), Some(VideoCodec::H264));
}

#[test]
fn offers_without_video_pass_unchanged() {
    for codec in [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::H264] {
        assert_eq!(force_codec(AUDIO_ONLY, codec).unwrap(), AUDIO_ONLY);
    }
    assert_eq!(publisher_offer(STRICT, AUDIO_ONLY).unwrap(), AUDIO_ONLY);
    assert_eq!(first_video_codec(AUDIO_ONLY), None);
}

#[test]
fn forcing_twice_is_forcing_once() {
    let once = force_codec(PUBLISHER, VideoCodec::H264).unwrap();
    assert_eq!(force_codec(&once, VideoCodec::H264).unwrap(), once);
}

#[test]
fn a_missing_codec_is_an_error() {
    let vp8_only = force_codec(PUBLISHER, VideoCodec::Vp8).unwrap();
    assert_eq!(force_codec(&vp8_only, VideoCodec::H264), Err(ForceCodecError::NotInOffer(VideoCodec::H264)));
    assert_eq!(force_codec(&vp8_only, VideoCodec::Vp9), Err(ForceCodecError::NotInOffer(VideoCodec::Vp9)));
}

#[test]
fn every_video_section_must_offer_the_codec() {
    // A camera and a screen share in one offer: both are forced.
    let camera = video(PUBLISHER).join("\r\n") + "\r\n";
    let two = format!("{PUBLISHER}{}", camera.replace("a=mid:1", "a=mid:2"));
    let forced = force_codec(&two, VideoCodec::Vp8).unwrap();
    assert_eq!(forced.matches("m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n").count(), 2);
    let vp8_screen = force_codec(&camera, VideoCodec::Vp8).unwrap();
    let mixed = format!("{PUBLISHER}{vp8_screen}");
    assert_eq!(force_codec(&mixed, VideoCodec::H264), Err(ForceCodecError::NotInOffer(VideoCodec::H264)));
}

#[test]
fn lf_endings_and_lower_case_names_work() {
    let offer = "v=0\nm=video 9 RTP/SAVPF 100 101 102\na=rtpmap:100 h264/90000\na=fmtp:100 packetization-mode=1\n\
                 a=rtpmap:101 RTX/90000\na=fmtp:101 apt=100\na=rtpmap:102 vp8/90000\na=rtcp-fb:102 nack\n\
                 a=rtcp-fb:* ccm fir\n";
    let forced = force_codec(offer, VideoCodec::H264).unwrap();
    assert_eq!(
        forced,
        "v=0\nm=video 9 RTP/SAVPF 100 101\na=rtpmap:100 h264/90000\na=fmtp:100 packetization-mode=1\n\
         a=rtpmap:101 RTX/90000\na=fmtp:101 apt=100\na=rtcp-fb:* ccm fir\n"
    );
}

#[test]
fn rtx_of_another_codec_and_odd_clock_rates_do_not_count() {
    // 97 repairs 98 (dropped), 99 is "VP8" at an audio clock rate: not the codec.
    let offer = "m=video 9 RTP/SAVPF 96 97 98 99\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n\
                 a=fmtp:97 apt=98\r\na=rtpmap:98 VP9/90000\r\na=rtpmap:99 VP8/48000\r\n";
    assert_eq!(video_formats(&force_codec(offer, VideoCodec::Vp8).unwrap()), "96");
}

#[test]
fn malformed_offers_never_panic() {
    let inputs = [
        "",
        "m=video",
        "m=video 9",
        "m=video 9 RTP/SAVPF",
        "m=video 9 RTP/SAVPF 96",
        "m=video 9 RTP/SAVPF 96\r\na=rtpmap:96",
        "m=video 9 RTP/SAVPF 96\r\na=rtpmap:96 \r\na=fmtp:96\r\n",
        "m=video 9 RTP/SAVPF 96\r\na=rtpmap:96 VP8\r\n",
        "m=video 9 RTP/SAVPF 96\na=rtpmap:96 VP8/90000/x/y\na=fmtp:97 apt=\n",
        "m=vidéo 9 ü 96\r\na=rtpmap:96 VP8/90000 \u{1F600}\r\n",
        "\r\n\r\nm=\r\nm=video\r\n",
    ];
    for input in inputs {
        for codec in [VideoCodec::Vp8, VideoCodec::H264] {
            let _ = force_codec(input, codec);
            let _ = subscriber_offer(LENIENT, input, Some(codec));
        }
        let _ = first_video_codec(input);
    }
    assert_eq!(
        force_codec("m=video 9 RTP/SAVPF\r\n", VideoCodec::Vp8),
        Err(ForceCodecError::NotInOffer(VideoCodec::Vp8))
    );
    assert_eq!(force_codec("", VideoCodec::Vp8).unwrap(), "");
    // An m-line without ending at the end of the text keeps having none.
    assert_eq!(
        force_codec("m=video 9 RTP/SAVPF 96 98\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:98 VP9/90000", VideoCodec::Vp9)
            .unwrap(),
        "m=video 9 RTP/SAVPF 98\r\na=rtpmap:98 VP9/90000"
    );
}

#[test]
fn the_first_codec_of_an_answer_is_the_one_sent() {
    let answer = "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n\
                  m=video 9 RTP/SAVPF 121 127 96\r\na=rtpmap:121 rtx/90000\r\na=fmtp:121 apt=127\r\n\
                  a=rtpmap:127 H264/90000\r\na=rtpmap:96 VP8/90000\r\n";
    assert_eq!(first_video_codec(answer), Some(VideoCodec::H264));
    assert_eq!(first_video_codec(PUBLISHER), Some(VideoCodec::Vp8));
    assert_eq!(first_video_codec(&force_codec(PUBLISHER, VideoCodec::Vp9).unwrap()), Some(VideoCodec::Vp9));
    let av1_first = "m=video 9 RTP/SAVPF 45 96\r\na=rtpmap:45 AV1/90000\r\na=rtpmap:96 VP8/90000\r\n";
    assert_eq!(first_video_codec(av1_first), None);
}

#[test]
fn a_publisher_without_the_codec_fails_unless_transcoding_is_allowed() {
    let vp8_only = force_codec(PUBLISHER, VideoCodec::Vp8).unwrap();
    assert_eq!(publisher_offer(STRICT, &vp8_only), Err(ForceCodecError::NotInOffer(VideoCodec::H264)));
    assert_eq!(publisher_offer(LENIENT, &vp8_only).unwrap(), vp8_only, "as OpenVidu: the offer goes unchanged");
    assert_eq!(publisher_offer(STRICT, PUBLISHER).unwrap(), force_codec(PUBLISHER, VideoCodec::H264).unwrap());
    let none = CodecPolicy { forced: VideoCodec::None, allow_transcoding: false };
    assert_eq!(publisher_offer(none, &vp8_only).unwrap(), vp8_only);
}

#[test]
fn a_subscriber_is_forced_to_what_its_publisher_sends() {
    let to_vp8 = force_codec(SUBSCRIBER, VideoCodec::Vp8).unwrap();
    // The session forces H.264, but transcoding let the publisher send VP8.
    assert_eq!(subscriber_offer(LENIENT, SUBSCRIBER, Some(VideoCodec::Vp8)).unwrap(), to_vp8);
    assert_eq!(subscriber_offer(STRICT, SUBSCRIBER, None).unwrap(), force_codec(SUBSCRIBER, VideoCodec::H264).unwrap());
    // A subscriber that cannot receive it is refused either way: nothing could play.
    let h264_only = force_codec(SUBSCRIBER, VideoCodec::H264).unwrap();
    assert_eq!(
        subscriber_offer(STRICT, &h264_only, Some(VideoCodec::Vp8)),
        Err(ForceCodecError::NotInOffer(VideoCodec::Vp8))
    );
    assert_eq!(
        subscriber_offer(LENIENT, &h264_only, Some(VideoCodec::Vp8)),
        Err(ForceCodecError::CannotTranscode(VideoCodec::Vp8))
    );
    // NONE: no forcing anywhere, as in OpenVidu.
    let none = CodecPolicy { forced: VideoCodec::None, allow_transcoding: false };
    assert_eq!(subscriber_offer(none, SUBSCRIBER, Some(VideoCodec::Vp8)).unwrap(), SUBSCRIBER);
}

#[test]
fn the_error_message_is_openvidu_s() {
    let offerer = Offerer { session: "ses_A", connection: "con_B", is_publisher: true, is_reconnecting: false };
    assert_eq!(
        openvidu_message(ForceCodecError::NotInOffer(VideoCodec::H264), offerer, "v=0\r\n"),
        "Error forcing codec: 'H264', for PARTICIPANT: 'con_B' in Session: 'ses_A'. Is publishing: 'true'. \
         Is Subscriber: 'false'. Is Reconnecting: 'false'.\n\
         Exception: The specified forced codec H264 is not present in the SDP\nSDP:\nv=0\r\n"
    );
    let subscriber = Offerer { is_publisher: false, is_reconnecting: true, ..offerer };
    let message = openvidu_message(ForceCodecError::CannotTranscode(VideoCodec::Vp8), subscriber, "");
    assert!(message.starts_with("Error forcing codec: 'VP8', for PARTICIPANT: 'con_B'"), "{message}");
    assert!(message.contains("Is publishing: 'false'. Is Subscriber: 'true'. Is Reconnecting: 'true'."));
    assert!(message.contains("cannot transcode"));
}
