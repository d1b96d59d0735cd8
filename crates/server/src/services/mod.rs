//! The state of one generation of running services, above the adapters: the
//! REST API ([`crate::api`]) and the signaling websocket ([`crate::signaling`])
//! both reach everything through [`AppState`], and neither imports the other.
//!
//! Every change to a session is a command of the [conference core](crate::conference)
//! run by [`AppState::decide`]: one lock, the decision, and its effects applied
//! (notifications, media work, cluster releases, events) before the lock is released.

mod apply;
mod metrics;
mod node_loss;
mod recordings;
mod restart;

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

pub use recordings::{RecordingRuntime, StartFailure, StopFailure, run_recording_autostop};
pub use restart::{RestartControl, RestartTurn, TurnFuture};

use crate::cluster::service::ClusterService;
use crate::conference::{Conference, Outcome};
use crate::config::{Config, PublicEndpoint, keys};
use crate::credentials::Credentials;
use crate::events::EventBus;
use crate::events::cdr::{CdrError, CdrWriter};
use crate::hub::Hub;
use crate::live_metrics::LiveMetrics;
use crate::media::{Bandwidth, Media};
use crate::recording::RecordingStore;
use crate::session::{ConnectionDefaults, SessionDefaults, SessionStore};
use crate::status::ServerStatus;
use crate::webhooks::{WebhookCounters, WebhookError, WebhookSettings, Webhooks};

#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    public: PublicEndpoint,
    credentials: Credentials,
    conference: Mutex<Conference>,
    recordings: Mutex<RecordingStore>,
    /// The recording service's node objects and timers (`recordings`).
    recorder: RecordingRuntime,
    status: ServerStatus,
    /// Set by the server that runs this state; absent in states built without one (benchmarks).
    restarter: OnceLock<Arc<dyn RestartControl>>,
    cluster: Arc<ClusterService>,
    hub: Arc<Hub>,
    media: Arc<Media>,
    events: EventBus,
    /// Writes the bus into the CDR file when `OPENVIDU_CDR=true`.
    cdr: Mutex<Option<CdrWriter>>,
    /// Sends the bus to the webhook endpoint when `OPENVIDU_WEBHOOK=true`; finishes on its own
    /// once the bus is closed (see `webhooks::dispatcher`).
    webhooks: Option<Webhooks>,
    /// The process's live metrics, or `None` with `PLENUM_METRICS=false`.
    live_metrics: Option<LiveMetrics>,
}

/// Why a generation of services could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Cdr(#[from] CdrError),
    #[error(transparent)]
    Webhooks(#[from] WebhookError),
    #[error("OPENVIDU_RECORDING_PATH: cannot create the recordings directory {}: {source}", .path.display())]
    RecordingPath { path: std::path::PathBuf, source: std::io::Error },
}

/// Makes the directories the configuration names for what must be kept (the CDR when
/// `OPENVIDU_CDR=true`, recordings when `OPENVIDU_RECORDING=true`), with their parents.
/// A restart checks a new configuration with this before it writes the config file.
pub fn ensure_directories(config: &Config) -> Result<(), StartError> {
    if config.settings.get(keys::OPENVIDU_CDR) {
        crate::events::cdr::create_dir(&config.cdr_path)?;
    }
    if config.recording {
        std::fs::create_dir_all(&config.recording_path)
            .map_err(|source| StartError::RecordingPath { path: config.recording_path.clone(), source })?;
    }
    Ok(())
}

impl AppState {
    /// Builds the services of `config`. The CDR file (`OPENVIDU_CDR=true`) and the
    /// recordings directory (`OPENVIDU_RECORDING=true`) are made now, so a path that
    /// cannot be written stops the start instead of losing what it should keep.
    pub fn new(
        config: Config,
        public: PublicEndpoint,
        sessions: SessionStore,
        status: ServerStatus,
        live_metrics: LiveMetrics,
    ) -> Result<Self, StartError> {
        ensure_directories(&config)?;
        let webhook_settings = WebhookSettings::from_config(&config)?;
        let events = EventBus::new();
        let webhooks = webhook_settings.map(|settings| Webhooks::start(settings, &events)).transpose()?;
        let cdr = match config.settings.get(keys::OPENVIDU_CDR) {
            true => Some(CdrWriter::start(&config.cdr_path, status.start_time, &events)?),
            false => None,
        };
        let credentials = Credentials::new(&config.secret);
        let secret = config.secret.clone();
        let autostop_s = config.settings.get(keys::OPENVIDU_RECORDING_AUTOSTOP_TIMEOUT).max(0) as u64;
        let cluster = ClusterService::new(crate::cluster::settings_from(&config), events.clone());
        let live_metrics = config.settings.get(keys::PLENUM_METRICS).then_some(live_metrics);
        let state = Self {
            shared: Arc::new(Shared {
                config,
                public,
                credentials,
                conference: Mutex::new(Conference::new(sessions)),
                recordings: Mutex::new(RecordingStore::default()),
                recorder: RecordingRuntime::new(
                    autostop_s,
                    Arc::new(recordings::NodeFiles::new(cluster.clone(), secret)),
                ),
                status,
                restarter: OnceLock::new(),
                cluster,
                hub: Arc::default(),
                media: Arc::default(),
                events,
                cdr: Mutex::new(cdr),
                webhooks,
                live_metrics,
            }),
        };
        node_loss::install(&state);
        state.load_recordings();
        Ok(state)
    }

    /// Where requests, joins and placements are counted; `None` with `PLENUM_METRICS=false`.
    pub fn live_metrics(&self) -> Option<&LiveMetrics> {
        self.shared.live_metrics.as_ref()
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

    /// Which websocket carries which participant.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.shared.hub
    }

    /// The media objects of this generation's sessions.
    pub fn media(&self) -> &Media {
        &self.shared.media
    }

    pub fn cluster(&self) -> &Arc<ClusterService> {
        &self.shared.cluster
    }

    /// Every event of this generation, in order.
    pub fn events(&self) -> &EventBus {
        &self.shared.events
    }

    /// The webhook counters of this generation (`None` when `OPENVIDU_WEBHOOK=false`):
    /// a few relaxed atomic loads, cheap enough for every metrics scrape.
    pub fn webhook_stats(&self) -> Option<WebhookCounters> {
        self.shared.webhooks.as_ref().map(Webhooks::counters)
    }

    /// Whether this generation's webhooks (if any) have delivered or dropped everything
    /// its closed bus held; true while webhooks are off.
    pub fn webhooks_finished(&self) -> bool {
        self.shared.webhooks.as_ref().is_none_or(Webhooks::finished)
    }

    pub fn status(&self) -> &ServerStatus {
        &self.shared.status
    }

    /// Restarts the master these services run in (`POST /openvidu/api/restart`).
    pub fn restarter(&self) -> Option<&Arc<dyn RestartControl>> {
        self.shared.restarter.get()
    }

    pub fn set_restarter(&self, restarter: Arc<dyn RestartControl>) {
        let _ = self.shared.restarter.set(restarter);
    }

    /// The conference, to read (REST views). Critical sections are short and never
    /// await, so a plain mutex is right; a poisoned lock is recovered because the
    /// store's invariants hold between operations.
    pub fn conference(&self) -> MutexGuard<'_, Conference> {
        self.shared.conference.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one command of the conference core and applies its outcome before the
    /// lock is released. `decide` gets the conference and `now`.
    pub fn decide<T>(&self, decide: impl FnOnce(&mut Conference, u64) -> (Outcome, T)) -> T {
        let mut conference = self.conference();
        let (outcome, answer) = decide(&mut conference, crate::clock::now_ms());
        self.apply(outcome, &conference);
        drop(conference);
        answer
    }

    /// [`AppState::decide`] for commands that may be refused (nothing to apply then).
    pub fn try_decide<T, E>(
        &self,
        decide: impl FnOnce(&mut Conference, u64) -> Result<(Outcome, T), E>,
    ) -> Result<T, E> {
        let mut conference = self.conference();
        let (outcome, answer) = decide(&mut conference, crate::clock::now_ms())?;
        self.apply(outcome, &conference);
        drop(conference);
        Ok(answer)
    }

    /// The endpoints' bandwidth limits (kbps): `OPENVIDU_STREAMS_VIDEO_*`.
    pub fn default_bandwidth(&self) -> Bandwidth {
        let settings = &self.shared.config.settings;
        Bandwidth {
            max_recv: settings.get(keys::OPENVIDU_STREAMS_VIDEO_MAX_RECV_BANDWIDTH),
            min_recv: settings.get(keys::OPENVIDU_STREAMS_VIDEO_MIN_RECV_BANDWIDTH),
            max_send: settings.get(keys::OPENVIDU_STREAMS_VIDEO_MAX_SEND_BANDWIDTH),
            min_send: settings.get(keys::OPENVIDU_STREAMS_VIDEO_MIN_SEND_BANDWIDTH),
        }
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

    /// Stops this generation: its sessions close (`openviduServerStopped`, each participant
    /// evicted first), its sockets and node connections close, and the bus ends. Returns the
    /// CDR writer, which finishes writing what the bus still holds.
    pub fn retire(&self) -> Option<CdrWriter> {
        let ids: Vec<String> = self.conference().store().sessions().map(|s| s.id.clone()).collect();
        self.decide(|conference, now| {
            (conference.close_sessions(&ids, crate::events::EndReason::OpenviduServerStopped, now), ())
        });
        for id in &ids {
            tracing::info!(session = %id, reason = "openviduServerStopped", "session closed");
        }
        self.hub().close_all();
        self.cluster().close_all();
        self.events().close();
        self.shared.cdr.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}
