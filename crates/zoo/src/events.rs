//! Events and spans. The zoo emits the hub's own events (target `wsrace_hub`,
//! schema in [`wsrace_hub::events`]) wherever the situation is the same, so the
//! simulation's oracles judge a zoo design exactly like the hub.
//!
//! Its per-connection tasks run in `task{conn, role}` spans like the hub's, with
//! target [`SPAN_TARGET`] (`wsrace_zoo`), so a byte tap labels their writes
//! `zoo conn#3 writeLoop`. The roles are the Go code's names ([`TASK_ROLES`]): a
//! failure report then says which Go path wrote the bad bytes.

/// Target of the zoo's `task` spans.
pub const SPAN_TARGET: &str = "wsrace_zoo";

/// The roles: the Go handler's names for its goroutines, plus `shutdown` (a
/// closer started by `ZooHub::shutdown`) and `send` (one started by a full queue).
pub const TASK_ROLES: &[&str] = &[
    "HandleCCConnection",
    "writeLoop",
    "handleAgentMessages",
    "monitorConnection",
    "shutdown",
    "send",
];

/// The span a zoo task for connection `conn` runs in.
pub(crate) fn task_span(conn: u64, role: &'static str) -> tracing::Span {
    tracing::info_span!(target: SPAN_TARGET, "task", conn, role)
}

/// `emit!(info, "conn.accepted", conn = 1, peer = p)`: one hub-schema event.
macro_rules! emit {
    ($level:ident, $name:literal $(, $($fields:tt)*)?) => {
        ::tracing::$level!(target: ::wsrace_hub::events::TARGET, event = $name $(, $($fields)*)?)
    };
}
pub(crate) use emit;
