//! wsrace-zoo: known-bad hub designs that the harness must catch.
//!
//! Each [`Design`] models one way the incident's hub (see `incident.md`) broke,
//! or one way Rust code reaches the same failure: writers and closers sharing one
//! stream without ordering, so a frame is torn and the agent reads payload as a
//! header ("RSV1 set, bad opcode 7, bad MASK"). They are test fixtures: nothing
//! in the hub depends on them. [`ZooHub`] has the hub's public shape (`new`,
//! `serve`, `send`, `agents`, `shutdown`) and emits the hub's events, so the
//! simulation can serve a design in place of the hub and judge it the same way.
//! The handshake, frame reader and frame encoding are the hub's own
//! ([`wsrace_hub::parts`]); only how bytes reach the wire differs.
//!
//! # Where to start reading
//!
//! - `design.rs`: the designs, what each gets wrong, the oracle that must catch it.
//! - `paths.rs`: the Go handler's four paths (HandleCCConnection, writeLoop,
//!   handleAgentMessages, monitorConnection), shared by all designs.
//! - `conn.rs`: how a connection ends in each design (`ZooConn::end`).
//! - `wire.rs`: the shared write half: a lock per `write` call, Go's `Close()`.
//!
//! # Modules
//!
//! - `hub`: [`ZooHub`]: accept loop, numbering, registry, shutdown.
//! - [`events`]: the `task{conn, role}` spans and their Go role names.
//!
//! # Determinism
//!
//! `tokio::time` only, ordered maps only, connections numbered in accept order,
//! no threads of its own: under a deterministic runtime a design is deterministic.

mod conn;
mod design;
pub mod events;
mod hub;
mod paths;
mod wire;

pub use design::{Design, UnknownDesign};
pub use hub::ZooHub;
