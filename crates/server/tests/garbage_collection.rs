//! The session garbage collector, running for real.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test]
async fn unused_sessions_are_closed_after_the_threshold() {
    let server =
        start(&[("OPENVIDU_SESSIONS_GARBAGE_INTERVAL", "1"), ("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", "1")]).await;
    server.session("idle").await;
    let created = Instant::now();
    let deadline = created + Duration::from_secs(10);
    loop {
        let status = server.get("/openvidu/api/sessions/idle").await.status;
        if status == 404 {
            break;
        }
        assert!(Instant::now() < deadline, "the idle session was never collected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(created.elapsed() >= Duration::from_secs(1), "collected before the threshold: {:?}", created.elapsed());
    server.stop().await;
}

#[tokio::test]
async fn interval_zero_disables_the_collector() {
    let server =
        start(&[("OPENVIDU_SESSIONS_GARBAGE_INTERVAL", "0"), ("OPENVIDU_SESSIONS_GARBAGE_THRESHOLD", "0")]).await;
    let state = server.server.as_ref().unwrap().state.clone();
    // With interval 0 the collector task returns at once instead of looping.
    tokio::time::timeout(Duration::from_secs(1), plenum::gc::run_session_garbage_collector(state))
        .await
        .expect("a disabled collector returns immediately");
    server.stop().await;
}

#[tokio::test]
async fn a_sweep_keeps_sessions_younger_than_the_threshold() {
    let server = start(&[("OPENVIDU_SESSIONS_GARBAGE_INTERVAL", "0")]).await;
    server.session("young").await;
    let state = server.server.as_ref().unwrap().state.clone();
    assert!(plenum::gc::sweep(&state, 3_600_000).is_empty());
    assert_eq!(server.get("/openvidu/api/sessions/young").await.status, 200);
    server.stop().await;
}
