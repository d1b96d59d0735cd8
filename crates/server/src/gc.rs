//! The session garbage collector: every `OPENVIDU_SESSIONS_GARBAGE_INTERVAL`
//! seconds, sessions without participants for longer than
//! `OPENVIDU_SESSIONS_GARBAGE_THRESHOLD` seconds are closed. An interval of 0
//! disables it. The rule (which sessions are idle) lives in the store.

use crate::services::AppState;

pub async fn run_session_garbage_collector(state: AppState) {
    let interval = state.config().garbage_interval;
    if interval.is_zero() {
        tracing::info!("session garbage collector disabled (OPENVIDU_SESSIONS_GARBAGE_INTERVAL=0)");
        return;
    }
    let threshold_ms = state.config().garbage_threshold.as_millis() as u64;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        sweep(&state, threshold_ms);
    }
}

/// One pass; returns the ids of the sessions it closed (reason `automaticStop`).
pub fn sweep(state: &AppState, threshold_ms: u64) -> Vec<String> {
    let closed = state.decide(|conference, now| {
        let (closed, outcome) = conference.close_idle(now, threshold_ms);
        (outcome, closed)
    });
    for id in &closed {
        tracing::info!(session = %id, threshold_s = threshold_ms / 1000, "closing unused session (garbage collector)");
    }
    closed
}
