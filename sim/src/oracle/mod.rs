//! Oracles: judges of a finished run. Each has a stable id (scenario files and
//! reports name it) and looks only at a [`RunRecord`], never at live objects, so
//! a verdict can be recomputed from a saved record.
//!
//! | id                | checks                                                      |
//! |-------------------|-------------------------------------------------------------|
//! | `wire.grammar`    | both directions parse as RFC 6455 frames ([`wire_grammar`]) |
//! | `wire.close`      | every s2c ending is a Close frame or is explained ([`wire_close`]) |
//! | `hub.registry`    | one live connection per agent, newest wins ([`registry`])  |
//! | `hub.liveness`    | timeouts and shutdowns keep their bounds ([`liveness`])     |
//! | `hub.tasks`       | no task or event outlives its connection ([`tasks`])        |
//! | `hub.delivery`    | accepted pushes arrive in order, at most once ([`delivery`]) |
//! | `sim.determinism` | two traces of one seed are equal ([`determinism`])          |
//!
//! Start with [`check_all`]; [`Finding`] is what every oracle returns and what
//! [`crate::report`] renders.

use std::fmt;
use std::time::Duration;

use crate::record::{RunRecord, Way};

pub mod delivery;
pub mod determinism;
mod facts;
pub mod liveness;
pub mod registry;
mod scan;
pub mod tasks;
pub mod wire_close;
pub mod wire_grammar;

#[cfg(test)]
mod tests;

pub use determinism::{first_difference, TraceDiff};
pub use facts::secs;
pub use scan::{scan, Scan, ScanEnd};

/// Stable oracle ids.
pub mod id {
    pub const WIRE_GRAMMAR: &str = "wire.grammar";
    pub const WIRE_CLOSE: &str = "wire.close";
    pub const HUB_REGISTRY: &str = "hub.registry";
    pub const HUB_LIVENESS: &str = "hub.liveness";
    pub const HUB_TASKS: &str = "hub.tasks";
    pub const HUB_DELIVERY: &str = "hub.delivery";
    pub const SIM_DETERMINISM: &str = "sim.determinism";
}

/// Which peer wrote the bytes a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The server under test (the s2c direction).
    Server,
    /// The scripted agent (the c2s direction).
    Agent,
}

impl Side {
    /// The writer of a direction: s2c is written by the server, c2s by the agent.
    pub fn of(way: Way) -> Side {
        match way {
            Way::S2c => Side::Server,
            Way::C2s => Side::Agent,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Server => "server",
            Side::Agent => "agent",
        })
    }
}

/// Where on the wire a finding points: enough for the report to draw a hexdump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireSpot {
    /// The direction.
    pub way: Way,
    /// Offset of the first bad byte (or of the stream's end for a cut-short
    /// stream), counted from the first WebSocket byte, as in the checker's
    /// [`Violation`](wsrace_frame::Violation).
    pub offset: u64,
    /// The checker's diagnostic, when a rule was broken.
    pub violation: Option<wsrace_frame::Violation>,
}

/// One thing an oracle found wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The oracle's id (see [`id`]).
    pub oracle: &'static str,
    /// The harness connection number ([`ConnRecord::id`](crate::record::ConnRecord::id)).
    pub conn: Option<u64>,
    /// Simulated time it happened (or was detected) at.
    pub at: Option<Duration>,
    /// One line.
    pub summary: String,
    /// Multi-line specifics (expected/got, pending lines, ...); may be empty.
    pub details: String,
    /// Which side wrote the first bad byte.
    pub side: Option<Side>,
    /// Who wrote the first bad byte (a [`WriteSpan`](crate::record::WriteSpan) label).
    pub writer: Option<String>,
    /// Who wrote the bytes of the frame before it, in stream order without repeats:
    /// a torn frame is usually two writers interleaved.
    pub prev_writers: Vec<String>,
    /// The bytes it is about, for wire oracles.
    pub wire: Option<WireSpot>,
}

impl Finding {
    /// A finding with just the essentials; oracles fill in the rest.
    pub fn new(
        oracle: &'static str,
        conn: Option<u64>,
        at: Option<Duration>,
        summary: String,
    ) -> Self {
        Finding {
            oracle,
            conn,
            at,
            summary,
            details: String::new(),
            side: None,
            writer: None,
            prev_writers: Vec::new(),
            wire: None,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.oracle)?;
        if let Some(conn) = self.conn {
            write!(f, " conn #{conn}")?;
        }
        if let Some(at) = self.at {
            write!(f, " at {}", facts::secs(at))?;
        }
        write!(f, ": {}", self.summary)
    }
}

/// An oracle over one run.
pub trait Oracle {
    /// Stable id, one of [`id`].
    fn id(&self) -> &'static str;
    /// Everything wrong with `run`, in a deterministic order; empty when it passes.
    fn check(&self, run: &RunRecord) -> Vec<Finding>;
}

/// Every single-run oracle, in the order [`check_all`] runs them: the wire first
/// (the bytes are the ground truth), then the hub's invariants. `sim.determinism`
/// compares two runs and is called on its own ([`determinism::check`]).
pub fn all() -> [&'static dyn Oracle; 6] {
    [
        &wire_grammar::WireGrammar,
        &wire_close::WireClose,
        &registry::HubRegistry,
        &liveness::HubLiveness,
        &tasks::HubTasks,
        &delivery::HubDelivery,
    ]
}

/// The oracle with this id, if it judges single runs.
pub fn by_id(id: &str) -> Option<&'static dyn Oracle> {
    all().into_iter().find(|o| o.id() == id)
}

/// Runs every oracle of [`all`] on `run`: findings in oracle order, each oracle's
/// in its own (connection, then trace) order.
pub fn check_all(run: &RunRecord) -> Vec<Finding> {
    all().iter().flat_map(|o| o.check(run)).collect()
}
