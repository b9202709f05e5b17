//! proptest strategies for [`Schedule`]s.
//!
//! Shrinking is what makes a found failure readable, so every part is built to
//! shrink toward the simplest schedule that still fails:
//! - lists are `prop::collection::vec` (shrinks by removing elements): 1 to 4
//!   agents, 0 to 6 ops each, 0 to 6 world steps;
//! - numbers are ranges starting at 0 (or 1 where 0 means nothing);
//! - every choice is a `prop_oneof!` with the simplest alternative first (a
//!   wait before a heartbeat, the hub's default timeout before a short one,
//!   chaos off before chaos on, each chaos knob 0 before a rate);
//! - the simulation seed does not shrink: a smaller seed is not a simpler run.

use proptest::collection::vec;
use proptest::prelude::*;

use super::{AgentOp, AgentPlan, Schedule, WorldKind, WorldOp};
use crate::chaos::ChaosConfig;
use crate::scenario::HeartbeatKind;

/// Most agents in a schedule.
pub const MAX_AGENTS: usize = 4;
/// Most ops per agent after its `connect`.
pub const MAX_OPS: usize = 6;
/// Most world steps.
pub const MAX_WORLD: usize = 6;
/// Latest world step.
pub const MAX_AT_MS: u64 = 4_000;

/// A whole schedule.
pub fn schedule() -> impl Strategy<Value = Schedule> {
    (
        vec(agent_plan(), 1..=MAX_AGENTS),
        vec(world_op(), 0..=MAX_WORLD),
        tick_ms(),
        heartbeat_timeout_ms(),
        write_deadline_ms(),
        chaos(),
        (0u64..1 << 32).no_shrink(),
    )
        .prop_map(
            |(agents, world, tick_ms, heartbeat_timeout_ms, write_deadline_ms, chaos, seed)| {
                Schedule {
                    agents,
                    world,
                    tick_ms,
                    heartbeat_timeout_ms,
                    write_deadline_ms,
                    chaos,
                    seed,
                }
            },
        )
}

/// One agent's ops after its `connect`.
pub fn agent_plan() -> impl Strategy<Value = AgentPlan> {
    vec(agent_op(), 0..=MAX_OPS).prop_map(|ops| AgentPlan { ops })
}

/// One agent op, simplest first.
pub fn agent_op() -> impl Strategy<Value = AgentOp> {
    prop_oneof![
        3 => (0u64..=3_000).prop_map(|ms| AgentOp::Wait { ms }),
        4 => (1u32..=5, 1u64..=1_000, heartbeat_kind()).prop_map(|(count, every_ms, kind)| {
            AgentOp::Heartbeat { every_ms, count, kind }
        }),
        1 => prop_oneof![Just(1000u16), Just(1001), Just(4000)]
            .prop_map(|code| AgentOp::Close { code }),
        1 => Just(AgentOp::Hangup),
        2 => Just(AgentOp::Reconnect),
        1 => (0usize..=300).prop_map(|len| AgentOp::SendData { len }),
        1 => vec(any::<u8>(), 1..=16).prop_map(|bytes| AgentOp::Garbage { bytes }),
        1 => Just(AgentOp::StopReading),
        1 => Just(AgentOp::ResumeReading),
    ]
}

fn heartbeat_kind() -> impl Strategy<Value = HeartbeatKind> {
    prop_oneof![Just(HeartbeatKind::Ping), Just(HeartbeatKind::Json)]
}

/// One world step, simplest first (a push before a link fault).
pub fn world_op() -> impl Strategy<Value = WorldOp> {
    let agent = || 0usize..MAX_AGENTS;
    let kind = prop_oneof![
        6 => agent().prop_map(|agent| WorldKind::Push { agent }),
        1 => agent().prop_map(|agent| WorldKind::Hold { agent }),
        1 => agent().prop_map(|agent| WorldKind::Release { agent }),
        1 => agent().prop_map(|agent| WorldKind::Partition { agent }),
        1 => agent().prop_map(|agent| WorldKind::Repair { agent }),
        1 => Just(WorldKind::BounceHub),
    ];
    (0u64..=MAX_AT_MS, kind).prop_map(|(at_ms, kind)| WorldOp { at_ms, kind })
}

/// The default 10 ms first; finer ticks move data sooner and cost more.
pub fn tick_ms() -> impl Strategy<Value = u64> {
    prop_oneof![6 => Just(10u64), 2 => Just(5), 1 => Just(1)]
}

/// The hub's default 120 s first; short timeouts bring the heartbeat monitor in.
pub fn heartbeat_timeout_ms() -> impl Strategy<Value = u64> {
    prop_oneof![Just(120_000u64), 200u64..=3_000]
}

/// The hub's default 10 s first; short deadlines meet stalled writes.
pub fn write_deadline_ms() -> impl Strategy<Value = u64> {
    prop_oneof![2 => Just(10_000u64), 1 => 50u64..=2_000]
}

/// A rate in per mille: 0 first.
fn knob(max: u32) -> impl Strategy<Value = u32> {
    prop_oneof![Just(0u32), 1..=max]
}

/// Chaos off first; otherwise every knob on its own, each shrinking to 0, and
/// delay ranges shrinking toward short. Stalls reach 600 ms, past the incident's
/// 100 ms sleep.
pub fn chaos() -> impl Strategy<Value = ChaosConfig> {
    let on = (
        knob(1000),
        (knob(300), 1u64..=50, 0u64..=50),
        (knob(500), 1u64..=300, 0u64..=300),
        knob(1000),
        knob(300),
        knob(20),
        knob(10),
    )
        .prop_map(
            |(
                short,
                (pending, p_min, p_span),
                (stall, s_min, s_span),
                coalesce,
                split,
                err,
                reset,
            )| {
                let range = |rate: u32, min: u64, span: u64| {
                    if rate == 0 {
                        (0, 0)
                    } else {
                        (min, min + span)
                    }
                };
                let (pending_min_ms, pending_max_ms) = range(pending, p_min, p_span);
                let (stall_min_ms, stall_max_ms) = range(stall, s_min, s_span);
                ChaosConfig {
                    short_write_per_mille: short,
                    pending_per_mille: pending,
                    pending_min_ms,
                    pending_max_ms,
                    stall_per_mille: stall,
                    stall_min_ms,
                    stall_max_ms,
                    coalesce_per_mille: coalesce,
                    split_read_per_mille: split,
                    read_error_per_mille: err,
                    reset_per_mille: reset,
                }
            },
        );
    prop_oneof![1 => Just(ChaosConfig::default()), 3 => on]
}
