//! wsrace-hub: the agent hub, a WebSocket handler core over an abstract transport.
//!
//! Agents connect with `Authorization: Bearer <token>`, heartbeat (WebSocket Ping or
//! a JSON heartbeat), and receive pushes from [`Hub::send`]. The hub is the design the
//! incident in `incident.md` should have had: per connection exactly one task writes
//! bytes; whoever decides a connection ends sends it a shutdown *message*; the writer
//! finishes the frame in progress, writes a Close frame at a frame boundary and shuts
//! the transport; the connection's tasks are joined before its registry entry goes. No
//! sleep orders anything. A write stuck past its deadline is abandoned and reported
//! (`write.aborted`), and nothing is ever written after it.
//!
//! It runs on tokio only and never names a simulator: anything implementing
//! [`Listener`] can feed it (tokio TCP, [`MemoryListener`] for tests, a simulated
//! network elsewhere). It uses `tokio::time` only, iterates only ordered maps and
//! numbers connections in accept order, so under a deterministic runtime it is
//! deterministic.
//!
//! # Where to start reading
//!
//! - `hub.rs`: [`Hub`], the public handle: `new`, `serve`, `send`, `agents`, `shutdown`.
//! - `conn/mod.rs`: one connection's supervisor; then `conn/state.rs` (the
//!   lifecycle as data), `conn/writer.rs` (the only writer) and `conn/reader.rs`.
//!
//! # Modules
//!
//! - [`config`]: limits and deadlines, with defaults.
//! - [`tokens`]: the tokens file; a token decides the agent id.
//! - [`listener`]: the [`Listener`] trait; TCP and in-memory implementations.
//! - `handshake`: the HTTP/1.1 upgrade, auth (401) and request checks (400).
//! - `registry`: agent id -> current connection; replace and compare-and-remove.
//! - `conn`: supervisor, reader, writer, lifecycle state, JSON heartbeat parsing.
//! - [`reason`]: why a connection ends, the Close code for each reason, how it ended.
//! - [`events`]: the `tracing` event and span schema (names and fields are stable API).
//! - [`parts`]: the handshake, frame reader and frame encoding, lent to other hub
//!   designs (the zoo).
//! - `ids`, `message`: small value types.
//!
//! # Protocol summary
//!
//! - Heartbeats: a Ping gets a Pong with the same payload; a text message
//!   `{"type":"heartbeat","seq":N}` gets `{"type":"heartbeat_ack","seq":N}`. Either
//!   resets the heartbeat deadline ([`Config::heartbeat_timeout`], default 120 s).
//!   Other agent messages are reported as `message.received` events and otherwise
//!   ignored; unsolicited Pongs are ignored.
//! - Close codes are listed per reason in [`reason`].

pub mod config;
pub mod events;
mod handshake;
mod hub;
mod ids;
pub mod listener;
mod message;
pub mod parts;
pub mod reason;
mod registry;
pub mod tokens;

mod conn;

pub use config::Config;
pub use hub::{Hub, SendError};
pub use ids::{AgentId, ConnId};
pub use listener::{memory_listener, Listener, MemoryConnector, MemoryListener};
pub use message::Message;
pub use reason::{ConnEnd, ShutdownReason};
pub use tokens::{Tokens, TokensError};
