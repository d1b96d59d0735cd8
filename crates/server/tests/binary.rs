//! The `plenum` binary: configuration errors, warnings and startup.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_plenum");

fn run_expecting_failure(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let output = Command::new(BIN).args(args).envs(env.iter().copied()).env_remove("PLENUM_CONFIG").output().unwrap();
    assert!(!output.status.success());
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).to_string())
}

#[test]
fn invalid_values_stop_the_program_naming_the_key_and_what_is_allowed() {
    let (code, stderr) = run_expecting_failure(&[], &[("OPENVIDU_CDR", "maybe"), ("SERVER_PORT", "99999")]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("OPENVIDU_CDR (from environment): 'maybe' is not a boolean; allowed: true or false"),
        "{stderr}"
    );
    assert!(
        stderr.contains("SERVER_PORT (from environment): '99999' is not allowed; allowed: an integer from 0 to 65535"),
        "{stderr}"
    );
}

#[test]
fn config_file_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openvidu.env");
    std::fs::write(&file, "# comment\nOPENVIDU_SECRET=has space\n").unwrap();
    let (code, stderr) = run_expecting_failure(&["--config", file.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("OPENVIDU_SECRET (from config file)"), "{stderr}");
    std::fs::write(&file, "not a line\n").unwrap();
    let (code, stderr) = run_expecting_failure(&["--config", file.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("line 1"), "{stderr}");
    let (_, stderr) = run_expecting_failure(&["--config", "/nonexistent/plenum.env"], &[]);
    assert!(stderr.contains("cannot read config file /nonexistent/plenum.env"), "{stderr}");
}

/// Starts the binary, waits for its "listening" line, and returns everything it logged until then.
fn start_and_collect(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .env("SERVER_PORT", "0")
        .env_remove("PLENUM_CONFIG")
        .env_remove("OPENVIDU_SECRET")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut log = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("Plenum master listening") || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(log.contains("Plenum master listening"), "{log}");
    log
}

#[test]
fn default_secret_and_unknown_keys_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openvidu.env");
    std::fs::write(&file, "OPENVIDU_SECRETT=typo\nJAVA_OPTIONS=-Xmx1g\nOPENVIDU_CDR=false\n").unwrap();
    let log = start_and_collect(&["--config", file.to_str().unwrap()], &[]);
    assert!(log.contains("default secret 'MY_SECRET' is in use"), "{log}");
    assert!(log.contains("OPENVIDU_SECRETT is not known to Plenum"), "{log}");
    assert!(!log.contains("JAVA_OPTIONS"), "deployment keys are accepted silently: {log}");
}

#[test]
fn config_path_can_come_from_plenum_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openvidu.env");
    std::fs::write(&file, "OPENVIDU_SECRET=fromfile\nSERVER_SSL_ENABLED=true\n").unwrap();
    let mut child = Command::new(BIN)
        .env("PLENUM_CONFIG", file.to_str().unwrap())
        .env("SERVER_PORT", "0")
        .env_remove("OPENVIDU_SECRET")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("Plenum master listening") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(log.contains("TLS certificate loaded"), "{log}");
    assert!(log.contains("fingerprint="), "{log}");
    assert!(log.contains("public_url=https://"), "{log}");
    assert!(!log.contains("default secret"), "{log}");
}

#[test]
fn help_documents_the_config_flag() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(text.contains("--config <PATH>") && text.contains("PLENUM_CONFIG"), "{text}");
}

#[test]
fn a_cdr_or_recordings_path_that_cannot_be_made_stops_the_program_naming_key_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let inside = blocker.join("cdr").display().to_string();
    let (code, stderr) =
        run_expecting_failure(&[], &[("SERVER_PORT", "0"), ("OPENVIDU_CDR", "true"), ("OPENVIDU_CDR_PATH", &inside)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("OPENVIDU_CDR_PATH: cannot create the CDR file"), "{stderr}");
    assert!(stderr.contains(&inside), "{stderr}");
    let (code, stderr) = run_expecting_failure(
        &[],
        &[("SERVER_PORT", "0"), ("OPENVIDU_RECORDING", "true"), ("OPENVIDU_RECORDING_PATH", &inside)],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("OPENVIDU_RECORDING_PATH: cannot create the recordings directory"), "{stderr}");
}
