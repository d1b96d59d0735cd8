//! One load run, in the [`Shape`] asked for: its rooms and their publishers,
//! then the subscriptions (a bounded number connecting at once), a warm-up, a
//! measured window, and the report. Everything is released at the end.

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
use crate::driver::{DriverError, MediaServerDriver, RoomId};
use crate::engine::{Engine, EngineHandle, EnginePool};
use crate::metrics::{Report, Sample};
use crate::plan::{Plan, Shape, Subscription};

#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Rooms, publishers, and who subscribes to whom.
    pub shape: Shape,
    /// The measured window.
    pub duration: Duration,
    /// Time between the last subscription connecting and the window's start.
    pub warmup: Duration,
    /// Local address of the clients' sockets.
    pub bind: IpAddr,
    /// The media node's pid, for its CPU time.
    pub node_pid: Option<u32>,
    /// Media threads for the subscribers (the publishers have their own).
    pub threads: usize,
    /// Subscriptions negotiating at the same time.
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
            shape: Shape::default(),
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
    Room(DriverError),
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

pub async fn run<S: MediaServerDriver>(driver: Arc<S>, config: &LoadConfig) -> Result<Report, LoadError> {
    let plan = config.shape.plan();
    // Publishers get a thread of their own: a busy subscriber thread must not delay their frames.
    let publisher_engine = Engine::start("loadtest-publishers").map_err(LoadError::Engine)?;
    let engines = Arc::new(EnginePool::start(config.threads).map_err(LoadError::Engine)?);
    let mut rooms = Vec::new();
    let mut publications = Vec::new();
    let result = async {
        tracing::info!(shape = %config.shape, "connecting publishers");
        let engine = publisher_engine.handle();
        connect_publishers(&*driver, &engine, &plan, config, &mut rooms, &mut publications).await?;
        let deadline = Instant::now() + config.connect_timeout;
        wait_until(deadline, || publications.iter().all(|p| p.client.handle.stats().connected_at.is_some())).await;
        if !publications.iter().any(|p| p.client.handle.stats().connected_at.is_some()) {
            return Err(LoadError::NotConnected(config.connect_timeout));
        }
        tracing::info!(publishers = publications.len(), "publishers connected; connecting subscribers");
        let subscribers = connect_subscribers(&driver, &engines, &publications, &plan.subscriptions, config).await;
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
        let report = Report::compute(&start, &end, plan.subscriptions.len());
        drop(subscribers);
        Ok(report)
    }
    .await;
    // The clients first, then their rooms, which ends what is left of them on the server.
    drop(publications);
    for room in rooms {
        if let Err(error) = driver.close_room(&room).await {
            tracing::debug!(%error, "cannot release the room");
        }
    }
    result
}

/// Creates the plan's rooms and connects their publishers one after the other, in
/// the plan's order (so that a publisher's index in `publications` is the one its
/// subscriptions name). What was created is left in `rooms` and `publications`
/// for the caller to release, also when this fails.
async fn connect_publishers<S: MediaServerDriver>(
    driver: &S,
    engine: &EngineHandle,
    plan: &Plan,
    config: &LoadConfig,
    rooms: &mut Vec<RoomId>,
    publications: &mut Vec<Publication>,
) -> Result<(), LoadError> {
    let options = PublisherOptions { bind: config.bind, clip: config.clip.clone() };
    for &publishers in &plan.rooms {
        let room = driver.create_room().await.map_err(LoadError::Room)?;
        rooms.push(room.clone());
        for _ in 0..publishers {
            let client = connect_publisher(driver, engine, &room, &options).await.map_err(LoadError::Publisher)?;
            publications.push(Publication { room: room.clone(), client });
        }
    }
    Ok(())
}

/// Connects the `subscriptions`, `config.concurrency` at a time; failures are logged and skipped.
/// Each client comes back with the index of the publisher it receives, for the report's accounting.
async fn connect_subscribers<S: MediaServerDriver>(
    driver: &Arc<S>,
    engines: &Arc<EnginePool>,
    publications: &[Publication],
    subscriptions: &[Subscription],
    config: &LoadConfig,
) -> Vec<(usize, Client)> {
    let options = SubscriberOptions { bind: config.bind, auto_keyframe: config.auto_keyframe };
    let limit = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for &subscription in subscriptions {
        // The plan only names publishers it created; a missing one would be a bug, not worth a panic.
        let Some(publication) = publications.get(subscription.publisher) else {
            tracing::error!(publisher = subscription.publisher, "the plan names a publisher that was not connected");
            continue;
        };
        let (driver, engines, limit, options) = (driver.clone(), engines.clone(), limit.clone(), options.clone());
        let (room, publisher) = (publication.room.clone(), publication.client.peer.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore open");
            let engine = engines.pick();
            (subscription, connect_subscriber(&*driver, &engine, &room, &publisher, &options).await)
        });
    }
    let mut clients = Vec::new();
    let mut failures = 0usize;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((subscription, Ok(client))) => clients.push((subscription.publisher, client)),
            Ok((subscription, Err(error))) => {
                failures += 1;
                if failures <= 3 {
                    tracing::warn!(publisher = subscription.publisher, by = ?subscription.by, %error, "a subscriber could not connect");
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
