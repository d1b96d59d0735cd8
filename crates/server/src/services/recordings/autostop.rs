//! The automatic stop's timer: every quarter second the recordings in
//! progress are shown to the pure rule ([`crate::recording::Autostop`]) with
//! whether their session has a publisher; the ones it names stop with
//! `automaticStop` (closing their session when nobody is left in it).

use std::time::Duration;

use crate::config::keys;
use crate::events::EndReason;
use crate::recording::RecordingStatus;
use crate::services::AppState;

const TICK: Duration = Duration::from_millis(250);

pub async fn run_recording_autostop(state: AppState) {
    if !state.config().recording {
        return;
    }
    let timeout_s = state.config().settings.get(keys::OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT).max(0);
    tracing::debug!(timeout_s, "recording autostop running");
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let rows = {
            let conference = state.conference();
            let store = state.recordings();
            store
                .list()
                .filter(|r| r.status == RecordingStatus::Started)
                .map(|r| (r.id.clone(), conference.has_publishers(&r.session_id)))
                .collect::<Vec<_>>()
        };
        let due = state.shared.recorder.autostop().tick(&rows, crate::clock::now_ms());
        for id in due {
            tracing::info!(%id, timeout_s, "recording stops automatically: no publisher");
            let state = state.clone();
            tokio::spawn(async move {
                let _ = state.stop_recording(&id, EndReason::AutomaticStop).await;
            });
        }
    }
}
