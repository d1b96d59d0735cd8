//! `GET /metrics` of a real `plenum-media-node` process: one pipeline with a
//! publisher and two subscribers exchanging real media (the load generator's
//! str0m peers), scraped and parsed with a Prometheus text-format parser. The
//! object gauges match the scenario, the forwarding counters rise while media
//! flows, a subscriber's keyframe request is counted, garbage datagrams are
//! counted as dropped, and a node with a secret refuses scrapes without it.

mod common;

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{CHROME_OFFER, Node, media_port, subscribers_with_media, wait_for};
use plenum_loadtest::engine::Engine;
use plenum_loadtest::{Clip, KurentoDriver, MediaServerDriver, PublisherOptions, SubscriberOptions, connect_publisher};
use serde_json::json;

/// Generous: the CI machine has two noisy cores.
const DEADLINE: Duration = Duration::from_secs(20);

/// One parsed scrape.
struct Scrape {
    samples: Vec<prometheus_parse::Sample>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let parsed = prometheus_parse::Scrape::parse(lines).expect("the text format parses");
        Scrape { samples: parsed.samples }
    }

    /// The sum of the samples of `name` whose labels include all of `labels`; `None` when there are none.
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let values: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .collect();
        (!values.is_empty()).then(|| values.iter().sum())
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.sum(name, labels).unwrap_or_else(|| panic!("no sample of {name} {labels:?}"))
    }

    /// Datagrams dropped for not being media the worker could use.
    fn garbage(&self) -> f64 {
        ["malformed", "unclaimed", "rejected"]
            .iter()
            .map(|reason| self.value("plenum_node_datagrams_dropped_total", &[("reason", reason)]))
            .sum()
    }
}

/// An HTTP answer: status, lower-cased headers, body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// `GET /metrics` over a fresh HTTP/1.1 connection (`Connection: close`, read to the end).
async fn get(node: &Node, authorization: Option<&str>) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&node.addr).await.expect("connect");
        let auth = authorization.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
        let request = format!("GET /metrics HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n", node.addr);
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        raw
    };
    let raw = tokio::time::timeout(DEADLINE, exchange).await.expect("the scrape answers in time");
    let text = String::from_utf8(raw).expect("UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    Answer { status, headers, body }
}

/// The body of a chunked transfer encoding.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        body.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    body
}

async fn scrape(node: &Node, authorization: Option<&str>) -> Scrape {
    let answer = get(node, authorization).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let content_type = answer.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    assert!(answer.body.ends_with("# EOF\n"), "{}", answer.body);
    Scrape::parse(&answer.body)
}

/// Scrapes until `condition` holds, failing with `what` at the deadline; returns the scrape that satisfied it.
async fn scrape_until(node: &Node, what: &str, condition: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let scrape = scrape(node, None).await;
        if condition(&scrape) {
            return scrape;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_follow_a_pipeline_with_real_media() {
    let node = Node::start();
    let empty = scrape(&node, None).await;
    assert_eq!(empty.value("plenum_node_pipelines", &[]), 0.0);
    assert_eq!(empty.value("plenum_node_workers", &[]), 1.0);
    assert_eq!(empty.value("plenum_node_forwarded_packets_total", &[("worker", "0")]), 0.0);

    let driver = Arc::new(KurentoDriver::connect(&node.url).await.expect("connect to the node"));
    let engine = Engine::start("metrics-test").expect("engine");
    let bind = "127.0.0.1".parse().unwrap();
    let room = driver.create_room().await.expect("pipeline");
    let publisher_options = PublisherOptions { bind, clip: Arc::new(Clip::builtin()) };
    let publisher = connect_publisher(&*driver, &engine.handle(), &room, &publisher_options).await.expect("publisher");
    let subscriber_options = SubscriberOptions { bind, auto_keyframe: false };
    let subscribers =
        subscribers_with_media(&driver, &engine.handle(), &room, &publisher.peer, &subscriber_options, 2).await;

    // The scenario: one pipeline, three WebRtcEndpoints (a publisher, two subscribers), the publisher's PassThrough.
    let first = scrape_until(&node, "forwarded video and audio in the counters", |s| {
        ["audio", "video"].iter().all(|kind| s.value("plenum_node_forwarded_packets_total", &[("kind", kind)]) > 0.0)
    })
    .await;
    assert_eq!(first.value("plenum_node_pipelines", &[]), 1.0);
    assert_eq!(first.value("plenum_node_endpoints", &[("kind", "WebRtcEndpoint")]), 3.0);
    assert_eq!(first.value("plenum_node_endpoints", &[("kind", "PassThrough")]), 1.0);
    assert!(first.value("plenum_node_received_packets_total", &[("kind", "video")]) > 0.0);
    assert!(first.value("plenum_node_datagrams_total", &[("direction", "in")]) > 0.0);
    assert!(first.value("plenum_node_worker_cpu_seconds_total", &[("worker", "0")]) >= 0.0);

    // While media flows, the counters rise between two scrapes.
    let counters = [
        ("plenum_node_forwarded_packets_total", "video"),
        ("plenum_node_forwarded_bytes_total", "video"),
        ("plenum_node_forwarded_packets_total", "audio"),
        ("plenum_node_forwarded_bytes_total", "audio"),
    ];
    let second = scrape_until(&node, "the forwarding counters to rise", |s| {
        counters.iter().all(|(name, kind)| s.value(name, &[("kind", kind)]) > first.value(name, &[("kind", kind)]))
            && s.value("plenum_node_datagram_bytes_total", &[("direction", "out")])
                > first.value("plenum_node_datagram_bytes_total", &[("direction", "out")])
    })
    .await;
    // Two subscribers get every packet of one publisher: over a window of ~1,000 received packets (~8 s),
    // twice as many are forwarded. Each endpoint reports once a second, so either count may lag by up to 1 s
    // (the ratio then stays within about 1.6–2.5; one subscriber would give at most about 1.3).
    let increase = |s: &Scrape, name: &str| s.value(name, &[]) - first.value(name, &[]);
    let window = scrape_until(&node, "1,000 more packets from the publisher", |s| {
        increase(s, "plenum_node_received_packets_total") >= 1000.0
    })
    .await;
    let forwarded = increase(&window, "plenum_node_forwarded_packets_total");
    let received = increase(&window, "plenum_node_received_packets_total");
    eprintln!("forwarded {forwarded} packets for {received} received: {:.2} per packet", forwarded / received);
    assert!((1.4..2.8).contains(&(forwarded / received)), "forwarded {forwarded}, received {received}");
    let bytes = second.value("plenum_node_forwarded_bytes_total", &[("kind", "video")]);
    let packets = second.value("plenum_node_forwarded_packets_total", &[("kind", "video")]);
    assert!(bytes / packets > 100.0 && bytes / packets < 1500.0, "{bytes} bytes in {packets} video packets");
    // The worker thread has used CPU forwarding all that.
    scrape_until(&node, "worker CPU time", |s| s.value("plenum_node_worker_cpu_seconds_total", &[]) > 0.0).await;
    // Subscribers' receiver reports on loopback: a loss ratio near zero once reported.
    if let Some(loss) = second.sum("plenum_node_packet_loss_ratio", &[("direction", "out")]) {
        assert!((0.0..=0.05).contains(&loss), "loss to subscribers {loss}");
    }

    // A subscriber's keyframe request is counted as received feedback, and the node asks the publisher.
    let requests = |s: &Scrape, direction: &str| {
        s.value("plenum_node_pli_total", &[("direction", direction)])
            + s.value("plenum_node_fir_total", &[("direction", direction)])
    };
    let before = scrape(&node, None).await;
    subscribers[1].handle.request_keyframe();
    wait_for(DEADLINE, "the subscriber to send its request", || {
        subscribers[1].handle.stats().keyframe_requests_sent >= 1
    })
    .await;
    scrape_until(&node, "the keyframe request in the counters", |s| {
        requests(s, "received") > requests(&before, "received")
    })
    .await;
    scrape_until(&node, "a keyframe request to the publisher", |s| requests(s, "sent") >= 1.0).await;

    // Garbage on the worker's port is counted as dropped datagrams; a second pipeline shows in the gauge.
    let mut wire = node.wire().await;
    let pipeline = wire.pipeline().await;
    let endpoint = wire.webrtc(&pipeline).await;
    let answer = wire.invoke_ok(&endpoint, "processOffer", json!({"offer": CHROME_OFFER})).await;
    let port = media_port(answer.as_str().unwrap());
    let before = scrape(&node, None).await;
    assert_eq!(before.value("plenum_node_pipelines", &[]), 2.0);
    assert_eq!(before.value("plenum_node_endpoints", &[("kind", "WebRtcEndpoint")]), 4.0);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let junk: [&[u8]; 4] = [&[0x00, 0x01, 0x02], &[0x16, 0xfe, 0xfd, 0x00], &[0x80, 0x60, 0x00], &[0xff; 40]];
    for index in 0..400 {
        socket.send_to(junk[index % junk.len()], ("127.0.0.1", port)).unwrap();
    }
    let after = scrape_until(&node, "the garbage in the dropped-datagram counters", |s| {
        s.garbage() >= before.garbage() + 300.0
    })
    .await;
    assert!(after.value("plenum_node_datagrams_dropped_total", &[("reason", "malformed")]) > 0.0);
    // Media still flows through the worker.
    let stats = subscribers[0].handle.stats();
    wait_for(DEADLINE, "media after the garbage", || {
        subscribers[0].handle.stats().video.packets > stats.video.packets + 30
    })
    .await;
}

#[tokio::test]
async fn a_node_with_a_secret_wants_it_as_a_bearer_token() {
    let node = Node::start_with_env("127.0.0.1:0", &[], &[("PLENUM_NODE_SECRET", "node-s3cret")]);
    for refused in [None, Some("Bearer wrong"), Some("Basic node-s3cret"), Some("Bearer node-s3cre")] {
        let answer = get(&node, refused).await;
        assert_eq!(answer.status, 401, "{refused:?}");
        assert!(!answer.body.contains("plenum_node_"), "no figures for {refused:?}");
    }
    let scrape = scrape(&node, Some("Bearer node-s3cret")).await;
    assert_eq!(scrape.value("plenum_node_pipelines", &[]), 0.0);
    // The websocket on the same port is unaffected.
    let mut wire = node.wire().await;
    wire.ok("ping", json!({})).await;
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let node = Node::start_with(&["--metrics", "false"]);
    let answer = get(&node, None).await;
    assert_eq!(answer.status, 404);
    assert!(answer.body.contains("turned off"), "{}", answer.body);
    let mut wire = node.wire().await;
    wire.ok("ping", json!({})).await;
}
