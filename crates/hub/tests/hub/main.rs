//! The hub over in-memory duplex streams, on tokio's paused clock: a 120 s timeout
//! takes no wall time, and every byte the hub writes is checked by `wsrace-frame`
//! as the test agent receives it.

mod support;

// The HTTP upgrade: 101, 401 without a valid token, 400, the handshake deadline.
mod handshake;
// Ping -> Pong, JSON heartbeat -> ack, the heartbeat timeout.
mod heartbeat;
// Bad input from the agent: each class of read error and its close code.
mod read_errors;
// Reconnect replacement, pushes, the registry snapshot.
mod registry;
// Ending connections: hub shutdown, slow consumers, writers stuck on a full transport.
mod shutdown;
// The event schema and the tokens file, seen from outside the crate.
mod api;
