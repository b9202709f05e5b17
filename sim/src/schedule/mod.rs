//! Whole schedules for property-based search: what proptest generates, shrinks
//! and, on a failure, keeps as a scenario file.
//!
//! A [`Schedule`] is a smaller, more regular language than a [`Scenario`](crate::Scenario): 1 to 4
//! agents, each connecting and then running a list of [`AgentOp`]s; [`WorldOp`]s
//! at points in simulated time (pushes, partitions, holds, a hub bounce); the
//! hub's heartbeat timeout and write deadline; every chaos knob; the tick; and the
//! simulation seed. Every op becomes one scenario step, and [`Schedule::steps`]
//! counts the scenario's steps.
//!
//! - [`strategy`]: the proptest strategies (shrinking: fewer agents and steps,
//!   shorter waits, chaos knobs to 0, defaults for the hub's limits).
//! - `to_scenario`: [`Schedule::to_scenario`].
//! - `minimize`: a second shrinking pass that revisits every step after
//!   proptest's greedy one.
//! - [`save`](mod@save): a failing schedule as a scenario TOML file with its replay commands.
//! - [`search`](mod@search): the search itself (proptest's `TestRunner`, seeded, no OS
//!   randomness), shared by `tests/interleavings.rs` and `wsrace fuzz`.

use std::fmt;

use crate::chaos::ChaosConfig;
use crate::scenario::HeartbeatKind;

mod minimize;
pub mod save;
pub mod search;
pub mod strategy;
mod to_scenario;

pub use save::{save, Saved};
pub use search::{search, Found, SearchConfig, SearchOutcome};

/// One generated interleaving. See the module doc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Agents `a1`, `a2`, ... in order; each connects first, then runs its ops.
    pub agents: Vec<AgentPlan>,
    /// Harness actions at points in simulated time.
    pub world: Vec<WorldOp>,
    /// turmoil tick.
    pub tick_ms: u64,
    /// The server's heartbeat timeout.
    pub heartbeat_timeout_ms: u64,
    /// The server's write deadline.
    pub write_deadline_ms: u64,
    /// The chaos transport around every server-side stream.
    pub chaos: ChaosConfig,
    /// The simulation seed (turmoil, tokio, chaos and agent RNGs).
    pub seed: u64,
}

/// One agent's script after its implicit first `connect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentPlan {
    pub ops: Vec<AgentOp>,
}

/// One agent step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentOp {
    /// Stop heartbeating for a while (the connection is still read).
    Wait { ms: u64 },
    /// A burst of `count` heartbeats, `every_ms` apart.
    Heartbeat {
        every_ms: u64,
        count: u32,
        kind: HeartbeatKind,
    },
    /// Close with `code`, wait for the server's Close.
    Close { code: u16 },
    /// Hang up without a Close frame.
    Hangup,
    /// Open a new connection while the old one may still be live.
    Reconnect,
    /// One text message of `len` bytes.
    SendData { len: usize },
    /// Raw bytes on the wire (`wire.grammar` leaves what follows to the script).
    Garbage { bytes: Vec<u8> },
    /// Stop reading: the server's writes back up.
    StopReading,
    /// Read again.
    ResumeReading,
}

/// A harness action at `at_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldOp {
    pub at_ms: u64,
    pub kind: WorldKind,
}

/// What the harness does. `agent` is an index into the schedule's agents,
/// taken modulo their number (so it stays valid while agents shrink away).
/// Link faults act on the link between `hub` and that agent's own host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorldKind {
    /// The server pushes a message to the agent.
    Push {
        agent: usize,
    },
    /// Queue the agent's segments (a stalled link).
    Hold {
        agent: usize,
    },
    Release {
        agent: usize,
    },
    /// Lose the agent's segments: the agent goes silent, half-open.
    Partition {
        agent: usize,
    },
    Repair {
        agent: usize,
    },
    /// Crash and restart the server (every connection ends at once).
    BounceHub,
}

impl WorldKind {
    /// The agent whose link this cuts, if it is a link fault.
    pub(crate) fn link_agent(&self) -> Option<usize> {
        match *self {
            WorldKind::Hold { agent }
            | WorldKind::Release { agent }
            | WorldKind::Partition { agent }
            | WorldKind::Repair { agent } => Some(agent),
            WorldKind::Push { .. } | WorldKind::BounceHub => None,
        }
    }
}

impl Schedule {
    /// Total steps: the converted scenario's agent script steps (each agent's
    /// `connect` and its ops) plus its world steps.
    pub fn steps(&self) -> usize {
        self.agents
            .iter()
            .map(|a| to_scenario::script(a).len())
            .sum::<usize>()
            + self.world.len()
    }

    /// Agent name for index `i` (`a1`, `a2`, ...).
    pub fn agent_name(i: usize) -> String {
        format!("a{}", i + 1)
    }
}

/// One line per step, then the settings: what a person reads in a test log.
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "schedule: {} steps, seed {}, tick {} ms, heartbeat timeout {} ms, write deadline {} ms",
            self.steps(),
            self.seed,
            self.tick_ms,
            self.heartbeat_timeout_ms,
            self.write_deadline_ms
        )?;
        for (i, a) in self.agents.iter().enumerate() {
            let ops: Vec<String> = std::iter::once("connect".to_owned())
                .chain(a.ops.iter().map(|o| format!("{o:?}")))
                .collect();
            writeln!(f, "  {}: {}", Self::agent_name(i), ops.join(", "))?;
        }
        for w in &self.world {
            writeln!(f, "  world at {} ms: {:?}", w.at_ms, w.kind)?;
        }
        if self.chaos != ChaosConfig::default() {
            writeln!(f, "  chaos: {:?}", self.chaos)?;
        }
        Ok(())
    }
}
