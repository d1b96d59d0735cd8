//! OpenVidu's WebRtcEndpoint recipe, written once for the master and the load
//! generator: the calls OpenVidu 2's master makes for a publisher's endpoint
//! and for a subscriber's (reference §8), in its order.

use futures_util::future::{try_join, try_join_all};

use super::endpoint::WebRtcEndpoint;
use super::error::MediaResult;
use super::passthrough::PassThrough;
use super::pipeline::MediaPipeline;
use crate::event::{ICE_CANDIDATE_FOUND, OPENVIDU_ENDPOINT_EVENTS};

/// Which side of a stream an endpoint serves, and the PassThrough it is linked to.
#[derive(Debug, Clone, Copy)]
pub enum Role<'a> {
    /// The browser publishes into the endpoint, which feeds the publisher's PassThrough.
    Publisher { feeds: &'a PassThrough },
    /// The endpoint is fed from the publisher's PassThrough and sends to the browser.
    Subscriber { fed_by: &'a PassThrough },
}

/// Video bandwidth limits of an endpoint, kbps (0 = unlimited), as OpenVidu's
/// `OPENVIDU_STREAMS_VIDEO_*` and a token's `kurentoOptions` give them. They bound
/// what the node receives on a publisher's endpoint and what it sends on a subscriber's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoBandwidth {
    pub max_kbps: u32,
    pub min_kbps: u32,
}

/// The outcome of the recipe: the endpoint and the SDP answer for the browser.
#[derive(Debug, Clone)]
pub struct Negotiated {
    pub endpoint: WebRtcEndpoint,
    pub answer: String,
}

/// The events the recipe subscribes to on every endpoint: `IceCandidateFound`
/// (to relay the node's candidates) and the listeners OpenVidu adds.
pub fn subscribed_events() -> impl Iterator<Item = &'static str> {
    std::iter::once(ICE_CANDIDATE_FOUND).chain(OPENVIDU_ENDPOINT_EVENTS)
}

/// One WebRtcEndpoint to set up for a browser's SDP offer.
///
/// [`EndpointRecipe::run`] makes these calls, in this order:
///
/// 1. `create WebRtcEndpoint {mediaPipeline}`, then `on_created` is called with
///    the endpoint, before anything else is sent for it, so the caller can route
///    the node's events by its id from the first one on;
/// 2. the bandwidth setters, `setMaxVideo…Bandwidth` then `setMinVideo…Bandwidth`
///    (`…Recv…` for a publisher, `…Send…` for a subscriber), then `subscribe` for
///    each of [`subscribed_events`]. They are sent back to back, in that order,
///    and awaited together: one round trip. OpenVidu also fires its setters
///    without waiting for them. It subscribes `IceCandidateFound` on its own,
///    just before the offer for a subscriber and (the reference lists) just after
///    it for a publisher; here it joins the batch before the offer, because a
///    node may find candidates as soon as it has processed the offer;
/// 3. `processOffer {offer}`, which gives the answer;
/// 4. for a publisher, `connect` endpoint → PassThrough, then `gatherCandidates`;
///    for a subscriber, `gatherCandidates`, then `connect` PassThrough → endpoint
///    (OpenVidu's order for subscriptions the browser offers).
///
/// The publisher's PassThrough is the caller's to create (with
/// [`MediaPipeline::create_passthrough`]) and to release: OpenVidu creates it
/// with the publisher's first endpoint, and a republished stream
/// (`reconnectStream`) gets a new endpoint into the same PassThrough, so its
/// subscriptions survive.
///
/// If any call after `create` fails, the endpoint is released (best effort)
/// before the error, which names the failed step, is returned; whatever
/// `on_created` recorded should then be forgotten. If the returned future is
/// dropped midway the endpoint stays on the node until its pipeline is released.
#[derive(Debug, Clone, Copy)]
pub struct EndpointRecipe<'a> {
    pub role: Role<'a>,
    /// The browser's SDP offer.
    pub offer: &'a str,
    pub bandwidth: VideoBandwidth,
}

impl<'a> EndpointRecipe<'a> {
    /// A publisher's endpoint feeding `passthrough`; `bandwidth` bounds what the node receives.
    pub fn publisher(passthrough: &'a PassThrough, offer: &'a str, bandwidth: VideoBandwidth) -> Self {
        Self { role: Role::Publisher { feeds: passthrough }, offer, bandwidth }
    }

    /// A subscriber's endpoint fed from the publisher's `passthrough`; `bandwidth` bounds what the node sends.
    pub fn subscriber(passthrough: &'a PassThrough, offer: &'a str, bandwidth: VideoBandwidth) -> Self {
        Self { role: Role::Subscriber { fed_by: passthrough }, offer, bandwidth }
    }

    /// Runs the recipe in `pipeline` (see the type's documentation for the calls).
    pub async fn run(
        self,
        pipeline: &MediaPipeline,
        on_created: impl FnOnce(&WebRtcEndpoint),
    ) -> MediaResult<Negotiated> {
        let endpoint = pipeline.create_webrtc_endpoint().await?;
        on_created(&endpoint);
        match self.set_up(&endpoint).await {
            Ok(answer) => Ok(Negotiated { endpoint, answer }),
            Err(error) => {
                if let Err(release) = endpoint.release().await {
                    tracing::debug!(endpoint = endpoint.id(), %release, "releasing a failed endpoint failed");
                }
                Err(error)
            }
        }
    }

    /// Steps 2 to 4; returns the answer.
    async fn set_up(&self, endpoint: &WebRtcEndpoint) -> MediaResult<String> {
        let subscriptions = try_join_all(subscribed_events().map(|event| endpoint.subscribe(event)));
        try_join(self.set_bandwidth(endpoint), subscriptions).await?;
        let answer = endpoint.process_offer(self.offer).await?;
        match self.role {
            Role::Publisher { feeds } => {
                endpoint.connect(feeds).await?;
                endpoint.gather_candidates().await?;
            }
            Role::Subscriber { fed_by } => {
                endpoint.gather_candidates().await?;
                fed_by.connect(endpoint).await?;
            }
        }
        Ok(answer)
    }

    /// Both setters of the role, sent at once (max first).
    async fn set_bandwidth(&self, endpoint: &WebRtcEndpoint) -> MediaResult<()> {
        let VideoBandwidth { max_kbps, min_kbps } = self.bandwidth;
        match self.role {
            Role::Publisher { .. } => {
                try_join(
                    endpoint.set_max_video_recv_bandwidth(max_kbps),
                    endpoint.set_min_video_recv_bandwidth(min_kbps),
                )
                .await?;
            }
            Role::Subscriber { .. } => {
                try_join(
                    endpoint.set_max_video_send_bandwidth(max_kbps),
                    endpoint.set_min_video_send_bandwidth(min_kbps),
                )
                .await?;
            }
        }
        Ok(())
    }
}
