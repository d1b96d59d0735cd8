//! The node's `/metrics`: what each media worker counts and publishes
//! ([`counters`]), the CPU time of each worker thread ([`thread_cpu`]), and the
//! Prometheus/OpenMetrics text of it all ([`render`]).
//!
//! Counters on the forwarding path are plain integers in each worker's own
//! state; no atomic is shared between workers. Each worker publishes a copy of
//! its counters at every housekeeping tick (4 times a second) into its own
//! slot, and a scrape reads the latest copies.

pub mod counters;
pub mod render;
pub mod thread_cpu;

pub use counters::{Drops, Feedback, Volume, WorkerCounters, WorkerSnapshot};
pub use render::{NodeFigures, WorkerFigures};
