//! The client's liveness check of a media node: a `ping` every interval, each
//! answered within the interval or counted as missed. A node that misses
//! `misses` pings in a row is treated as gone and its socket is dropped (the
//! client then reconnects as after any drop). A dropped websocket is noticed by
//! the reader at once; pings catch what a socket does not show: a process that
//! is stopped or hung, or a host that vanished without closing the connection.

use std::time::Duration;

/// How often to ping and how many unanswered pings in a row mean the link is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Time between pings (a ping still unanswered delays the next one).
    pub interval: Duration,
    /// How long a ping may take to be answered before it counts as missed.
    pub timeout: Duration,
    /// Consecutive misses that count as a lost link (at least 1).
    pub misses: u32,
}

impl Keepalive {
    /// The master's setting: a ping every 500 ms, missed when unanswered within 1 s,
    /// lost after two misses in a row. A hung node is noticed 2 to 2.5 s after its
    /// last answer (a killed one at once, by its socket).
    pub const MASTER: Keepalive =
        Keepalive { interval: Duration::from_millis(500), timeout: Duration::from_secs(1), misses: 2 };
}

/// Counts consecutive missed pings. Pure: the caller reports each ping's fate.
#[derive(Debug, Clone)]
pub struct MissCounter {
    limit: u32,
    missed: u32,
}

impl MissCounter {
    pub fn new(limit: u32) -> Self {
        Self { limit: limit.max(1), missed: 0 }
    }

    /// Records one ping; true when the link counts as lost.
    pub fn record(&mut self, answered: bool) -> bool {
        if answered {
            self.missed = 0;
        } else {
            self.missed += 1;
        }
        self.missed >= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_consecutive_misses_up_to_the_limit_lose_the_link() {
        let mut counter = MissCounter::new(2);
        assert!(!counter.record(false));
        assert!(!counter.record(true), "an answer resets the count");
        assert!(!counter.record(false));
        assert!(counter.record(false));
    }

    #[test]
    fn a_limit_of_zero_means_one() {
        assert!(MissCounter::new(0).record(false));
    }

    /// A node that answers pings only while `answering` is set, on every connection.
    async fn moody_node(answering: std::sync::Arc<std::sync::atomic::AtomicBool>) -> String {
        use futures_util::{SinkExt, StreamExt};
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/kurento", listener.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let answering = answering.clone();
                tokio::spawn(async move {
                    let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else { return };
                    while let Some(Ok(message)) = socket.next().await {
                        let Ok(text) = message.to_text() else { continue };
                        let Ok(crate::jsonrpc::Incoming::Request { id, .. }) = crate::jsonrpc::parse(text) else {
                            continue;
                        };
                        if answering.load(Ordering::SeqCst) {
                            let frame = crate::jsonrpc::result(&id, &serde_json::json!({"value": "pong"}));
                            let _ = socket.send(tokio_tungstenite::tungstenite::Message::text(frame)).await;
                        }
                    }
                });
            }
        });
        url
    }

    #[tokio::test]
    async fn a_node_that_stops_answering_is_dropped_and_reconnected_when_it_answers_again() {
        use crate::client::{ClientOptions, ConnectionState, KurentoClient};
        use std::sync::atomic::Ordering;
        let answering = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let url = moody_node(answering.clone()).await;
        let keepalive =
            Keepalive { interval: Duration::from_millis(50), timeout: Duration::from_millis(100), misses: 2 };
        let options = ClientOptions {
            keepalive: Some(keepalive),
            connect_timeout: Duration::from_millis(500),
            reconnect_delay: Duration::from_millis(20),
            ..ClientOptions::default()
        };
        let client = KurentoClient::connect(&url, options).await.unwrap();
        let mut state = client.connection_state();
        // Answered pings keep the link up.
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(*state.borrow_and_update(), ConnectionState::Connected);

        answering.store(false, Ordering::SeqCst);
        let began = std::time::Instant::now();
        let wait = Duration::from_secs(2);
        tokio::time::timeout(wait, state.wait_for(|s| *s == ConnectionState::Disconnected)).await.unwrap().unwrap();
        assert!(began.elapsed() < Duration::from_millis(600), "lost after {:?}", began.elapsed());

        answering.store(true, Ordering::SeqCst);
        let back = |s: &ConnectionState| matches!(s, ConnectionState::Reconnected { .. });
        tokio::time::timeout(wait, state.wait_for(back)).await.unwrap().unwrap();
        client.close();
    }
}
