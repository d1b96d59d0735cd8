//! A remote media node's recording files, pulled by the master's
//! `RemoteFiles` from a real `plenum-media-node` process: checked, written into
//! place, deleted on the node; refused without the secret or outside the root.

mod common;

use std::path::Path;

use common::media_node::NodeProcess;
use kurento_protocol::KurentoClient;
use kurento_protocol::media::ServerManager;
use plenum::recorder::remote_files::{NodeRecordingPlace, PullError, RemoteFiles};

const SECRET: &str = "node-secret";

async fn place_of(node: &NodeProcess) -> NodeRecordingPlace {
    let client =
        KurentoClient::connect(&node.uri, kurento_protocol::ClientOptions::default()).await.expect("control websocket");
    let metadata = ServerManager::new(&client).metadata().await.expect("getMetadata");
    NodeRecordingPlace::parse(&metadata)
}

#[tokio::test]
async fn a_file_is_pulled_checked_and_then_deleted_on_the_node() {
    let root = tempfile::tempdir().unwrap();
    let master = tempfile::tempdir().unwrap();
    let node = NodeProcess::start_recording(root.path(), SECRET);
    let place = place_of(&node).await;
    let node_root = root.path().canonicalize().unwrap();
    assert_eq!(place.recording_root.as_deref().map(|p| p.canonicalize().unwrap()), Some(node_root.clone()));

    let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::create_dir_all(node_root.join("ses_A")).unwrap();
    let node_file = node_root.join("ses_A/str_CAM_x.webm");
    std::fs::write(&node_file, &content).unwrap();

    let remote =
        RemoteFiles::of(&node.uri, &NodeRecordingPlace { recording_root: Some(node_root.clone()), ..place }, SECRET)
            .unwrap();
    common::install_crypto();
    let http = reqwest::Client::new();
    let destination = master.path().join("ses_A/str_CAM_x.webm");
    let size = remote.pull(&http, &node_file, &destination).await.expect("pulled");
    assert_eq!(size, content.len() as u64);
    assert_eq!(std::fs::read(&destination).unwrap(), content);
    assert!(!node_file.exists(), "the node's copy is deleted once the master has the file");
    assert!(!node_root.join("ses_A").exists(), "the emptied recording folder goes too");
    assert!(!master.path().join("ses_A/str_CAM_x.webm.part").exists());
}

#[tokio::test]
async fn a_wrong_secret_or_a_path_outside_the_root_gets_nothing() {
    let root = tempfile::tempdir().unwrap();
    let master = tempfile::tempdir().unwrap();
    let node = NodeProcess::start_recording(root.path(), SECRET);
    let node_root = root.path().canonicalize().unwrap();
    std::fs::write(node_root.join("kept.webm"), b"data").unwrap();
    let place = NodeRecordingPlace { recording_root: Some(node_root.clone()), ..place_of(&node).await };
    common::install_crypto();
    let http = reqwest::Client::new();

    let intruder = RemoteFiles::of(&node.uri, &place, "wrong").unwrap();
    let refused = intruder.pull(&http, &node_root.join("kept.webm"), &master.path().join("kept.webm")).await;
    assert!(matches!(refused, Err(PullError::Status(status, _)) if status == 401), "{refused:?}");
    assert!(node_root.join("kept.webm").exists());
    assert!(!master.path().join("kept.webm").exists());

    let remote = RemoteFiles::of(&node.uri, &place, SECRET).unwrap();
    assert!(matches!(remote.url_of(Path::new("/etc/passwd")), Err(PullError::OutsideRoot(_))));
    // The node itself refuses traversal, whatever a client sends.
    let base = remote.base.as_str().trim_end_matches('/').to_string();
    for path in
        ["/plenum/files/../../etc/passwd", "/plenum/files/%2e%2e/%2e%2e/etc/passwd", "/plenum/files//etc/passwd"]
    {
        let answer = http.get(format!("{base}{path}")).bearer_auth(SECRET).send().await.unwrap();
        assert!(answer.status().is_client_error(), "{path}: {}", answer.status());
    }
}

#[tokio::test]
async fn without_a_secret_the_node_serves_no_files_and_says_so() {
    let node = NodeProcess::start();
    let place = place_of(&node).await;
    assert!(place.recording_root.is_some(), "a standalone node always has a recording root");
    assert_eq!(place.files_path, None);
    assert!(matches!(RemoteFiles::of(&node.uri, &place, SECRET), Err(PullError::NotServed)));
}
