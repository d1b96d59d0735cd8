//! kurento-protocol's typed facade and OpenVidu's endpoint recipe against a real
//! media node, started in this process as the master embeds one: the node
//! accepts the recipe's calls in its order, its answers are SDP a WebRTC client
//! accepts, its candidates reach the id the recipe reported at creation, and a
//! failed step leaves no endpoint behind. (Media through the recipe is tested by
//! `media_rust.rs`, whose load-generator clients are driven by it.)

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kurento_protocol::event::ICE_CANDIDATE_FOUND;
use kurento_protocol::media::{
    EndpointRecipe, IceCandidate, MediaPipeline, MediaResult, Negotiated, ServerManager, Step, VideoBandwidth,
    WebRtcEndpoint,
};
use kurento_protocol::{ClientOptions, Event, KurentoClient};
use plenum_media_node::media::MediaConfig;
use plenum_media_node::node::{NodeConfig, RunningNode};
use plenum_media_node::transport::ControlConfig;
use str0m::change::{SdpAnswer, SdpPendingOffer};
use str0m::media::{Direction, MediaKind};
use str0m::{Candidate, Rtc};
use tokio::sync::broadcast;

const DEADLINE: Duration = Duration::from_secs(10);
const BANDWIDTH: VideoBandwidth = VideoBandwidth { max_kbps: 1000, min_kbps: 300 };

async fn start_node() -> RunningNode {
    let config = NodeConfig {
        control: ControlConfig { listen: SocketAddr::from(([127, 0, 0, 1], 0)), ..ControlConfig::default() },
        media: MediaConfig { workers: 1, ..MediaConfig::default() },
    };
    plenum_media_node::node::start(config).await.expect("the node starts")
}

/// A WebRTC client that offered, waiting for the answer.
struct Offering {
    rtc: Rtc,
    pending: SdpPendingOffer,
    sdp: String,
    /// Its host candidate, as trickled.
    candidate: IceCandidate,
}

/// A client's offer with one audio and one video m-line in `direction`.
fn offer(direction: Direction) -> Offering {
    let mut rtc = Rtc::builder().clear_codecs().enable_opus(true, false).enable_vp8(true).build(Instant::now());
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
    let host = Candidate::host(socket.local_addr().unwrap(), "udp").unwrap();
    rtc.add_local_candidate(host.clone());
    let mut api = rtc.sdp_api();
    let audio = api.add_media(MediaKind::Audio, direction, None, None, None);
    api.add_media(MediaKind::Video, direction, None, None, None);
    let (offer, pending) = api.apply().expect("an offer");
    let candidate = IceCandidate { candidate: host.to_sdp_string(), sdp_mid: audio.to_string(), sdp_m_line_index: 0 };
    Offering { rtc, pending, sdp: offer.to_sdp_string(), candidate }
}

impl Offering {
    fn accept(mut self, answer: &str) {
        let answer = SdpAnswer::from_sdp_string(answer).expect("the answer parses");
        self.rtc.sdp_api().accept_answer(self.pending, answer).expect("the client accepts the answer");
    }
}

/// Waits for the node's first candidate for `endpoint`.
async fn candidate_of(events: &mut broadcast::Receiver<Event>, endpoint: &str) -> IceCandidate {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let event = match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Ok(event)) => event,
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(error)) => panic!("the event stream ended: {error}"),
            Err(_) => panic!("no {ICE_CANDIDATE_FOUND} for {endpoint} within {DEADLINE:?}"),
        };
        if event.object == endpoint
            && let Some(candidate) = IceCandidate::from_event(&event)
        {
            return candidate;
        }
    }
}

/// Runs the recipe, recording the id the hook saw.
async fn run(recipe: EndpointRecipe<'_>, pipeline: &MediaPipeline) -> (Option<String>, MediaResult<Negotiated>) {
    let created = Arc::new(Mutex::new(None));
    let hook = created.clone();
    let outcome =
        recipe.run(pipeline, move |endpoint: &WebRtcEndpoint| *hook.lock().unwrap() = Some(endpoint.id().into())).await;
    let created = created.lock().unwrap().clone();
    (created, outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipe_and_the_server_manager_on_a_real_node() {
    let node = start_node().await;
    let options = ClientOptions { reconnect: false, ..ClientOptions::default() };
    let client = KurentoClient::connect(&node.uri(), options).await.expect("the node answers");
    let mut events = client.events();

    let manager = ServerManager::new(&client);
    let info = manager.info().await.expect("getInfo");
    assert_eq!(info.version, "7.3.0");
    let modules: HashSet<&str> = info.modules.iter().map(|m| m.name.as_str()).collect();
    assert!(["core", "elements", "filters"].iter().all(|m| modules.contains(m)), "{modules:?}");
    assert!(info.modules.iter().any(|m| m.factories.iter().any(|f| f == "WebRtcEndpoint")));
    assert!(manager.used_memory_kib().await.expect("getUsedMemory") > 0);
    let cpu = manager.used_cpu(Duration::from_millis(100)).await.expect("getUsedCpu");
    assert!((0.0..=100.0).contains(&cpu), "{cpu}");

    let pipeline = MediaPipeline::create(&client).await.expect("pipeline");
    pipeline.subscribe("Error").await.expect("subscribe Error");
    let passthrough = pipeline.create_passthrough().await.expect("PassThrough");

    let client_offer = offer(Direction::SendOnly);
    let recipe = EndpointRecipe::publisher(&passthrough, &client_offer.sdp, BANDWIDTH);
    let (created, outcome) = run(recipe, &pipeline).await;
    let publisher = outcome.expect("the publisher's recipe");
    assert_eq!(created.as_deref(), Some(publisher.endpoint.id()));
    publisher.endpoint.add_ice_candidate(&client_offer.candidate).await.expect("addIceCandidate");
    client_offer.accept(&publisher.answer);
    let found = candidate_of(&mut events, publisher.endpoint.id()).await;
    assert!(Candidate::from_sdp_string(&found.candidate).is_ok(), "{found:?}");

    let client_offer = offer(Direction::RecvOnly);
    let recipe = EndpointRecipe::subscriber(&passthrough, &client_offer.sdp, BANDWIDTH);
    let (_, outcome) = run(recipe, &pipeline).await;
    let subscriber = outcome.expect("the subscriber's recipe");
    client_offer.accept(&subscriber.answer);
    candidate_of(&mut events, subscriber.endpoint.id()).await;

    let children = pipeline.children().await.expect("getChildren");
    for id in [passthrough.id(), publisher.endpoint.id(), subscriber.endpoint.id()] {
        assert!(children.iter().any(|child| child == id), "{id} not in {children:?}");
    }
    let pipelines = manager.pipelines().await.expect("getPipelines");
    assert!(pipelines.iter().any(|p| p.id() == pipeline.id()));

    // An offer the node cannot read fails at processOffer and leaves no endpoint.
    let (created, outcome) = run(EndpointRecipe::subscriber(&passthrough, "v=0 garbage", BANDWIDTH), &pipeline).await;
    let error = outcome.expect_err("a garbage offer fails");
    assert_eq!(error.step, Step::ProcessOffer, "{error}");
    let created = created.expect("the endpoint was created before the offer");
    let children = pipeline.children().await.expect("getChildren");
    assert!(!children.contains(&created), "the failed endpoint was released: {children:?}");

    pipeline.release().await.expect("release");
    let pipelines = manager.pipelines().await.expect("getPipelines");
    assert!(pipelines.iter().all(|p| p.id() != pipeline.id()));
    client.close();
    node.stop();
}
