//! The raw-UDP-relay baseline of the SFU benchmark: the physical limit of
//! "1 publisher → N subscribers" on a machine, against which Plenum's SFU and
//! Janus are compared (bench/sfu-vs-janus.sh).
//!
//! - `plenum-udp-relay relay` ([`relay`]): one socket, one thread; forwards every
//!   datagram of the publisher to every joined receiver with `recvmmsg` and
//!   `sendmmsg` batches ([`mmsg`]). No SRTP, no RTCP, no per-receiver state
//!   beyond an address, so its CPU time per forwarded packet is the floor under
//!   any SFU's.
//! - `plenum-udp-relay load` ([`load`]): a publisher thread sending
//!   plenum-loadtest's built-in VP8 + Opus clip as plain RTP in real time
//!   ([`sender`], [`packetize`], [`rtp`]) and N receiver sockets on one epoll
//!   thread ([`receiver`]) counting packets, sequence gaps and RFC 3550 jitter
//!   ([`reception`], [`unwrap`]). The report ([`report`]) is plenum-loadtest's
//!   `Report` computed by its own code, plus the relay's RSS ([`procfs`]).
//!
//! The control protocol ([`control`]) is three ASCII words: receivers send
//! `JOIN` (and `LEAVE`), the publisher `PUBLISH`.
//!
//! Run (both pinned, as the benchmark does; all traffic on loopback):
//!
//! ```sh
//! cargo build --release -p plenum-udp-relay
//! taskset -c 1 target/release/plenum-udp-relay relay --listen 127.0.0.1:9000 &
//! taskset -c 0 target/release/plenum-udp-relay load --relay 127.0.0.1:9000 \
//!     --subscribers 100 --duration 5 --node-pid $! --json
//! kill %1
//! ```
//!
//! or `bench/sfu-vs-janus.sh`, which runs it in a network namespace next to Plenum and Janus.

pub mod control;
pub mod limits;
pub mod load;
pub mod mmsg;
pub mod packetize;
pub mod procfs;
pub mod receiver;
pub mod receivers;
pub mod reception;
pub mod relay;
pub mod report;
pub mod rtp;
pub mod sender;
pub mod signal;
pub mod sockaddr;
pub mod unwrap;

pub use load::{LoadConfig, LoadError, run};
pub use relay::{Relay, RelayConfig, RelayCounters};
pub use report::RelayReport;
