//! What one simulated run leaves behind: the trace, every byte on every
//! connection with who wrote it, the faults, the pushes. Oracles judge a
//! [`RunRecord`] after the run; nothing in here refers back to live objects,
//! so a record can be checked, printed and compared at leisure.

use std::collections::BTreeMap;
use std::time::Duration;

/// One line of the trace, in emission order (never sorted by time: hosts run
/// one after another within a step, so time is not monotonic across hosts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// Position in emission order, from 0.
    pub seq: u64,
    /// Simulated time since the start of the run.
    pub at: Duration,
    /// turmoil host the event came from (`hub`, `agents`, `a1`, ...), or `sim`
    /// for the harness's driver.
    pub host: String,
    /// Who emitted it: `hub` (the server's `wsrace_hub` events), `agent`, `chaos`,
    /// `fault`, `sim`.
    pub source: String,
    /// The event name, e.g. `conn.registered`, `agent.connected`.
    pub name: String,
    /// Fields in emission order, values in their `Display` form.
    pub fields: Vec<(String, String)>,
}

impl TraceEvent {
    /// The value of field `key`, if present.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Field `key` parsed as a number.
    pub fn num(&self, key: &str) -> Option<u64> {
        self.field(key)?.parse().ok()
    }
}

/// Which way bytes travel on a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Way {
    /// Server to agent.
    S2c,
    /// Agent to server.
    C2s,
}

/// One write as the writer issued it (after the chaos transport decided how
/// much of it went through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteSpan {
    /// Stream offset of the first byte written.
    pub start: u64,
    /// Stream offset one past the last byte written.
    pub end: u64,
    /// Simulated time of the write.
    pub at: Duration,
    /// Who wrote: a stable label such as `hub conn#3 writer`, `zoo conn#3 heartbeat`,
    /// `agent a1`. Never a raw tokio task id (those differ between runs).
    pub writer: String,
}

/// The bytes of one direction of one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tap {
    /// Every byte written, in order, as the writer's side saw it leave.
    pub written: Vec<u8>,
    /// Who wrote which bytes of `written`.
    pub writes: Vec<WriteSpan>,
    /// Every byte the reader received, in order (a prefix of `written`, shorter
    /// when a fault cut the stream).
    pub received: Vec<u8>,
    /// How the reader's side ended.
    pub reader_end: ReaderEnd,
    /// Simulated time the reader's side ended (`None` while it is still open).
    pub ended_at: Option<Duration>,
    /// The reader stopped reading on purpose (an agent's `stop_reading`) at this
    /// time and had not resumed by the end of the run; `None` if it never stopped
    /// or read again afterwards. Bytes written after that point may be sitting
    /// unread in the network: the reader's view of the stream's end says nothing.
    pub stopped_reading_at: Option<Duration>,
}

/// How a reader stopped reading a direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ReaderEnd {
    /// Still reading when the run ended (quiescence or the time limit).
    #[default]
    StillOpen,
    /// A clean end of stream (FIN).
    Eof,
    /// The transport failed: reset, broken pipe, or an injected read error.
    Error(String),
    /// The reader chose to stop (an agent that stopped reading or closed).
    Stopped,
}

/// Something the harness did to the network or a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// When it took effect.
    pub at: Duration,
    /// Stable kind: `partition`, `repair`, `hold`, `release`, `crash`, `bounce`,
    /// `latency`, `chaos.read_error`, `chaos.reset`, `chaos.stall`.
    pub kind: String,
    /// The connections it can explain an abnormal ending of (empty: all
    /// connections of the hosts in `hosts`).
    pub conns: Vec<u64>,
    /// The hosts it touched.
    pub hosts: Vec<String>,
}

/// One connection, numbered by the harness in connect order (from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnRecord {
    /// Harness connection number, from 1, in connect order.
    pub id: u64,
    /// The agent that opened it.
    pub agent: String,
    /// The turmoil host that agent runs on (`agents`, or a host of its own).
    pub host: String,
    /// The server's own number for it (the hub's `conn` field), once known.
    pub server_conn: Option<u64>,
    /// Which incarnation of the server numbered it: 0 for the first, one more
    /// after each crash or bounce of the server's host (a new server numbers its
    /// connections from 1 again, so `server_conn` alone is ambiguous).
    pub server_incarnation: u64,
    /// Simulated time of the connect.
    pub opened_at: Duration,
    /// Bytes server to agent.
    pub s2c: Tap,
    /// Bytes agent to server.
    pub c2s: Tap,
    /// The agent began the close (sent a Close frame, or hung up on purpose).
    pub agent_initiated_close: bool,
    /// Whether the upgrade succeeded (101).
    pub upgraded: bool,
}

/// A `send` the harness asked the server to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    /// When it was asked for.
    pub at: Duration,
    /// Target agent.
    pub agent: String,
    /// The push's number in the run, from 1 (the `seq` in its payload).
    pub seq: u64,
    /// Unique payload (text), so arrival can be matched exactly.
    pub payload: String,
    /// Whether the server accepted it (`Ok` from `send`).
    pub accepted: bool,
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunEnd {
    /// Simulated time at the end.
    pub at: Duration,
    /// Every agent's script finished and the network went idle before the limit.
    pub quiescent: bool,
    /// What was still pending when the run stopped without quiescence, one line
    /// each (`agent a1: waiting for Close since 12.3s`, ...).
    pub pending: Vec<String>,
}

/// The server-side limits that bound liveness checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub heartbeat_timeout: Duration,
    pub write_deadline: Duration,
    pub close_deadline: Duration,
    /// Slack for tick rounding and latency.
    pub slack: Duration,
}

/// Everything an oracle may look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunRecord {
    pub scenario: String,
    pub server: String,
    pub seed: u64,
    pub trace: Vec<TraceEvent>,
    pub conns: Vec<ConnRecord>,
    pub faults: Vec<Fault>,
    pub pushes: Vec<Push>,
    /// What each agent received as text messages that are pushes, in order.
    pub received_pushes: BTreeMap<String, Vec<String>>,
    /// The server's view of registered agents at the end (`agent -> server conn`),
    /// when the server can report it.
    pub registry_at_end: Option<BTreeMap<String, u64>>,
    /// Tasks still alive on the server host at the end, beyond those it had
    /// before any connection, when the runtime can report it.
    pub extra_tasks_at_end: Option<usize>,
    pub bounds: Bounds,
    pub end: RunEnd,
}
