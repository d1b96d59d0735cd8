//! Malformed datagrams on a worker's media port are dropped without harm: the
//! node keeps answering and media still flows through it afterwards.

mod common;

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{CHROME_OFFER, Node, media_port};
use plenum_loadtest::engine::Engine;
use plenum_loadtest::{
    Clip, KurentoDriver, MediaServerDriver, PublisherOptions, SubscriberOptions, connect_publisher, connect_subscriber,
};
use serde_json::json;

const DEADLINE: Duration = Duration::from_secs(20);

/// Deterministic junk shaped like each protocol sharing the port: STUN, DTLS, RTP, RTCP, and noise.
fn junk(index: u32) -> Vec<u8> {
    let mut state = index.wrapping_mul(2_654_435_761).wrapping_add(12345);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state & 0xff) as u8
    };
    let length = 1 + (next() as usize * 6) % 1400;
    let mut bytes: Vec<u8> = (0..length).map(|_| next()).collect();
    match index % 6 {
        0 => bytes[0] = 0x00,                                                        // STUN-looking
        1 => bytes.splice(0..bytes.len().min(3), [0x16, 0xfe, 0xfd]).for_each(drop), // DTLS-looking
        2 => bytes[0] = 0x80,                                                        // RTP version 2
        3 if bytes.len() > 1 => bytes[1] = 200,                                      // RTCP sender report type
        4 => bytes.truncate(1),
        _ => {}
    }
    bytes
}

#[tokio::test]
async fn garbage_datagrams_are_dropped_and_media_still_flows() {
    let node = Node::start();
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    let answer = wire.invoke_ok(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    let port = media_port(answer.as_str().unwrap());

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    for index in 0..20_000 {
        let _ = socket.send_to(&junk(index), ("127.0.0.1", port));
    }
    // Still answering, and its objects are intact.
    wire.ok("ping", json!({})).await;
    wire.invoke_ok(&endpoint, "getLocalSessionDescriptor", json!({})).await;

    // Real media through the same worker.
    let driver = Arc::new(KurentoDriver::connect(&node.url).await.expect("connect"));
    let engine = Engine::start("udp-garbage-test").expect("engine");
    let bind = "127.0.0.1".parse().unwrap();
    let room = driver.create_room().await.expect("pipeline");
    let publisher = connect_publisher(
        &*driver,
        &engine.handle(),
        &room,
        &PublisherOptions { bind, clip: Arc::new(Clip::builtin()) },
    )
    .await
    .expect("publisher");
    let subscriber_options = SubscriberOptions { bind, auto_keyframe: true };
    let subscriber = connect_subscriber(&*driver, &engine.handle(), &room, &publisher.peer, &subscriber_options)
        .await
        .expect("subscriber");
    let began = Instant::now();
    // Junk keeps arriving while media flows.
    let mut index = 20_000;
    loop {
        let stats = subscriber.handle.stats();
        if stats.audio.packets > 50 && stats.video.packets > 50 {
            break;
        }
        assert!(began.elapsed() < DEADLINE, "no media through the node after the junk: {stats:?}");
        for _ in 0..200 {
            let _ = socket.send_to(&junk(index), ("127.0.0.1", port));
            index += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wire.ok("ping", json!({})).await;
}
