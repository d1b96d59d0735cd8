//! Recordings through the real `plenum-media-node` binary, with the load
//! generator's publishers (a VP8 clip and Opus): an individual recording
//! muxed without transcoding, a Composite mixed and encoded to MP4 (and an
//! audio-only one to WebM), and a pipeline released mid-recording. Files are
//! checked with ffprobe and ffmpeg, as a player would read them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kurento_protocol::Event;
use plenum_loadtest::engine::Engine;
use plenum_loadtest::{Client, Clip, KurentoDriver, MediaServerDriver, PublisherOptions, RoomId, connect_publisher};
use serde_json::{Value, json};
use tokio::sync::broadcast;

const DEADLINE: Duration = Duration::from_secs(20);
/// How much media each recording holds before it is stopped.
const RECORD_FOR_MS: u64 = 4_000;

struct Setup {
    _node: common::Node,
    driver: Arc<KurentoDriver>,
    engine: Engine,
    room: RoomId,
    folder: tempfile::TempDir,
}

async fn setup() -> Setup {
    let folder = tempfile::tempdir().expect("temp dir");
    let root = folder.path().to_str().expect("a UTF-8 temp path").to_string();
    let node = common::Node::start_with(&["--recording-root", &root]);
    let driver = Arc::new(KurentoDriver::connect(&node.url).await.expect("connect to the node"));
    let engine = Engine::start("recording-test").expect("engine");
    let room = driver.create_room().await.expect("pipeline");
    Setup { _node: node, driver, engine, room, folder }
}

impl Setup {
    async fn publisher(&self) -> (Client, String) {
        let options = PublisherOptions { bind: "127.0.0.1".parse().unwrap(), clip: Arc::new(Clip::builtin()) };
        let publisher =
            connect_publisher(&*self.driver, &self.engine.handle(), &self.room, &options).await.expect("publisher");
        let deadline = Instant::now() + DEADLINE;
        while publisher.handle.stats().video_frames_sent == 0 || publisher.handle.stats().audio_packets_sent == 0 {
            assert!(Instant::now() < deadline, "the publisher never sent media");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let sinks = self.invoke(&publisher.peer.0, "getSinkConnections", json!({})).await;
        let passthrough = sinks
            .as_array()
            .and_then(|links| links.iter().find_map(|l| l["sink"].as_str()))
            .expect("the publisher feeds a PassThrough")
            .to_string();
        (publisher, passthrough)
    }

    async fn create(&self, type_name: &str, params: Value) -> String {
        self.driver.client().create(type_name, params).await.unwrap_or_else(|e| panic!("create {type_name}: {e}"))
    }

    async fn invoke(&self, object: &str, operation: &str, params: Value) -> Value {
        self.driver.client().invoke(object, operation, params).await.unwrap_or_else(|e| panic!("{operation}: {e}"))
    }

    async fn recorder(&self, name: &str, profile: &str) -> (String, PathBuf) {
        let path = self.folder.path().join("sub").join(name);
        let uri = format!("file://{}", path.display());
        let id = self
            .create("RecorderEndpoint", json!({"mediaPipeline": self.room.0, "uri": uri, "mediaProfile": profile}))
            .await;
        for event in ["Recording", "Stopped", "UriEndpointStateChanged", "Error"] {
            self.driver.client().subscribe(&id, event).await.expect("subscribe");
        }
        (id, path)
    }

    async fn connect(&self, source: &str, sink: &str) {
        self.invoke(source, "connect", json!({"sink": sink})).await;
    }

    /// Polls `getStats` until the recording holds `ms` of media.
    async fn recorded(&self, recorder: &str, ms: u64) -> Value {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let stats = self.invoke(recorder, "getStats", json!({})).await;
            if stats["durationMs"].as_u64().unwrap_or(0) >= ms {
                return stats;
            }
            assert!(Instant::now() < deadline, "the recording never reached {ms} ms: {stats}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn wait_event(events: &mut broadcast::Receiver<Event>, kind: &str, object: &str) -> Event {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(event)) if event.kind == kind && event.object == object => return event,
            Ok(Ok(event)) if event.kind == "Error" => panic!("error event: {event:?}"),
            Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(error)) => panic!("event stream ended: {error}"),
            Err(_) => panic!("timed out waiting for {kind} on {object}"),
        }
    }
}

/// `(codec_type, codec_name, width, height)` of each stream and the duration, from ffprobe.
fn probe(path: &Path) -> (Vec<(String, String, u64, u64)>, f64) {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,width,height:format=duration",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        output.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let info: Value = serde_json::from_slice(&output.stdout).expect("ffprobe json");
    let streams = info["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
            (
                text("codec_type"),
                text("codec_name"),
                s["width"].as_u64().unwrap_or(0),
                s["height"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let duration = info["format"]["duration"].as_str().and_then(|d| d.parse().ok()).unwrap_or(0.0);
    (streams, duration)
}

/// The luma variance of one decoded frame `at` seconds in (0 for a blank picture).
fn luma_variance(path: &Path, at: &str) -> f64 {
    let output = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", at, "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(output.status.success() && !output.stdout.is_empty(), "ffmpeg decoded nothing from {}", path.display());
    let pixels = &output.stdout;
    let mean = pixels.iter().map(|&p| f64::from(p)).sum::<f64>() / pixels.len() as f64;
    pixels.iter().map(|&p| (f64::from(p) - mean).powi(2)).sum::<f64>() / pixels.len() as f64
}

fn has(streams: &[(String, String, u64, u64)], codec: &str) -> bool {
    streams.iter().any(|(_, name, _, _)| name == codec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_individual_recording_keeps_vp8_and_opus_without_transcoding() {
    let setup = setup().await;
    let mut events = setup.driver.client().events();
    let (_publisher, passthrough) = setup.publisher().await;
    let (recorder, path) = setup.recorder("individual.webm", "WEBM").await;
    setup.connect(&passthrough, &recorder).await;
    assert_eq!(setup.invoke(&recorder, "getState", json!({})).await, "STOP");
    setup.invoke(&recorder, "record", json!({})).await;
    wait_event(&mut events, "Recording", &recorder).await;
    assert_eq!(setup.invoke(&recorder, "getState", json!({})).await, "START");
    setup.recorded(&recorder, RECORD_FOR_MS).await;
    let asked = Instant::now();
    setup.invoke(&recorder, "stopAndWait", json!({})).await;
    assert!(asked.elapsed() < Duration::from_secs(10));
    let stopped = wait_event(&mut events, "Stopped", &recorder).await;
    let size = std::fs::metadata(&path).expect("the file exists").len();
    assert_eq!(stopped.data["size"].as_u64(), Some(size), "{stopped:?}");
    assert!(stopped.data["durationMs"].as_u64().unwrap_or(0) >= RECORD_FOR_MS);
    assert!(stopped.data["startedAtMs"].as_u64().unwrap_or(0) > 1_600_000_000_000);
    assert_eq!(setup.invoke(&recorder, "getState", json!({})).await, "STOP");
    let stats = setup.invoke(&recorder, "getStats", json!({})).await;
    eprintln!("individual recording: {stats}");

    let (streams, duration) = probe(&path);
    eprintln!("individual recording: {streams:?}, {duration} s");
    assert!(has(&streams, "vp8") && has(&streams, "opus"), "{streams:?}");
    assert!((3.0..=5.5).contains(&duration), "duration {duration}");
    let variance = luma_variance(&path, "2");
    eprintln!("individual recording: luma variance {variance:.1}");
    assert!(variance > 10.0, "the decoded frame is blank (variance {variance})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_composite_mixes_two_publishers_into_mp4_and_audio_into_webm() {
    let setup = setup().await;
    let mut events = setup.driver.client().events();
    let (_first, first) = setup.publisher().await;
    let (_second, second) = setup.publisher().await;
    let pipeline = setup.room.0.clone();

    let composite = setup
        .create(
            "Composite",
            json!({"mediaPipeline": pipeline, "layout": "BEST_FIT", "width": 640, "height": 360, "frameRate": 15}),
        )
        .await;
    for source in [&first, &second] {
        let port = setup.create("HubPort", json!({"hub": composite})).await;
        setup.connect(source, &port).await;
    }
    let output = setup.create("HubPort", json!({"hub": composite})).await;
    let (mixed, mixed_path) = setup.recorder("composed.mp4", "MP4").await;
    setup.connect(&output, &mixed).await;

    let audio_composite = setup.create("Composite", json!({"mediaPipeline": pipeline, "hasVideo": false})).await;
    let audio_in = setup.create("HubPort", json!({"hub": audio_composite})).await;
    setup.connect(&first, &audio_in).await;
    let audio_out = setup.create("HubPort", json!({"hub": audio_composite})).await;
    let (audio, audio_path) = setup.recorder("audio.webm", "WEBM_AUDIO_ONLY").await;
    setup.connect(&audio_out, &audio).await;

    for recorder in [&mixed, &audio] {
        setup.invoke(recorder, "record", json!({})).await;
        wait_event(&mut events, "Recording", recorder).await;
    }
    for recorder in [&mixed, &audio] {
        setup.recorded(recorder, RECORD_FOR_MS).await;
    }
    for recorder in [&mixed, &audio] {
        setup.invoke(recorder, "stopAndWait", json!({})).await;
    }

    let (streams, duration) = probe(&mixed_path);
    eprintln!("composed recording: {streams:?}, {duration} s");
    assert!(streams.iter().any(|s| s.1 == "h264" && s.2 == 640 && s.3 == 360), "{streams:?}");
    assert!(has(&streams, "aac"), "{streams:?}");
    assert!((3.0..=6.0).contains(&duration), "duration {duration}");
    assert!(luma_variance(&mixed_path, "3") > 10.0, "the mixed picture shows the publishers");
    let thumbnail = mixed_path.with_extension("jpg");
    assert!(std::fs::metadata(&thumbnail).map(|m| m.len() > 0).unwrap_or(false), "no thumbnail at {thumbnail:?}");

    let (streams, duration) = probe(&audio_path);
    eprintln!("audio-only composed recording: {streams:?}, {duration} s");
    assert_eq!(streams.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(), vec!["opus"]);
    assert!((3.0..=6.0).contains(&duration), "duration {duration}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releasing_the_pipeline_mid_recording_leaves_a_playable_file() {
    let setup = setup().await;
    let (_publisher, passthrough) = setup.publisher().await;
    let (recorder, path) = setup.recorder("released.mkv", "MKV").await;
    setup.connect(&passthrough, &recorder).await;
    let refused = setup
        .driver
        .client()
        .create("RecorderEndpoint", json!({"mediaPipeline": setup.room.0, "uri": "http://x/a.webm"}))
        .await;
    assert!(refused.is_err(), "only file:// URIs");
    setup.invoke(&recorder, "record", json!({})).await;
    setup.recorded(&recorder, 2_000).await;
    setup.driver.close_room(&setup.room).await.expect("release the pipeline");
    // The file is finished in the background: wait until a reader sees all of it.
    let deadline = Instant::now() + Duration::from_secs(12);
    loop {
        let complete = Command::new("ffprobe").args(["-v", "error"]).arg(&path).status().is_ok_and(|s| s.success())
            && probe(&path).1 >= 1.5;
        if complete {
            break;
        }
        assert!(Instant::now() < deadline, "the released recording never became playable");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (streams, duration) = probe(&path);
    eprintln!("released recording: {streams:?}, {duration} s");
    assert!(has(&streams, "vp8") && has(&streams, "opus"), "{streams:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_interrupted_mid_recording_finishes_the_file_before_exiting() {
    let mut setup = setup().await;
    let (_publisher, passthrough) = setup.publisher().await;
    let (recorder, path) = setup.recorder("interrupted.webm", "WEBM").await;
    setup.connect(&passthrough, &recorder).await;
    setup.invoke(&recorder, "record", json!({})).await;
    setup.recorded(&recorder, 2_000).await;
    let pid = setup._node.pid().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(12);
    while setup._node.is_running() {
        assert!(Instant::now() < deadline, "the node did not exit after SIGINT");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (streams, duration) = probe(&path);
    eprintln!("interrupted recording: {streams:?}, {duration} s");
    assert!(has(&streams, "vp8") && has(&streams, "opus"), "{streams:?}");
    assert!(duration >= 1.5, "the file's duration was written: {duration}");
}

/// CPU ticks (user + system) the process has used, from `/proc/<pid>/stat`.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the node's stat");
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
}

/// A measurement, not a check: the node's CPU over 20 s with one publisher, without and then
/// with an individual recording of it. Run with `--ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a 40 s measurement"]
async fn cpu_of_an_individual_recording() {
    const SPAN: Duration = Duration::from_secs(20);
    let setup = setup().await;
    let pid = setup._node.pid();
    let (_publisher, passthrough) = setup.publisher().await;
    let measure = || async {
        let before = cpu_ticks(pid);
        tokio::time::sleep(SPAN).await;
        (cpu_ticks(pid) - before) as f64 / SPAN.as_secs_f64()
    };
    let forwarding = measure().await;
    let (recorder, path) = setup.recorder("cpu.webm", "WEBM").await;
    setup.connect(&passthrough, &recorder).await;
    setup.invoke(&recorder, "record", json!({})).await;
    let recording = measure().await;
    setup.invoke(&recorder, "stopAndWait", json!({})).await;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "node CPU, ticks/s (100 = one core): publisher only {forwarding:.1}, with an individual recording {recording:.1}; file {size} bytes"
    );
}
