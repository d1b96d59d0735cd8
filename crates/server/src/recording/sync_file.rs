//! The `<name>.json` of an INDIVIDUAL recording: which file holds which stream
//! and when (ms after the recording started) it begins and ends, so a player
//! can lay the streams side by side. Zipped with the streams' files.

use serde::Serialize;

/// One stream's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamFile {
    /// The file name inside the recording's folder (`<streamId>.webm`, `<streamId>-1.webm`…).
    pub name: String,
    pub connection_id: String,
    pub stream_id: String,
    pub size: u64,
    pub client_data: String,
    pub server_data: String,
    pub has_audio: bool,
    pub has_video: bool,
    pub type_of_video: String,
    pub start_time_offset: u64,
    pub end_time_offset: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFile {
    pub created_at: u64,
    pub id: String,
    pub name: String,
    pub session_id: String,
    pub files: Vec<StreamFile>,
}

impl SyncFile {
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("the sync file is always serializable")
    }
}

/// `ms` relative to the recording's start, never before it.
pub fn offset(at_ms: u64, recording_started_ms: u64) -> u64 {
    at_ms.saturating_sub(recording_started_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_openvidus() {
        let file = StreamFile {
            name: "str_CAM_A_con_A.webm".into(),
            connection_id: "con_A".into(),
            stream_id: "str_CAM_A_con_A".into(),
            size: 10,
            client_data: "c".into(),
            server_data: "s".into(),
            has_audio: true,
            has_video: false,
            type_of_video: "CAMERA".into(),
            start_time_offset: offset(1_100, 1_000),
            end_time_offset: offset(900, 1_000),
        };
        let sync =
            SyncFile { created_at: 1, id: "ses".into(), name: "n".into(), session_id: "ses".into(), files: vec![file] };
        let json: serde_json::Value = serde_json::from_slice(&sync.to_bytes()).unwrap();
        assert_eq!(json["files"][0]["startTimeOffset"], 100);
        assert_eq!(json["files"][0]["endTimeOffset"], 0);
        for key in
            ["connectionId", "streamId", "size", "clientData", "serverData", "hasAudio", "hasVideo", "typeOfVideo"]
        {
            assert!(json["files"][0].get(key).is_some(), "{key}");
        }
        assert_eq!(json["sessionId"], "ses");
    }
}
