//! The two subcommands together on loopback: a relay, then a short load run of
//! five receivers that must get every packet; then SIGTERM must stop the relay
//! cleanly. Waits on conditions only (the relay's "listening on" line, the load
//! process's exit), never on a fixed sleep.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_plenum-udp-relay");

/// Kills the relay if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn five_receivers_get_every_packet_and_sigterm_stops_the_relay() {
    let mut relay = Running(
        Command::new(BIN)
            .args(["relay", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the relay"),
    );
    let mut line = String::new();
    BufReader::new(relay.0.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected: {line:?}"));
    let pid = relay.0.id().to_string();

    let load = Command::new(BIN)
        .args(["load", "--relay", address, "--subscribers", "5", "--warmup", "0.5", "--duration", "1"])
        .args(["--node-pid", &pid, "--connect-timeout", "10", "--json"])
        .output()
        .expect("run the load");
    let stderr = String::from_utf8_lossy(&load.stderr);
    assert!(load.status.success(), "load failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&load.stdout).expect("one JSON object on stdout");

    assert_eq!(report["server"], "udp-relay");
    assert_eq!(report["subscribers"], 5);
    assert_eq!(report["subscribers_connected"], 5);
    assert_eq!(report["subscribers_with_media"], 5, "{stderr}");
    assert_eq!(report["lost_packets"], 0, "{stderr}");
    assert_eq!(report["loss_percent"], 0.0);
    // Frames are counted at the window's ends: on a busy machine a frame may
    // still be on its way at the last sample. Allow that, no more.
    let (expected, whole) = (report["frames_expected"].as_u64().unwrap(), report["frames_received"].as_u64().unwrap());
    assert!(expected.saturating_sub(whole) <= 5 * 2, "{whole} of {expected} frames: {stderr}");
    // ~50 audio + ~80 video packets/s per receiver for one second.
    let received = report["received_packets"].as_u64().unwrap();
    assert!(received >= 5 * 100, "received {received}: {stderr}");
    assert_eq!(report["forwarded_packets"].as_u64(), Some(received));
    assert!(report["node_cpu_seconds"].as_f64().is_some(), "relay CPU read from /proc");
    assert!(report["node_rss_kib"].as_u64().is_some_and(|kib| kib > 0));

    // SAFETY: kill(2) on the pid of a child we own and have not reaped.
    assert_eq!(unsafe { libc::kill(relay.0.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let status = relay.0.wait().unwrap();
    assert!(status.success(), "relay exit: {status:?}");
    let mut counters = String::new();
    std::io::Read::read_to_string(relay.0.stderr.as_mut().unwrap(), &mut counters).unwrap();
    assert!(counters.contains("stopped with"), "the relay reports its counters: {counters}");
}
