//! How recordings follow their session: [`AppState::apply`] shows every
//! outcome to this service, with the conference still locked, so what it does
//! is in the order of the decisions.
//!
//! - a session ends → its recording stops with the session's reason, and the
//!   pipeline's release waits for the files (`before_effects`, `close_media`);
//! - a stream is published → it joins the recording (`record: true` only), and
//!   under `recordingMode: ALWAYS` the first one starts a recording;
//! - a stream is unpublished → its file ends, or its tile leaves the mix.

use crate::conference::{Conference, Outcome};
use crate::events::{EndReason, Event, EventRecord, StreamInfo};
use crate::openvidu_enums::RecordingMode;
use crate::recorder::RecordedStream;
use crate::services::AppState;

impl AppState {
    /// Before the outcome's effects: sessions that end stop their recordings first.
    pub(in crate::services) fn recordings_before_effects(&self, outcome: &Outcome, conference: &Conference) {
        if !self.config().recording {
            return;
        }
        for record in &outcome.events {
            let Event::SessionDestroyed { session, ended } = &record.event else { continue };
            if ended.reason == EndReason::NodeCrashed {
                continue; // failed already, by node_loss
            }
            let active = self.recordings().active_of(&session.session_id).map(|r| r.id.clone());
            let Some(id) = active else { continue };
            if let Ok(finishing) = self.begin_stop(&id, ended.reason, conference) {
                let waited = tokio::spawn(async move {
                    let _ = finishing.await;
                });
                self.shared.recorder.set_closing(&session.session_id, waited);
            }
        }
    }

    /// `CloseMedia`: the pipeline is released once the session's recording (if any) is finished.
    pub(in crate::services) fn close_media_after_recording(
        &self,
        session: &str,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let before = self.shared.recorder.take_closing(session);
        self.media().close_after(session, before)
    }

    /// After the outcome's events: streams published and unpublished.
    pub(in crate::services) fn recordings_after_events(&self, events: &[EventRecord], conference: &Conference) {
        if !self.config().recording {
            return;
        }
        for record in events {
            match &record.event {
                Event::WebrtcConnectionCreated { session, stream } if stream.receiving_from.is_none() => {
                    self.stream_published(&session.session_id, stream, conference);
                }
                Event::WebrtcConnectionDestroyed { session, stream, .. } if stream.receiving_from.is_none() => {
                    self.stream_unpublished(&session.session_id, &stream.stream_id);
                }
                _ => {}
            }
        }
    }

    fn stream_published(&self, session_id: &str, stream: &StreamInfo, conference: &Conference) {
        let Some(session) = conference.store().session(session_id) else { return };
        let active = self.recordings().active_of(session_id).map(|r| r.id.clone());
        let Some(id) = active else {
            if session.props.recording_mode == RecordingMode::Always {
                let defaults = session.props.default_recording.clone();
                let (state, session_id) = (self.clone(), session_id.to_string());
                tokio::spawn(async move {
                    match state.start_recording(&session_id, defaults).await {
                        Ok(recording) => tracing::info!(id = %recording.id, "recording started (recordingMode ALWAYS)"),
                        Err(failure) => {
                            tracing::debug!(?failure, session = %session_id, "ALWAYS recording not started")
                        }
                    }
                });
            }
            return;
        };
        let recorded = super::start::recorded_streams(session);
        let Some(wanted) = recorded.into_iter().find(|s: &RecordedStream| s.stream_id == stream.stream_id) else {
            return; // record: false
        };
        let Some(live) = self.shared.recorder.get(&id) else { return };
        let (state, session_id) = (self.clone(), session_id.to_string());
        tokio::spawn(async move {
            let mut slot = live.slot.lock().await;
            let Some(active) = slot.as_mut() else { return };
            let Some((_, passthrough)) = state.media().passthrough_of(&session_id, &wanted.connection_id) else {
                return;
            };
            let stream_id = wanted.stream_id.clone();
            if let Err(error) = active.add_stream(wanted, &passthrough, crate::clock::now_ms()).await {
                tracing::error!(%id, stream = %stream_id, %error, "stream not added to the recording");
            }
        });
    }

    fn stream_unpublished(&self, session_id: &str, stream_id: &str) {
        let active = self.recordings().active_of(session_id).map(|r| r.id.clone());
        let Some(live) = active.and_then(|id| self.shared.recorder.get(&id)) else { return };
        let stream_id = stream_id.to_string();
        tokio::spawn(async move {
            let now = crate::clock::now_ms();
            let mut slot = live.slot.lock().await;
            if let Some(active) = slot.as_mut() {
                for error in active.remove_stream(&stream_id, now).await {
                    tracing::warn!(stream = %stream_id, %error, "a stream's recording did not finish cleanly");
                }
            }
        });
    }
}
