//! The `plenum-loadtest` command line: every flag documented, failures reported by exit code.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_plenum-loadtest");

#[test]
fn help_documents_every_flag() {
    let out = Command::new(BIN).arg("--help").output().expect("run plenum-loadtest --help");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("utf-8 help");
    for flag in [
        "--kurento",
        "--janus",
        "--publishers",
        "--subscribers",
        "--mesh",
        "--duration",
        "--warmup",
        "--node-pid",
        "--bind",
        "--threads",
        "--concurrency",
        "--connect-timeout",
        "--no-keyframe-requests",
        "--video",
        "--audio",
        "--json",
    ] {
        let lines: Vec<&str> = help.lines().collect();
        let at =
            lines.iter().position(|l| l.trim_start().starts_with(flag)).unwrap_or_else(|| panic!("{flag} missing"));
        // Clap's long help puts the description on the next line.
        let described = lines.get(at + 1).is_some_and(|l| l.trim().len() > 10);
        assert!(described, "{flag} has no description");
    }
}

#[test]
fn an_unreachable_server_is_a_start_failure() {
    // A port nobody listens on (bound then released); loopback only.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(BIN)
        .args(["--kurento", &format!("ws://127.0.0.1:{port}/kurento"), "--duration", "1"])
        .output()
        .expect("run plenum-loadtest");
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

#[test]
fn janus_and_kurento_exclude_each_other() {
    let out = Command::new(BIN)
        .args(["--janus", "ws://127.0.0.1:9/", "--kurento", "ws://127.0.0.1:9/kurento"])
        .output()
        .expect("run plenum-loadtest");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn an_unreachable_janus_is_a_start_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(BIN)
        .args(["--janus", &format!("ws://127.0.0.1:{port}/"), "--duration", "1"])
        .output()
        .expect("run plenum-loadtest");
    assert_eq!(out.status.code(), Some(2), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}

#[test]
fn a_mesh_excludes_the_fan_out_counts() {
    for fan_out in ["--publishers", "--subscribers"] {
        let out = Command::new(BIN).args(["--mesh", "10x6", fan_out, "2"]).output().expect("run plenum-loadtest");
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
    }
}

#[test]
fn a_mesh_shape_is_checked_before_anything_is_connected() {
    for (shape, complaint) in [("10", "ROOMSxSIZE"), ("10x1", "at least 2"), ("0x6", "at least one room")] {
        let out = Command::new(BIN).args(["--mesh", shape]).output().expect("run plenum-loadtest");
        assert_eq!(out.status.code(), Some(2), "--mesh {shape}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(complaint), "--mesh {shape}");
    }
}
