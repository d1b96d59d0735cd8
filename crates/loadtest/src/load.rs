//! One load run: a room per publisher, the publishers, then their subscribers
//! (a bounded number connecting at once), a warm-up, a measured window, and
//! the report. Everything is released at the end.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::clip::Clip;
use crate::connect::{
    Client, ConnectError, PublisherOptions, SubscriberOptions, connect_publisher, connect_subscriber,
};
use crate::cpu;
use crate::engine::{Engine, EnginePool};
use crate::metrics::{Report, Sample};
use crate::signaling::{RoomId, Signaling, SignalingError};

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub publishers: usize,
    /// Subscribers per publisher.
    pub subscribers: usize,
    /// The measured window.
    pub duration: Duration,
    /// Time between the last subscriber connecting and the window's start.
    pub warmup: Duration,
    /// Local address of the clients' sockets.
    pub bind: IpAddr,
    /// The media node's pid, for its CPU time.
    pub node_pid: Option<u32>,
    /// Media threads for the subscribers (the publishers have their own).
    pub threads: usize,
    /// Subscribers negotiating at the same time.
    pub concurrency: usize,
    /// How long peers may take to connect.
    pub connect_timeout: Duration,
    /// Subscribers send PLIs until their first keyframe.
    pub auto_keyframe: bool,
    pub clip: Arc<Clip>,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            publishers: 1,
            subscribers: 1,
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            bind: IpAddr::from([127, 0, 0, 1]),
            node_pid: None,
            threads: 1,
            concurrency: 16,
            connect_timeout: Duration::from_secs(30),
            auto_keyframe: true,
            clip: Arc::new(Clip::builtin()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot start the media threads: {0}")]
    Engine(std::io::Error),
    #[error("cannot create a room: {0}")]
    Room(SignalingError),
    #[error("cannot connect a publisher: {0}")]
    Publisher(ConnectError),
    #[error("no publisher connected within {0:?}")]
    NotConnected(Duration),
}

struct Publication {
    room: RoomId,
    client: Client,
}

/// Waits until `done` holds or `deadline` passes; true if it held.
async fn wait_until(deadline: Instant, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sample(publications: &[Publication], subscribers: &[(usize, Client)], node_pid: Option<u32>) -> Sample {
    Sample {
        at: Instant::now(),
        publishers: publications.iter().map(|p| p.client.handle.stats()).collect(),
        subscribers: subscribers.iter().map(|(_, s)| s.handle.stats()).collect(),
        publisher_of: subscribers.iter().map(|(publisher, _)| *publisher).collect(),
        node_cpu: node_pid.and_then(cpu::process_cpu_seconds),
        own_cpu: cpu::own_cpu_seconds(),
    }
}

pub async fn run<S: Signaling>(signaling: Arc<S>, config: &LoadConfig) -> Result<Report, LoadError> {
    // Publishers get a thread of their own: a busy subscriber thread must not delay their frames.
    let publisher_engine = Engine::start("loadtest-publishers").map_err(LoadError::Engine)?;
    let engines = Arc::new(EnginePool::start(config.threads).map_err(LoadError::Engine)?);
    let publisher_options = PublisherOptions { bind: config.bind, clip: config.clip.clone() };
    let mut publications = Vec::new();
    let result = async {
        for _ in 0..config.publishers {
            let room = signaling.create_room().await.map_err(LoadError::Room)?;
            let client = connect_publisher(&*signaling, &publisher_engine.handle(), &room, &publisher_options)
                .await
                .map_err(LoadError::Publisher);
            match client {
                Ok(client) => publications.push(Publication { room, client }),
                Err(error) => {
                    let _ = signaling.close_room(&room).await;
                    return Err(error);
                }
            }
        }
        let deadline = Instant::now() + config.connect_timeout;
        wait_until(deadline, || publications.iter().all(|p| p.client.handle.stats().connected_at.is_some())).await;
        if !publications.iter().any(|p| p.client.handle.stats().connected_at.is_some()) {
            return Err(LoadError::NotConnected(config.connect_timeout));
        }
        tracing::info!(publishers = publications.len(), "publishers connected; connecting subscribers");
        let subscribers = connect_subscribers(&signaling, &engines, &publications, config).await;
        let deadline = Instant::now() + config.connect_timeout;
        let all =
            wait_until(deadline, || subscribers.iter().all(|(_, s)| s.handle.stats().connected_at.is_some())).await;
        if !all {
            let missing = subscribers.iter().filter(|(_, s)| s.handle.stats().connected_at.is_none()).count();
            tracing::warn!(missing, "some subscribers did not connect in time");
        }
        tracing::info!(subscribers = subscribers.len(), warmup = ?config.warmup, "subscribers connected; warming up");
        tokio::time::sleep(config.warmup).await;
        let start = sample(&publications, &subscribers, config.node_pid);
        tokio::time::sleep(config.duration).await;
        let end = sample(&publications, &subscribers, config.node_pid);
        let report = Report::compute(&start, &end, config.publishers * config.subscribers);
        drop(subscribers);
        Ok(report)
    }
    .await;
    for publication in publications {
        drop(publication.client);
        if let Err(error) = signaling.close_room(&publication.room).await {
            tracing::debug!(%error, "cannot release the room");
        }
    }
    result
}

/// Connects every publisher's subscribers, `config.concurrency` at a time; failures are logged and skipped.
async fn connect_subscribers<S: Signaling>(
    signaling: &Arc<S>,
    engines: &Arc<EnginePool>,
    publications: &[Publication],
    config: &LoadConfig,
) -> Vec<(usize, Client)> {
    let options = SubscriberOptions { bind: config.bind, auto_keyframe: config.auto_keyframe };
    let limit = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for round in 0..config.subscribers {
        for (index, publication) in publications.iter().enumerate() {
            let (signaling, engines, limit, options) =
                (signaling.clone(), engines.clone(), limit.clone(), options.clone());
            let (room, publisher) = (publication.room.clone(), publication.client.peer.clone());
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await.expect("semaphore open");
                let engine = engines.pick();
                (round, index, connect_subscriber(&*signaling, &engine, &room, &publisher, &options).await)
            });
        }
    }
    let mut clients = Vec::new();
    let mut failures = 0usize;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, publisher, Ok(client))) => clients.push((publisher, client)),
            Ok((round, _, Err(error))) => {
                failures += 1;
                if failures <= 3 {
                    tracing::warn!(round, %error, "a subscriber could not connect");
                }
            }
            Err(error) => tracing::warn!(%error, "a subscriber task failed"),
        }
    }
    if failures > 0 {
        tracing::warn!(failures, "subscribers that could not connect");
    }
    clients
}
