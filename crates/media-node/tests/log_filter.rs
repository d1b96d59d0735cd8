//! The node's logs follow `PLENUM_LOG`, the master's log variable.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

/// Starts the node with `PLENUM_LOG=filter`, waits for its URI line, stops it; its standard error.
fn log_with(filter: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plenum-media-node"))
        .args(["--listen", "127.0.0.1:0", "--workers", "1"])
        .env("PLENUM_LOG", filter)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the node starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("listening on ws://"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    log
}

#[test]
fn plenum_log_filters_the_nodes_log() {
    assert!(log_with("info").contains("media worker started"));
    let quiet = log_with("warn");
    assert!(!quiet.contains("INFO"), "{quiet}");
}
