//! Small edits and reads on SDP text that str0m does not offer.

/// Adds `b=AS:<kbps>` to every video section (after its `c=` line), replacing
/// any there: how a receiver caps what a browser sends it. `0` means no cap.
pub fn with_video_bandwidth(sdp: &str, kbps: u64) -> String {
    let mut out = String::with_capacity(sdp.len() + 64);
    let mut in_video = false;
    for line in sdp.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare.starts_with("m=") {
            in_video = bare.starts_with("m=video");
        }
        if in_video && bare.starts_with("b=AS:") {
            continue;
        }
        out.push_str(line);
        if in_video && kbps > 0 && bare.starts_with("c=") {
            out.push_str(&format!("b=AS:{kbps}\r\n"));
        }
    }
    out
}

/// The `a=mid:` values in m-line order: a candidate event needs `sdpMid` and `sdpMLineIndex`.
pub fn mids(sdp: &str) -> Vec<String> {
    sdp.lines().filter_map(|l| l.trim_end().strip_prefix("a=mid:")).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDP: &str = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
                       m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:30\r\na=mid:1\r\n";

    #[test]
    fn caps_only_video() {
        let capped = with_video_bandwidth(SDP, 500);
        assert_eq!(capped.matches("b=AS:").count(), 1);
        assert!(capped.contains("m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\nb=AS:500\r\na=mid:1"));
        assert!(!with_video_bandwidth(SDP, 0).contains("b=AS"));
    }

    #[test]
    fn lists_mids_in_order() {
        assert_eq!(mids(SDP), vec!["0", "1"]);
    }
}
