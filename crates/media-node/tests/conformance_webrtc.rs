//! Conformance over the wire: WebRtcEndpoint negotiation, ICE events and SDP
//! errors (reference §5.2 SdpEndpoint/WebRtcEndpoint, §5.3, §7 40200–40401),
//! with a Chromium-like offer fixture, plus the project's own KurentoClient
//! driving an OpenVidu-style publisher.

mod common;

use common::{CHROME_OFFER, EVENT_TIMEOUT, Node, SERVER_MANAGER, assert_kurento_error};
use kurento_protocol::{ClientOptions, KurentoClient};
use serde_json::json;

/// The `m=` lines' media kinds, in order.
fn media_lines(sdp: &str) -> Vec<String> {
    sdp.lines()
        .filter_map(|l| l.strip_prefix("m="))
        .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
        .collect()
}

/// What Chromium answers to an audio+video offer from the node: Opus 111 and VP8 96 (+RTX 97) on the
/// offer's mids, DTLS active.
fn browser_answer(offer: &str) -> String {
    let mids: Vec<&str> = offer.lines().filter_map(|l| l.trim_end().strip_prefix("a=mid:")).collect();
    let media = |kind: &str, mid: &str, formats: &str, codecs: &str| {
        format!(
            "m={kind} 9 UDP/TLS/RTP/SAVPF {formats}\r\n\
             c=IN IP4 0.0.0.0\r\n\
             a=rtcp:9 IN IP4 0.0.0.0\r\n\
             a=ice-ufrag:Qx7b\r\n\
             a=ice-pwd:w3Rk8GdCq0xYvT4mZpL2sN9e\r\n\
             a=ice-options:trickle\r\n\
             a=fingerprint:sha-256 3C:4E:91:0A:7B:55:D2:18:6F:E0:B9:21:CC:47:3A:90:8D:12:F6:5B:A4:0E:77:C3:29:5D:E8:61:B0:1F:4A:D7\r\n\
             a=setup:active\r\n\
             a=mid:{mid}\r\n\
             a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
             a=recvonly\r\n\
             a=rtcp-mux\r\n\
             {codecs}"
        )
    };
    let audio =
        media("audio", mids[0], "111", "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
    let video = media(
        "video",
        mids[1],
        "96 97",
        "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 ccm fir\r\n\
         a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n",
    );
    format!(
        "v=0\r\no=- 5519468309174364422 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {} {}\r\n\
         a=msid-semantic: WMS\r\n{audio}{video}",
        mids[0], mids[1]
    )
}

/// The value of the first `a=<name>:` line.
fn attribute<'a>(sdp: &'a str, name: &str) -> Option<&'a str> {
    sdp.lines().find_map(|l| l.trim_end().strip_prefix(&format!("a={name}:")))
}

#[tokio::test]
async fn sdp_and_ice_errors_have_kurento_codes() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;

    // Before any negotiation.
    let error = wire.invoke_err(&endpoint, "getLocalSessionDescriptor", json!({})).await;
    assert_kurento_error(&error, 40202, "SDP_END_POINT_NO_LOCAL_SDP_ERROR");
    let error = wire.invoke_err(&endpoint, "getRemoteSessionDescriptor", json!({})).await;
    assert_kurento_error(&error, 40203, "SDP_END_POINT_NO_REMOTE_SDP_ERROR");
    let error = wire.invoke_err(&endpoint, "processAnswer", json!({"answer": CHROME_OFFER})).await;
    assert_kurento_error(&error, 40209, "SDP_END_POINT_NOT_OFFER_GENERATED");

    // Bad offers → 40201, and the endpoint stays usable.
    for offer in ["this is not an SDP", "", "   \r\n", "v=0\r\nm=audio\r\n", "v=0\r\ns=-\r\n"] {
        let error = wire.invoke_err(&endpoint, "processOffer", json!({"offer": offer})).await;
        assert_kurento_error(&error, 40201, "SDP_PARSE_ERROR");
    }
    // Well-formed but without media: the reference does not name a code; the node says it cannot process the offer.
    let error = wire
        .invoke_err(&endpoint, "processOffer", json!({"offer": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}))
        .await;
    assert_kurento_error(&error, 40205, "SDP_END_POINT_PROCESS_OFFER_ERROR");

    // Garbage candidate → 40401.
    for candidate in ["garbage", "candidate:x y z", "candidate:1 1 udp notanumber 127.0.0.1 9 typ host"] {
        let error = wire
            .invoke_err(
                &endpoint,
                "addIceCandidate",
                json!({"candidate": {"__module__": "kurento", "__type__": "IceCandidate",
                                     "candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0}}),
            )
            .await;
        assert_kurento_error(&error, 40401, "ICE_ADD_CANDIDATE_ERROR");
    }

    // After a failed offer a good one is still accepted.
    let answer = wire.invoke_ok(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    assert!(answer.as_str().is_some_and(|a| a.starts_with("v=0")));
    // Negotiated once: a second offer → 40208.
    let error = wire.invoke_err(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    assert_kurento_error(&error, 40208, "SDP_END_POINT_ALREADY_NEGOTIATED");
}

#[tokio::test]
async fn process_offer_answers_with_candidates_and_gather_candidates_raises_ice_events() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    wire.subscribe(&endpoint, "IceCandidateFound").await;
    wire.subscribe(&endpoint, "IceGatheringDone").await;

    let result = wire
        .ok(
            "invoke",
            json!({"object": endpoint, "operation": "processOffer", "operationParams": {"offer": CHROME_OFFER}}),
        )
        .await;
    assert!(result["sessionId"].is_string());
    let answer = result["value"].as_str().unwrap_or_else(|| panic!("the answer is a string: {result}")).to_string();
    assert!(answer.starts_with("v=0\r\n"), "{answer}");
    assert_eq!(media_lines(&answer), ["audio", "video"], "one answer m-line per offered one:\n{answer}");
    let candidates: Vec<&str> = answer.lines().filter(|l| l.starts_with("a=candidate")).collect();
    assert!(!candidates.is_empty(), "the answer carries host candidates:\n{answer}");
    assert!(candidates.iter().any(|c| c.contains("127.0.0.1")), "a 127.0.0.1 candidate: {candidates:?}");
    assert!(attribute(&answer, "ice-ufrag").is_some() && attribute(&answer, "ice-pwd").is_some(), "{answer}");
    assert!(attribute(&answer, "fingerprint").is_some_and(|f| f.starts_with("sha-256 ")), "{answer}");
    let setup = attribute(&answer, "setup").unwrap_or_default();
    assert!(setup == "active" || setup == "passive", "an answer to actpass picks a role: {setup}");
    assert!(answer.contains("a=group:BUNDLE"), "BUNDLE kept:\n{answer}");
    assert!(answer.contains("opus/48000") && answer.contains("VP8/90000"), "Opus and VP8 accepted:\n{answer}");
    assert!(answer.contains("a=rtcp-mux"), "{answer}");
    let mids: Vec<&str> = answer.lines().filter_map(|l| l.trim_end().strip_prefix("a=mid:")).collect();
    assert_eq!(mids, ["0", "1"], "the offer's mids");

    assert_eq!(wire.invoke_ok(&endpoint, "getLocalSessionDescriptor", json!({})).await, json!(answer));
    assert_eq!(wire.invoke_ok(&endpoint, "getRemoteSessionDescriptor", json!({})).await, json!(CHROME_OFFER));
    assert!(wire.events_until_barrier().await.is_empty(), "no candidates are announced before gatherCandidates");

    // gatherCandidates returns at once; IceCandidateFound per m-line, then IceGatheringDone.
    let gathered = wire.invoke_ok(&endpoint, "gatherCandidates", json!({})).await;
    assert!(gathered.is_null(), "void: {gathered}");
    let mut found = Vec::new();
    loop {
        let frame = wire
            .wait_event("IceCandidateFound or IceGatheringDone", |v| {
                v["object"] == json!(endpoint) && (v["type"] == "IceCandidateFound" || v["type"] == "IceGatheringDone")
            })
            .await;
        let value = frame["params"]["value"].clone();
        if value["type"] == "IceGatheringDone" {
            assert_eq!(value["data"]["source"], json!(endpoint));
            assert_eq!(value["data"]["type"], "IceGatheringDone");
            assert!(value["data"]["timestampMillis"].is_string());
            break;
        }
        found.push(value);
    }
    assert!(!found.is_empty(), "at least one IceCandidateFound before IceGatheringDone");
    for value in &found {
        let data = &value["data"];
        assert_eq!(data["source"], json!(endpoint));
        assert_eq!(data["type"], "IceCandidateFound");
        assert_eq!(data["tags"], json!([]));
        let candidate = &data["candidate"];
        assert_eq!(candidate["__module__"], "kurento", "{candidate}");
        assert_eq!(candidate["__type__"], "IceCandidate", "{candidate}");
        let text = candidate["candidate"].as_str().unwrap_or_else(|| panic!("candidate text: {candidate}"));
        assert!(text.starts_with("candidate:") && text.contains("127.0.0.1"), "{text}");
        let mid = candidate["sdpMid"].as_str().unwrap_or_else(|| panic!("sdpMid is a string: {candidate}"));
        let index = candidate["sdpMLineIndex"].as_u64().unwrap_or_else(|| panic!("sdpMLineIndex: {candidate}"));
        assert_eq!(mids.get(index as usize), Some(&mid), "sdpMid matches the m-line index: {candidate}");
    }
    assert!(
        wire.events_until_barrier().await.iter().all(|e| e["params"]["value"]["type"] != "IceGatheringDone"),
        "IceGatheringDone only once"
    );

    // Trickled browser candidates: with or without the complex-type tags, and mDNS ones are tolerated.
    for candidate in [
        json!({"__module__": "kurento", "__type__": "IceCandidate",
               "candidate": "candidate:842163049 1 udp 1677729535 127.0.0.1 61234 typ host generation 0",
               "sdpMid": "0", "sdpMLineIndex": 0}),
        json!({"candidate": "candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host", "sdpMid": "1", "sdpMLineIndex": 1}),
        json!({"candidate": "candidate:2 1 udp 2122260223 3f1a2b3c-1111-4222-8333-444455556666.local 50001 typ host",
               "sdpMid": "0", "sdpMLineIndex": 0}),
    ] {
        let result = wire.invoke_ok(&endpoint, "addIceCandidate", json!({"candidate": candidate})).await;
        assert!(result.is_null(), "void: {result}");
    }
}

#[tokio::test]
async fn gather_candidates_before_the_offer_announces_after_negotiation() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    wire.subscribe(&endpoint, "IceCandidateFound").await;
    wire.subscribe(&endpoint, "IceGatheringDone").await;
    wire.invoke_ok(&endpoint, "gatherCandidates", json!({})).await;
    let early = wire.events_until_barrier().await;
    assert!(
        early.iter().all(|e| e["params"]["value"]["type"] != "IceGatheringDone"),
        "nothing to gather for before an SDP exists: {early:?}"
    );
    wire.invoke_ok(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    let found = wire.wait_event_of(&endpoint, "IceCandidateFound").await;
    assert!(found["params"]["value"]["data"]["candidate"]["candidate"].as_str().unwrap().contains("127.0.0.1"));
    wire.wait_event_of(&endpoint, "IceGatheringDone").await;
}

#[tokio::test]
async fn generate_offer_then_process_answer() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let offerer = wire.webrtc(&pipeline).await;
    let answerer = wire.webrtc(&pipeline).await;

    let offer = wire
        .invoke_ok(
            &offerer,
            "generateOffer",
            json!({"options": {"__module__": "kurento", "__type__": "OfferOptions",
                               "offerToReceiveAudio": true, "offerToReceiveVideo": true}}),
        )
        .await;
    let offer = offer.as_str().unwrap_or_else(|| panic!("generateOffer returns the SDP: {offer}")).to_string();
    let kinds = media_lines(&offer);
    assert!(kinds.contains(&"audio".to_string()) && kinds.contains(&"video".to_string()), "{offer}");
    assert_eq!(attribute(&offer, "setup"), Some("actpass"), "an offer is actpass:\n{offer}");
    assert_eq!(wire.invoke_ok(&offerer, "getLocalSessionDescriptor", json!({})).await, json!(offer));

    // processAnswer with garbage keeps the pending offer.
    let error = wire.invoke_err(&offerer, "processAnswer", json!({"answer": "not sdp"})).await;
    assert_kurento_error(&error, 40201, "SDP_PARSE_ERROR");

    // A browser's answer to it (both node endpoints are ICE-lite, so they cannot negotiate with each other).
    let mids: Vec<&str> = offer.lines().filter_map(|l| l.trim_end().strip_prefix("a=mid:")).collect();
    assert_eq!(mids.len(), 2, "{offer}");
    let answer = browser_answer(&offer);
    let local = wire.invoke_ok(&offerer, "processAnswer", json!({"answer": answer})).await;
    assert_eq!(local, json!(offer), "processAnswer returns the local SDP");
    assert_eq!(wire.invoke_ok(&offerer, "getRemoteSessionDescriptor", json!({})).await, json!(answer));
    let error = wire.invoke_err(&offerer, "processAnswer", json!({"answer": answer})).await;
    assert_kurento_error(&error, 40210, "SDP_END_POINT_ANSWER_ALREADY_PROCCESED");

    // An ICE-lite node offer answered by another ICE-lite node endpoint is refused, not crashed on.
    let error = wire.invoke_err(&answerer, "processOffer", json!({"offer": offer})).await;
    assert!(error["code"].as_i64().is_some_and(|c| (40200..=40211).contains(&c)), "an SDP error: {error}");

    // generateOffer without options (JS omits operationParams).
    let third = wire.webrtc(&pipeline).await;
    let bare = wire.ok("invoke", json!({"object": third, "operation": "generateOffer"})).await;
    let kinds = media_lines(bare["value"].as_str().unwrap());
    assert!(kinds.contains(&"audio".to_string()) && kinds.contains(&"video".to_string()), "{bare}");
}

/// The direction attribute of each m-line, in order.
fn directions(sdp: &str) -> Vec<String> {
    sdp.split("\r\nm=")
        .skip(1)
        .map(|section| {
            ["sendrecv", "sendonly", "recvonly", "inactive"]
                .into_iter()
                .find(|d| section.lines().any(|l| l.trim_end() == format!("a={d}")))
                .unwrap_or("none")
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn offer_options_and_constructor_directions() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;

    let endpoint = wire.webrtc(&pipeline).await;
    let offer = wire
        .invoke_ok(
            &endpoint,
            "generateOffer",
            json!({"options": {"__module__": "kurento", "__type__": "OfferOptions",
                               "offerToReceiveAudio": false, "offerToReceiveVideo": true}}),
        )
        .await;
    let offer = offer.as_str().unwrap();
    assert_eq!(media_lines(offer), ["audio", "video"]);
    assert_eq!(directions(offer), ["sendonly", "sendrecv"], "offerToReceiveAudio=false:\n{offer}");

    let receiver = wire.create("WebRtcEndpoint", json!({"mediaPipeline": pipeline, "recvonly": true})).await;
    let offer = wire.invoke_ok(&receiver, "generateOffer", json!({})).await;
    assert_eq!(directions(offer.as_str().unwrap()), ["recvonly", "recvonly"], "{offer}");

    let sender = wire.create("WebRtcEndpoint", json!({"mediaPipeline": pipeline, "sendonly": true})).await;
    let offer = wire.invoke_ok(&sender, "generateOffer", json!({})).await;
    assert_eq!(directions(offer.as_str().unwrap()), ["sendonly", "sendonly"], "{offer}");

    // No media has flowed.
    for (operation, media) in [("isMediaFlowingIn", "VIDEO"), ("isMediaFlowingOut", "AUDIO")] {
        assert_eq!(wire.invoke_ok(&endpoint, operation, json!({"mediaType": media})).await, false, "{operation}");
    }
}

#[tokio::test]
async fn max_video_recv_bandwidth_caps_the_answer() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    wire.invoke_ok(&endpoint, "setMaxVideoRecvBandwidth", json!({"maxVideoRecvBandwidth": 500})).await;
    let answer = wire.invoke_ok(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    let answer = answer.as_str().unwrap();
    let video = &answer[answer.find("m=video").expect("a video section")..];
    assert!(video.contains("b=AS:500"), "the video section carries b=AS:500:\n{answer}");
    let audio = &answer[answer.find("m=audio").unwrap()..answer.find("m=video").unwrap()];
    assert!(!audio.contains("b=AS:"), "audio is not capped:\n{answer}");
}

/// The flow the OpenVidu master runs for a publisher, through the project's own client.
#[tokio::test]
async fn kurento_client_drives_an_openvidu_style_publisher() {
    let node = Node::start();
    let options = ClientOptions { reconnect: false, ..ClientOptions::default() };
    let client = KurentoClient::connect(&node.url, options).await.expect("the client connects and pings");
    let mut events = client.events();

    let info = client.invoke(SERVER_MANAGER, "getInfo", json!({})).await.unwrap();
    assert_eq!(info["__type__"], "ServerInfo");
    let session = client.session_id().expect("the client learnt its session from the result");

    let pipeline = client.create("MediaPipeline", json!({})).await.unwrap();
    client.subscribe(&pipeline, "Error").await.unwrap();
    let publisher = client.create("WebRtcEndpoint", json!({"mediaPipeline": pipeline})).await.unwrap();
    for (operation, value) in [
        ("setMaxVideoRecvBandwidth", 1000),
        ("setMinVideoRecvBandwidth", 300),
        ("setMaxVideoSendBandwidth", 1000),
        ("setMinVideoSendBandwidth", 300),
    ] {
        let property = format!("{}{}", operation[3..4].to_lowercase(), &operation[4..]);
        client.invoke(&publisher, operation, json!({ property: value })).await.unwrap();
    }
    for event in [
        "IceGatheringDone",
        "NewCandidatePairSelected",
        "IceComponentStateChanged",
        "DataChannelOpened",
        "DataChannelClosed",
        "ConnectionStateChanged",
        "MediaStateChanged",
        "MediaFlowInStateChanged",
        "MediaFlowOutStateChanged",
        "Error",
        "MediaTranscodingStateChanged",
        "ElementConnected",
    ] {
        client.subscribe(&publisher, event).await.unwrap_or_else(|e| panic!("subscribe {event}: {e}"));
    }
    let answer = client.invoke(&publisher, "processOffer", json!({"offer": CHROME_OFFER})).await.unwrap();
    assert!(answer.as_str().is_some_and(|a| a.contains("a=candidate")), "{answer}");
    client.subscribe(&publisher, "IceCandidateFound").await.unwrap();
    let hub = client.create("PassThrough", json!({"mediaPipeline": pipeline})).await.unwrap();
    client.invoke(&publisher, "connect", json!({"sink": hub})).await.unwrap();
    client.invoke(&publisher, "gatherCandidates", json!({})).await.unwrap();

    let mut seen = Vec::new();
    let waited = tokio::time::timeout(EVENT_TIMEOUT, async {
        loop {
            let event = events.recv().await.expect("the event stream stays open");
            assert!(!event.object.is_empty() && event.data.contains_key("timestampMillis"), "{event:?}");
            seen.push(event.kind.clone());
            if event.kind == "IceGatheringDone" {
                break;
            }
        }
    })
    .await;
    assert!(waited.is_ok(), "IceGatheringDone within {EVENT_TIMEOUT:?}; saw {seen:?}");
    assert!(seen.iter().any(|k| k == "IceCandidateFound"), "{seen:?}");
    assert_eq!(seen.iter().filter(|k| *k == "ElementConnected").count(), 3, "{seen:?}");

    let error = client.invoke(&publisher, "processOffer", json!({"offer": CHROME_OFFER})).await.unwrap_err();
    assert_eq!(error.rpc_code(), Some(40208), "{error}");
    client.release(&pipeline).await.unwrap();
    let error = client.describe(&publisher).await.unwrap_err();
    assert_eq!(error.rpc_code(), Some(40101), "{error}");
    assert_eq!(client.session_id(), Some(session), "one session throughout");
    client.close();
}
