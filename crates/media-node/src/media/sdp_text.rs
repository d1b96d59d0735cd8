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

/// The transport-wide congestion control extension (draft-holmer-rmcat-transport-wide-cc-extensions).
const TRANSPORT_CC_URI: &str = "transport-wide-cc-extensions";

/// True when every media section only receives (`a=recvonly` or `a=inactive`): a subscriber's offer.
pub fn only_receives(sdp: &str) -> bool {
    let sections: Vec<&str> = sdp.split("m=").skip(1).collect();
    !sections.is_empty()
        && sections.iter().all(|section| section.lines().any(|l| matches!(l.trim_end(), "a=recvonly" | "a=inactive")))
}

/// Removes transport-cc (its `a=extmap` and `a=rtcp-fb … transport-cc` lines). Without
/// it a subscriber sends no per-packet feedback (every ~100 ms, one datagram per
/// subscriber the node must decrypt and account) that the node has no use for: it
/// forwards what the publisher sends and does not estimate bandwidth. Kurento does
/// not negotiate it either.
pub fn without_transport_cc(sdp: &str) -> String {
    sdp.split_inclusive('\n')
        .filter(|line| {
            let bare = line.trim_end();
            let extmap = bare.starts_with("a=extmap:") && bare.contains(TRANSPORT_CC_URI);
            let feedback = bare.starts_with("a=rtcp-fb:") && bare.ends_with(" transport-cc");
            !(extmap || feedback)
        })
        .collect()
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
    fn subscriber_offers_lose_transport_cc() {
        let offer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n\
                     a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
                     a=rtcp-fb:111 transport-cc\r\na=rtcp-fb:111 nack\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=inactive\r\n";
        assert!(only_receives(offer));
        assert!(!only_receives(&offer.replace("a=inactive", "a=sendrecv")));
        assert!(!only_receives("v=0\r\n"));
        let stripped = without_transport_cc(offer);
        assert!(!stripped.contains("transport"), "{stripped}");
        assert!(stripped.contains("a=rtcp-fb:111 nack\r\n"));
        assert_eq!(stripped.lines().count(), offer.lines().count() - 2);
    }

    #[test]
    fn lists_mids_in_order() {
        assert_eq!(mids(SDP), vec!["0", "1"]);
    }
}
