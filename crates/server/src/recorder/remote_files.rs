//! Moving a finished recording off a remote media node (`docs/recording.md`):
//! the node wrote it under its own recording root; the master downloads each
//! file from the node's control port, checks its size and SHA-256, writes it
//! atomically into `OPENVIDU_RECORDING_PATH`, and only then has the node delete
//! its copy. A failed check leaves the node's copy in place and the master's
//! folder without a partial file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// The header the node sends with the hex SHA-256 of a file.
pub const SHA256_HEADER: &str = "x-plenum-sha256";

/// What a node's `ServerManager.getMetadata` says about its recordings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeRecordingPlace {
    /// Where the node writes recordings (URIs must be inside it).
    pub recording_root: Option<PathBuf>,
    /// The URL path of its file route; `None` when it serves no files (no secret set).
    pub files_path: Option<String>,
}

impl NodeRecordingPlace {
    /// Reads the metadata text; Kurento's `""` (or anything else) means "nothing known".
    pub fn parse(metadata: &str) -> Self {
        serde_json::from_str(metadata).unwrap_or_default()
    }
}

/// Where to fetch one node's files from.
#[derive(Debug, Clone)]
pub struct RemoteFiles {
    /// `http(s)://host:port` of the node's control port.
    pub base: url::Url,
    pub root: PathBuf,
    pub files_path: String,
    /// The master's `OPENVIDU_SECRET`, which the node knows as `PLENUM_NODE_SECRET`.
    pub secret: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("the node does not serve its recordings (start it with PLENUM_NODE_SECRET set to the master's secret)")]
    NotServed,
    #[error("{0} is not inside the node's recording root")]
    OutsideRoot(String),
    #[error("the node's URI {0} has no HTTP form")]
    BadUri(String),
    #[error("request to the node failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the node answered {0} for {1}")]
    Status(reqwest::StatusCode, String),
    #[error("{file}: received {received} bytes, the node announced {announced}")]
    Size { file: String, received: u64, announced: u64 },
    #[error("{file}: checksum {received} differs from the node's {announced}")]
    Checksum { file: String, received: String, announced: String },
    #[error("the node sent no checksum for {0}")]
    NoChecksum(String),
    #[error("writing {}: {source}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

impl RemoteFiles {
    /// The file route of the node at `node_uri` (`ws://host:port/kurento`), if it has one.
    pub fn of(node_uri: &str, place: &NodeRecordingPlace, secret: &str) -> Result<Self, PullError> {
        let (Some(root), Some(files_path)) = (&place.recording_root, &place.files_path) else {
            return Err(PullError::NotServed);
        };
        let mut base = url::Url::parse(node_uri).map_err(|_| PullError::BadUri(node_uri.into()))?;
        let scheme = match base.scheme() {
            "ws" | "http" => "http",
            "wss" | "https" => "https",
            _ => return Err(PullError::BadUri(node_uri.into())),
        };
        base.set_scheme(scheme).map_err(|_| PullError::BadUri(node_uri.into()))?;
        base.set_path("");
        base.set_query(None);
        Ok(Self { base, root: root.clone(), files_path: files_path.clone(), secret: secret.into() })
    }

    /// The URL of `node_file` (an absolute path on the node, inside its root).
    pub fn url_of(&self, node_file: &Path) -> Result<url::Url, PullError> {
        let outside = || PullError::OutsideRoot(node_file.display().to_string());
        let relative = node_file.strip_prefix(&self.root).map_err(|_| outside())?;
        if !relative.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
            return Err(outside());
        }
        let mut url = self.base.clone();
        {
            let mut segments = url.path_segments_mut().map_err(|_| outside())?;
            segments.extend(self.files_path.trim_matches('/').split('/'));
            for part in relative.iter() {
                segments.push(part.to_str().ok_or_else(outside)?);
            }
        }
        Ok(url)
    }

    /// Downloads `node_file` into `destination` (checked, then renamed into place)
    /// and deletes the node's copy. Returns the size in bytes.
    pub async fn pull(&self, http: &reqwest::Client, node_file: &Path, destination: &Path) -> Result<u64, PullError> {
        let url = self.url_of(node_file)?;
        let name = node_file.display().to_string();
        let mut response = http.get(url.clone()).bearer_auth(&self.secret).send().await?;
        if !response.status().is_success() {
            return Err(PullError::Status(response.status(), name));
        }
        let announced_size = response.content_length();
        let announced_sum = response
            .headers()
            .get(SHA256_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| PullError::NoChecksum(name.clone()))?;

        let partial = partial_path(destination);
        let write_error = |source| PullError::Write { path: partial.clone(), source };
        if let Some(folder) = destination.parent() {
            tokio::fs::create_dir_all(folder).await.map_err(write_error)?;
        }
        let mut file = tokio::fs::File::create(&partial).await.map_err(write_error)?;
        let mut hasher = Sha256::new();
        let mut received = 0u64;
        let copied: Result<(), PullError> = async {
            while let Some(chunk) = response.chunk().await? {
                hasher.update(&chunk);
                received += chunk.len() as u64;
                file.write_all(&chunk).await.map_err(write_error)?;
            }
            file.sync_all().await.map_err(write_error)?;
            Ok(())
        }
        .await;
        drop(file);
        let checked = copied.and_then(|()| {
            if let Some(announced) = announced_size
                && announced != received
            {
                return Err(PullError::Size { file: name.clone(), received, announced });
            }
            let sum: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
            if sum != announced_sum {
                return Err(PullError::Checksum { file: name.clone(), received: sum, announced: announced_sum });
            }
            Ok(())
        });
        if let Err(error) = checked {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(error);
        }
        tokio::fs::rename(&partial, destination)
            .await
            .map_err(|source| PullError::Write { path: destination.to_path_buf(), source })?;

        // Only a copy that is safely in place lets the node forget its own.
        let deleted = http.delete(url).bearer_auth(&self.secret).send().await;
        match deleted {
            Ok(answer) if answer.status().is_success() => {}
            Ok(answer) => {
                tracing::warn!(file = %name, status = %answer.status(), "the node kept its copy of a pulled file")
            }
            Err(error) => tracing::warn!(file = %name, %error, "the node kept its copy of a pulled file"),
        }
        Ok(received)
    }
}

/// `name.part` next to the destination, invisible to the file route until renamed.
fn partial_path(destination: &Path) -> PathBuf {
    let mut name = destination.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".part");
    destination.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(root: &str) -> NodeRecordingPlace {
        NodeRecordingPlace { recording_root: Some(root.into()), files_path: Some("/plenum/files".into()) }
    }

    #[test]
    fn metadata_without_a_file_route_means_not_served() {
        assert_eq!(NodeRecordingPlace::parse(""), NodeRecordingPlace::default());
        let parsed = NodeRecordingPlace::parse(r#"{"recordingRoot":"/r","filesPath":null}"#);
        assert!(matches!(RemoteFiles::of("ws://h:1/kurento", &parsed, "s"), Err(PullError::NotServed)));
    }

    #[test]
    fn urls_follow_the_control_port_and_stay_inside_the_root() {
        let remote = RemoteFiles::of("ws://10.0.0.5:8888/kurento", &place("/srv/rec"), "s").unwrap();
        let url = remote.url_of(Path::new("/srv/rec/ses_A~1/str CAM.webm")).unwrap();
        assert_eq!(url.as_str(), "http://10.0.0.5:8888/plenum/files/ses_A~1/str%20CAM.webm");
        assert!(remote.url_of(Path::new("/etc/passwd")).is_err());
        assert!(remote.url_of(Path::new("/srv/rec/../etc/passwd")).is_err());
        let secure = RemoteFiles::of("wss://n:443/kurento", &place("/srv/rec"), "s").unwrap();
        assert_eq!(secure.base.scheme(), "https");
        assert!(RemoteFiles::of("ftp://n/x", &place("/r"), "s").is_err());
    }

    #[test]
    fn partial_files_sit_next_to_the_destination() {
        assert_eq!(partial_path(Path::new("/a/b/c.mp4")), PathBuf::from("/a/b/c.mp4.part"));
    }
}
