//! What a recording's status change tells the world: `recordingStatusChanged`
//! on the bus (reference §6.1), and `recordingStarted` / `recordingStopped` to
//! the participants `OPENVIDU_RECORDING_NOTIFICATION` names (§3.5).

use serde_json::json;

use crate::conference::Conference;
use crate::config::keys;
use crate::events::{ComposedVideo, EndReason, Event, RecordingInfo, SessionRef};
use crate::openvidu_enums::WireEnum;
use crate::recording::{NotificationScope, Recording};
use crate::services::AppState;

impl AppState {
    /// Publishes `recordingStatusChanged` with `status` (`started`, `stopped`, `ready`, `failed`).
    pub(super) fn announce(
        &self,
        recording: &Recording,
        session_created_at: u64,
        status: &'static str,
        reason: Option<EndReason>,
    ) {
        let p = &recording.properties;
        let composed_video = (p.output_mode.is_composed() && p.has_video).then(|| ComposedVideo {
            resolution: p.resolution.clone().unwrap_or_default(),
            frame_rate: p.frame_rate.unwrap_or_default(),
            recording_layout: p.recording_layout.map(|l| l.as_str().to_string()).unwrap_or_default(),
            custom_layout: p.custom_layout.clone(),
            media_node_id: p.media_node.clone(),
        });
        let info = RecordingInfo {
            id: recording.id.clone(),
            name: recording.file_name().to_string(),
            output_mode: p.output_mode.as_str().to_string(),
            composed_video,
            has_audio: p.has_audio,
            has_video: p.has_video,
            start_time: recording.created_at,
            size: recording.size,
            duration: recording.duration,
            status,
            reason,
        };
        let session = SessionRef { session_id: recording.session_id.clone(), created_at: session_created_at };
        let event = Event::RecordingStatusChanged { session, recording: info }.at(crate::clock::now_ms());
        tracing::info!(subject = %event.event.subject(), reason = ?reason.map(|r| r.as_str()), "{}", event.event.name());
        self.events().publish(event);
    }

    /// `recordingStarted {id, name}` or `recordingStopped {id, name, reason}` to the
    /// session's members whose role the notification setting names.
    pub(super) fn notify_participants(
        &self,
        conference: &Conference,
        recording: &Recording,
        reason: Option<EndReason>,
    ) {
        let scope = NotificationScope::parse(self.config().settings.get(keys::OPENVIDU_RECORDING_NOTIFICATION));
        let Some(session) = conference.store().session(&recording.session_id) else { return };
        let targets: Vec<String> = session
            .connections
            .values()
            .filter(|c| c.is_active() && scope.tells(c.props.role))
            .map(|c| c.id.clone())
            .collect();
        if targets.is_empty() {
            return;
        }
        let name = recording.file_name();
        let (method, params) = match reason {
            None => ("recordingStarted", json!({"id": recording.id, "name": name})),
            Some(reason) => ("recordingStopped", json!({"id": recording.id, "name": name, "reason": reason.as_str()})),
        };
        self.hub().notify(&recording.session_id, Some(&targets), method, &params);
    }
}
