//! The hub's `tracing` events: a stable, documented schema.
//!
//! Every event has target [`TARGET`] (`"wsrace_hub"`) and a field `event` holding
//! one of the names in [`EVENTS`]; its other fields are exactly the ones listed
//! there, in that order. Consumers (the simulation's oracles and traces, log
//! pipelines) filter on `target == "wsrace_hub"` and match on `event`. Names and
//! fields are API: add new events, do not rename or drop fields.
//!
//! Field types: `conn`, `by` are connection numbers (u64, 1-based, in accept
//! order); `agent`, `peer`, `reason`, `end`, `kind`, `error` are strings; `opcode`
//! (u8, RFC 6455 opcode), `len`, `wire` and `written` (u64, bytes), `code` and `status`
//! (u16) are numbers. A Close frame without a status code is reported as code
//! 1005, RFC 6455's "no status received" (1005 never appears on the wire).
//!
//! `reason` on `shutdown.begun` and `conn.closed` is
//! [`ShutdownReason::as_str`](crate::ShutdownReason::as_str); `end` is
//! [`ConnEnd::as_str`](crate::ConnEnd::as_str).
//!
//! # Spans
//!
//! Spans are part of the stable schema too. Every task the hub spawns for a
//! connection runs inside a span named [`TASK_SPAN`] (`"task"`, target
//! [`TARGET`], level info) with exactly two fields: `conn` (u64, as in the events)
//! and `role` (a string from [`TASK_ROLES`]). A byte tap in the transport can ask
//! for the current span to say which task wrote which bytes; events emitted by a
//! task are inside its span. Other servers (the zoo) use the same span name and
//! fields with their own target and roles.

/// The `target` of every hub event.
pub const TARGET: &str = "wsrace_hub";

/// Name of the span every per-connection task runs in.
pub const TASK_SPAN: &str = "task";

/// The hub's task roles: `supervisor` (handshake, registration, joins the other
/// two; writes only the HTTP response), `reader` (never writes), `writer` (every
/// frame).
pub const TASK_ROLES: &[&str] = &["supervisor", "reader", "writer"];

/// The span a hub task for connection `conn` runs in.
pub(crate) fn task_span(conn: u64, role: &'static str) -> tracing::Span {
    tracing::info_span!(target: TARGET, "task", conn, role)
}

/// One event in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventSpec {
    /// Value of the `event` field.
    pub name: &'static str,
    /// The other fields, in order.
    pub fields: &'static [&'static str],
    /// `tracing` level it is emitted at.
    pub level: &'static str,
    /// When it happens.
    pub meaning: &'static str,
}

macro_rules! spec {
    ($name:literal, [$($f:literal),*], $level:literal, $meaning:literal) => {
        EventSpec { name: $name, fields: &[$($f),*], level: $level, meaning: $meaning }
    };
}

/// Every event the hub emits.
pub const EVENTS: &[EventSpec] = &[
    spec!(
        "conn.accepted",
        ["conn", "peer"],
        "info",
        "the listener returned a new stream"
    ),
    spec!(
        "handshake.rejected",
        ["conn", "peer", "reason", "status"],
        "info",
        "the upgrade failed; `status` is the HTTP status sent (401, 400) or 0 if none was \
         sent (timeout, hub shutdown, transport error); reason is one of `missing-token`, \
         `bad-token`, `bad-request`, `head-too-large`, `timeout`, `eof`, `io`, `hub-shutdown`"
    ),
    spec!(
        "conn.registered",
        ["conn", "agent"],
        "info",
        "upgrade done; the agent's entry points at this connection"
    ),
    spec!(
        "conn.replaced",
        ["conn", "agent", "by"],
        "info",
        "a newer connection `by` of the same agent took the registry entry; `conn` will be closed"
    ),
    spec!(
        "frame.read",
        ["conn", "opcode", "len"],
        "trace",
        "a complete, valid frame arrived from the agent"
    ),
    spec!(
        "frame.written",
        ["conn", "opcode", "len"],
        "trace",
        "a whole frame was written and flushed; `len` is its payload length"
    ),
    spec!(
        "heartbeat",
        ["conn", "agent", "kind"],
        "debug",
        "a heartbeat reset the deadline; kind is `ping` or `json`"
    ),
    spec!(
        "message.received",
        ["conn", "agent", "kind", "len"],
        "debug",
        "a data message that is not a heartbeat; kind is `text` or `binary`"
    ),
    spec!(
        "heartbeat.timeout",
        ["conn", "agent"],
        "info",
        "no heartbeat within `heartbeat_timeout`"
    ),
    spec!(
        "shutdown.begun",
        ["conn", "agent", "reason"],
        "info",
        "the connection's end was decided (first reason wins; later ones are ignored)"
    ),
    spec!(
        "close.received",
        ["conn", "code"],
        "debug",
        "the agent's Close frame arrived"
    ),
    spec!(
        "close.sent",
        ["conn", "code", "reason"],
        "info",
        "the hub's Close frame was written and flushed; `reason` is the text in the frame"
    ),
    spec!(
        "write.aborted",
        ["conn", "opcode", "len", "wire", "written"],
        "warn",
        "a frame write missed `write_deadline` after `written` of its `wire` bytes (header and \
         payload; `len` is the payload); nothing more is written on this connection"
    ),
    spec!(
        "write.failed",
        ["conn", "error"],
        "warn",
        "the transport refused a write; nothing more is written"
    ),
    spec!(
        "conn.closed",
        ["conn", "agent", "reason", "end"],
        "info",
        "both tasks are joined and the registry entry (if still ours) is gone"
    ),
    spec!(
        "accept.failed",
        ["error"],
        "warn",
        "the listener returned an error; serving continues"
    ),
    spec!(
        "hub.shutdown.begun",
        ["agents"],
        "info",
        "`Hub::shutdown` started; `agents` registered (u64)"
    ),
    spec!(
        "hub.shutdown.done",
        [],
        "info",
        "every connection task has ended"
    ),
];

/// Emits one hub event: `emit!(info, "conn.accepted", conn = 1, peer = %p)`.
/// Keeps target and the `event` field uniform.
macro_rules! emit {
    ($level:ident, $name:literal $(, $($fields:tt)*)?) => {
        ::tracing::$level!(target: $crate::events::TARGET, event = $name $(, $($fields)*)?)
    };
}
pub(crate) use emit;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_are_unique() {
        let mut names: Vec<_> = EVENTS.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EVENTS.len());
    }
}
