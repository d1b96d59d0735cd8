//! Media through the real `plenum-media-node` binary, driven by the load
//! generator's str0m clients over the Kurento protocol as OpenVidu drives it:
//! one publisher → PassThrough → subscribers.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kurento_protocol::Event;
use plenum_loadtest::engine::Engine;
use plenum_loadtest::{
    Client, Clip, KurentoDriver, MediaServerDriver, PeerStats, PublisherOptions, SubscriberOptions, connect_publisher,
    connect_subscriber,
};
use tokio::sync::broadcast;

mod common;
use common::{subscribers_with_media, wait_for};

/// Generous: the CI machine has two noisy cores.
const DEADLINE: Duration = Duration::from_secs(20);
/// How soon a subscriber that joins while media flows must get its first keyframe
/// (the clip has a keyframe every 2 s; a keyframe requested on connection comes in well under that).
const LATE_KEYFRAME_BOUND: Duration = Duration::from_secs(1);

struct Node {
    child: Child,
    url: String,
}

impl Node {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plenum-media-node"))
            .args(["--listen", "127.0.0.1:0", "--workers", "1", "--rtc-address", "127.0.0.1"])
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start plenum-media-node");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = match receiver.recv_timeout(DEADLINE) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("the media node did not say where it listens");
            }
        };
        let url = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
        assert!(url.starts_with("ws://127.0.0.1:") && url.ends_with("/kurento"), "unexpected first line {line:?}");
        Self { child, url }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn has_audio_and_video(stats: &PeerStats) -> bool {
    stats.audio.packets > 0 && stats.video.packets > 0
}

/// Collects the node's events until one matches, failing at the deadline.
async fn wait_event(
    events: &mut broadcast::Receiver<Event>,
    seen: &mut Vec<Event>,
    what: &str,
    check: impl Fn(&Event) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if seen.iter().any(&check) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(event)) => seen.push(event),
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => continue,
            Ok(Err(error)) => panic!("event stream ended ({error}) before {what}"),
            Err(_) => panic!("timed out waiting for {what}; events seen: {:?}", kinds(seen)),
        }
    }
}

fn kinds(events: &[Event]) -> Vec<(String, String)> {
    events.iter().map(|e| (e.kind.clone(), e.object.rsplit('/').next().unwrap_or_default().to_string())).collect()
}

fn flowing(event: &Event, kind: &str, object: &str, media: &str) -> bool {
    event.kind == kind
        && event.object == object
        && event.data.get("state").and_then(|v| v.as_str()) == Some("FLOWING")
        && event.data.get("mediaType").and_then(|v| v.as_str()) == Some(media)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_publisher_two_subscribers_keyframes_and_a_late_joiner() {
    let node = Node::start();
    assert!(node.pid() > 0);
    let driver = Arc::new(KurentoDriver::connect(&node.url).await.expect("connect to the node"));
    let mut events = driver.client().events();
    let mut seen = Vec::new();
    let engine = Engine::start("media-rust-test").expect("engine");
    let clip = Arc::new(Clip::builtin());
    let bind = "127.0.0.1".parse().unwrap();

    let room = driver.create_room().await.expect("pipeline");
    let publisher_options = PublisherOptions { bind, clip };
    let publisher: Client =
        connect_publisher(&*driver, &engine.handle(), &room, &publisher_options).await.expect("publisher");
    wait_for(DEADLINE, "the publisher to connect", || publisher.handle.stats().connected_at.is_some()).await;
    // Subscribers that never ask for keyframes on their own: every request the publisher sees comes from the node.
    let subscriber_options = SubscriberOptions { bind, auto_keyframe: false };
    let subscribers =
        subscribers_with_media(&driver, &engine.handle(), &room, &publisher.peer, &subscriber_options, 2).await;
    let sent = publisher.handle.stats();
    assert!(sent.audio_packets_sent > 0 && sent.video_frames_sent > 0, "{sent:?}");

    // The node reports media flowing into the publisher's endpoint and out of a subscriber's.
    for media in ["AUDIO", "VIDEO"] {
        let what = format!("MediaFlowInStateChanged FLOWING {media} on the publisher endpoint");
        wait_event(&mut events, &mut seen, &what, |e| flowing(e, "MediaFlowInStateChanged", &publisher.peer.0, media))
            .await;
        let what = format!("MediaFlowOutStateChanged FLOWING {media} on a subscriber endpoint");
        wait_event(&mut events, &mut seen, &what, |e| {
            flowing(e, "MediaFlowOutStateChanged", &subscribers[0].peer.0, media)
        })
        .await;
    }

    // A subscriber's PLI reaches the publisher. The node lets one request per 500 ms through to a
    // publisher, so first wait until the last one the publisher saw is older than that.
    let quiet = Duration::from_millis(700);
    wait_for(DEADLINE, "a quiet spell without keyframe requests", || {
        publisher.handle.stats().last_keyframe_request_at.is_none_or(|at| at.elapsed() >= quiet)
    })
    .await;
    let before = publisher.handle.stats().keyframe_requests_received;
    let keyframes_before = subscribers[1].handle.stats().video.keyframes;
    subscribers[1].handle.request_keyframe();
    wait_for(DEADLINE, "the subscriber's keyframe request to reach the publisher", || {
        publisher.handle.stats().keyframe_requests_received > before
    })
    .await;
    assert!(subscribers[1].handle.stats().keyframe_requests_sent >= 1);
    wait_for(DEADLINE, "a keyframe after the request", || {
        subscribers[1].handle.stats().video.keyframes > keyframes_before
    })
    .await;

    // A subscriber joining while media flows gets a keyframe soon after it connects, well before the
    // clip's next periodic one (every 2 s): the node asks the publisher as the subscriber connects.
    wait_for(DEADLINE, "a quiet spell without keyframe requests", || {
        publisher.handle.stats().last_keyframe_request_at.is_none_or(|at| at.elapsed() >= quiet)
    })
    .await;
    let late = connect_subscriber(&*driver, &engine.handle(), &room, &publisher.peer, &subscriber_options)
        .await
        .expect("late subscriber");
    wait_for(DEADLINE, "the late subscriber to connect", || late.handle.stats().connected_at.is_some()).await;
    wait_for(DEADLINE, "the late subscriber's first keyframe", || late.handle.stats().first_keyframe_at.is_some())
        .await;
    let waited = late.handle.stats().time_to_first_keyframe().expect("connected and keyframe");
    eprintln!("late subscriber: first keyframe {waited:?} after connecting");
    assert!(waited <= LATE_KEYFRAME_BOUND, "the late subscriber waited {waited:?} for a keyframe");
    wait_for(DEADLINE, "the late subscriber to receive audio and video", || has_audio_and_video(&late.handle.stats()))
        .await;

    for client in subscribers.iter().chain([&late]) {
        let stats = client.handle.stats();
        assert!(stats.failed.is_none() && !stats.disconnected, "{stats:?}");
    }
    drop((late, subscribers, publisher));
    driver.close_room(&room).await.expect("release the pipeline");
}
