//! Limits and deadlines. Every field has a default; every await on the network is
//! bounded by one of these.

use std::time::Duration;

/// How the hub bounds memory and time per connection.
///
/// Build one with [`Config::default`] and change the fields you care about:
///
/// ```
/// let mut config = wsrace_hub::Config::default();
/// config.heartbeat_timeout = std::time::Duration::from_secs(30);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Largest payload of one frame an agent may send. Bigger: Close 1009.
    /// Default 1 MiB.
    pub max_frame_size: u64,
    /// Largest message (all fragments together) an agent may send. Bigger: Close 1009.
    /// Default 1 MiB.
    pub max_message_size: u64,
    /// Capacity of a connection's outbound queue (pushes, pongs, heartbeat replies).
    /// When it is full the agent is a slow consumer and its connection is closed, so
    /// memory per connection stays below about `outbound_queue` messages.
    /// Default 64; 0 is treated as 1.
    pub outbound_queue: usize,
    /// Longest time one frame (or the transport shutdown) may take to write and flush.
    /// A write that misses it is abandoned and the connection ends abnormally.
    /// Default 10 s.
    pub write_deadline: Duration,
    /// Longest time from accept to a complete upgrade request. Default 10 s.
    pub handshake_deadline: Duration,
    /// After the hub has sent its Close frame, how long it waits for the agent's
    /// Close (or EOF) before shutting the transport anyway. Default 5 s.
    pub close_deadline: Duration,
    /// An agent that sends no heartbeat (WebSocket Ping or JSON heartbeat) for this
    /// long is closed with 1001 "heartbeat timeout". Default 120 s.
    pub heartbeat_timeout: Duration,
    /// Largest HTTP upgrade request head accepted. Default 16 KiB.
    pub max_request_head: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_size: 1 << 20,
            max_message_size: 1 << 20,
            outbound_queue: 64,
            write_deadline: Duration::from_secs(10),
            handshake_deadline: Duration::from_secs(10),
            close_deadline: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(120),
            max_request_head: 16 * 1024,
        }
    }
}

impl Config {
    /// The queue capacity actually used: tokio's bounded channel needs at least one slot.
    pub(crate) fn queue_capacity(&self) -> usize {
        self.outbound_queue.max(1)
    }
}
