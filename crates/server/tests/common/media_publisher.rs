//! A participant that publishes real media: `plenum-loadtest`'s VP8 clip and
//! Opus over real WebRTC, joined with a token through the signaling websocket
//! as openvidu-browser joins.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use plenum_loadtest::{Client, Clip, Engine, MediaServerDriver, OpenViduDriver, PublisherOptions, connect_publisher};

use super::TestServer;

const WAIT: Duration = Duration::from_secs(20);

/// A participant publishing real media (the load generator's VP8 clip and Opus).
pub struct MediaPublisher {
    driver: Arc<OpenViduDriver>,
    client: Option<Client>,
    _engine: Engine,
    pub stream: String,
    pub connection: String,
}

impl MediaPublisher {
    /// Joins `session` with a connection made from `body` and publishes until media flows.
    pub async fn start(server: &TestServer, session: &str, body: &str) -> MediaPublisher {
        let connection = server.connection(session, body).await;
        let token = connection["token"].as_str().unwrap().to_string();
        let driver = Arc::new(OpenViduDriver::new(&[token]).expect("a token of the session"));
        let engine = Engine::start("recordings-test").expect("engine");
        let room = driver.create_room().await.unwrap();
        let options = PublisherOptions { bind: IpAddr::from([127, 0, 0, 1]), clip: Arc::new(Clip::builtin()) };
        let client = connect_publisher(&*driver, &engine.handle(), &room, &options).await.expect("publishes");
        let deadline = tokio::time::Instant::now() + WAIT;
        while client.handle.stats().video_frames_sent < 10 {
            assert!(tokio::time::Instant::now() < deadline, "the publisher never sent media");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let stream = client.peer.0.clone();
        let connection = connection["connectionId"].as_str().unwrap().to_string();
        MediaPublisher { driver, client: Some(client), _engine: engine, stream, connection }
    }

    /// Leaves the session (`leaveRoom`), as a closed page does.
    pub async fn leave(mut self) {
        if let Some(client) = self.client.take() {
            self.driver.close_peer(&client.peer).await.expect("leaveRoom");
        }
    }
}
