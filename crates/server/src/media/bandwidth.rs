//! The bandwidth limits (kbps) of endpoints: OpenVidu's `OPENVIDU_STREAMS_VIDEO_*`,
//! overridden per connection by the token's `kurentoOptions`.

use kurento_protocol::media::VideoBandwidth;

use crate::session::KurentoOptions;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bandwidth {
    pub max_recv: i64,
    pub min_recv: i64,
    pub max_send: i64,
    pub min_send: i64,
}

impl Bandwidth {
    /// These limits, with the ones the connection's token names (`kurentoOptions`) instead.
    pub fn with_overrides(mut self, options: Option<&KurentoOptions>) -> Self {
        let Some(options) = options else { return self };
        for (slot, value) in [
            (&mut self.max_recv, options.video_max_recv_bandwidth),
            (&mut self.min_recv, options.video_min_recv_bandwidth),
            (&mut self.max_send, options.video_max_send_bandwidth),
            (&mut self.min_send, options.video_min_send_bandwidth),
        ] {
            if let Some(value) = value {
                *slot = value;
            }
        }
        self
    }

    /// What a publisher's endpoint may receive.
    pub fn publisher(self) -> VideoBandwidth {
        VideoBandwidth { max_kbps: kbps(self.max_recv), min_kbps: kbps(self.min_recv) }
    }

    /// What a subscriber's endpoint is sent.
    pub fn subscriber(self) -> VideoBandwidth {
        VideoBandwidth { max_kbps: kbps(self.max_send), min_kbps: kbps(self.min_send) }
    }
}

/// Validated values are `>= 0`; anything larger than the wire type holds is "unlimited enough".
fn kbps(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_overrides_only_what_it_names() {
        let defaults = Bandwidth { max_recv: 1000, min_recv: 300, max_send: 1000, min_send: 300 };
        let options = KurentoOptions { video_max_recv_bandwidth: Some(500), ..KurentoOptions::default() };
        let chosen = defaults.with_overrides(Some(&options));
        assert_eq!(chosen.publisher(), VideoBandwidth { max_kbps: 500, min_kbps: 300 });
        assert_eq!(chosen.subscriber(), VideoBandwidth { max_kbps: 1000, min_kbps: 300 });
        assert_eq!(defaults.with_overrides(None), defaults);
        let huge = Bandwidth { max_recv: i64::MAX, ..defaults };
        assert_eq!(huge.publisher().max_kbps, u32::MAX);
    }
}
