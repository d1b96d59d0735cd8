//! What every request handler can reach.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::auth::Credentials;
use crate::cluster::service::ClusterService;
use crate::config::{Config, PublicEndpoint};
use crate::recording::RecordingStore;
use crate::server::Restarter;
use crate::session::{ConnectionDefaults, SessionDefaults, SessionStore};
use crate::status::ServerStatus;

#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    public: PublicEndpoint,
    credentials: Credentials,
    sessions: Mutex<SessionStore>,
    recordings: Mutex<RecordingStore>,
    status: ServerStatus,
    /// Set by the server that runs this state; absent in states built without one (benchmarks).
    restarter: OnceLock<Restarter>,
    cluster: Arc<ClusterService>,
    signaling: Arc<crate::signaling::Hub>,
    media: Arc<crate::signaling::media::Media>,
}

impl AppState {
    pub fn new(config: Config, public: PublicEndpoint, sessions: SessionStore, status: ServerStatus) -> Self {
        let credentials = Credentials::new(&config.secret);
        let cluster = ClusterService::new(crate::cluster::settings_from(&config, status.start_time));
        Self {
            shared: Arc::new(Shared {
                config,
                public,
                credentials,
                sessions: Mutex::new(sessions),
                recordings: Mutex::new(RecordingStore::default()),
                status,
                restarter: OnceLock::new(),
                cluster,
                signaling: Arc::default(),
                media: Arc::default(),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    pub fn public(&self) -> &PublicEndpoint {
        &self.shared.public
    }

    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// The signaling websockets of this generation of services.
    pub fn signaling(&self) -> &crate::signaling::Hub {
        &self.shared.signaling
    }

    pub fn signaling_arc(&self) -> Arc<crate::signaling::Hub> {
        self.shared.signaling.clone()
    }

    /// The media objects of this generation's sessions.
    pub fn media(&self) -> &crate::signaling::media::Media {
        &self.shared.media
    }

    pub fn cluster(&self) -> &Arc<ClusterService> {
        &self.shared.cluster
    }

    pub fn status(&self) -> &ServerStatus {
        &self.shared.status
    }

    /// Restarts the master these services run in (`POST /openvidu/api/restart`).
    pub fn restarter(&self) -> Option<&Restarter> {
        self.shared.restarter.get()
    }

    pub(crate) fn set_restarter(&self, restarter: Restarter) {
        let _ = self.shared.restarter.set(restarter);
    }

    /// The session store. Critical sections are short and never await, so a
    /// plain mutex is the right tool; a poisoned lock (a panic elsewhere) is
    /// recovered because the store's invariants hold between operations.
    pub fn sessions(&self) -> MutexGuard<'_, SessionStore> {
        self.shared.sessions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn recordings(&self) -> MutexGuard<'_, RecordingStore> {
        self.shared.recordings.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn session_defaults(&self) -> SessionDefaults {
        SessionDefaults {
            forced_video_codec: self.shared.config.forced_video_codec,
            allow_transcoding: self.shared.config.allow_transcoding,
        }
    }

    pub fn connection_defaults(&self) -> ConnectionDefaults<'_> {
        ConnectionDefaults { ice_servers: &self.shared.config.ice_servers }
    }
}
