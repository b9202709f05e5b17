//! The hub's building blocks, lent to other hub designs: the zoo's known-bad
//! designs (`wsrace-zoo`) are built from these so that they differ from the hub
//! only where their flaw is. The hub itself uses exactly these functions.
//!
//! - [`accept`]: the HTTP upgrade with bearer-token auth ([`Upgraded`] or
//!   [`Rejected`]), under `handshake_deadline`.
//! - [`FrameReader`]: the agent's bytes to [`Incoming`] frames and messages,
//!   checked by `wsrace-frame` with the hub's size limits.
//! - [`heartbeat_ack`]: the reply to a JSON heartbeat, if a text is one.
//! - [`message_frame`], [`pong_frame`], [`CloseFrame::encode`] (from
//!   [`ShutdownReason::close_frame`](crate::ShutdownReason::close_frame)): the
//!   bytes the writer puts on the wire.
//! - [`Registry`]: agent -> current connection, replace and compare-and-remove,
//!   emitting `conn.registered` / `conn.replaced`.
//!
//! Events and spans are not here: see [`events`](crate::events) for the schema
//! other designs must emit to be judged like the hub.

pub use crate::conn::inbound::{FrameReader, Incoming};
pub use crate::handshake::{accept, Rejected, Rejection, Upgraded};
pub use crate::reason::CloseFrame;
pub use crate::registry::{Entry, Registry, ShuttingDown};

use crate::Message;

/// `Some(reply)` if `text` is a JSON heartbeat (`{"type":"heartbeat","seq":N}`):
/// the `{"type":"heartbeat_ack","seq":N}` the hub answers it with.
pub fn heartbeat_ack(text: &str) -> Option<String> {
    crate::conn::heartbeat::parse(text).map(|hb| hb.ack())
}

/// `message` as one unmasked frame with FIN set.
pub fn message_frame(message: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    wsrace_frame::encode::frame(&mut out, true, message.opcode(), None, message.payload());
    out
}

/// The Pong answering a Ping with `payload`.
pub fn pong_frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    wsrace_frame::encode::frame(&mut out, true, wsrace_frame::opcode::PONG, None, payload);
    out
}
