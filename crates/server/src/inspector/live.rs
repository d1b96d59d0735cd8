//! `GET /inspector/api/live`: Server-Sent Events that carry every event of the
//! generation's bus (`event: bus`, the webhook body: the fields plus `event`)
//! every node load sample (`event: load`) and per-stream WebRTC figures
//! (`event: stats`), so the pages refresh what an
//! event touched instead of polling every table.
//!
//! The stream ends when the bus closes (a restart retires the generation); the
//! browser's `EventSource` reconnects by itself, to the next generation.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use super::Inspector;
use crate::events::Subscription;
use crate::services::AppState;

pub(super) async fn live(
    State(state): State<AppState>,
    Extension(inspector): Extension<Arc<Inspector>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let bus = state.events().subscribe();
    let load = inspector.feed.subscribe();
    let ready = Event::default().event("ready").data(json!({"clusterId": state.config().cluster_id}).to_string());
    let events = stream::unfold((bus, load), next_event).map(Ok);
    Sse::new(stream::once(async move { Ok(ready) }).chain(events)).keep_alive(KeepAlive::default())
}

type Feeds = (Subscription, broadcast::Receiver<(&'static str, Value)>);

async fn next_event((mut bus, mut load): Feeds) -> Option<(Event, Feeds)> {
    loop {
        tokio::select! {
            record = bus.recv() => {
                let record = record?;
                let event = Event::default().event("bus").data(Value::Object(record.webhook_body()).to_string());
                return Some((event, (bus, load)));
            }
            sample = load.recv() => match sample {
                Ok((kind, sample)) => return Some((Event::default().event(kind).data(sample.to_string()), (bus, load))),
                // A slow reader misses samples, never events: the chart has a gap.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            },
        }
    }
}
