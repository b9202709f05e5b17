//! A second shrinking pass after proptest's.
//!
//! proptest shrinks greedily down its value tree and never revisits an element
//! whose removal once made the run pass. A run is chaotic in its inputs (one
//! step less moves every later byte), so a step needed early on is often
//! removable once others are gone. This pass tries every single simplification
//! of the schedule, takes the first that still fails, and starts over, until a
//! whole round takes none or the run budget is spent.
//!
//! A step less also changes which bytes the seed's chaos hits, so a removal that
//! passes on the schedule's seed is tried on a few other seeds too: the file
//! records whichever seed fails, and the schedule a person reads is shorter.

use super::{AgentOp, Schedule};
use crate::chaos::ChaosConfig;
use crate::rng::SimRng;
use crate::scenario::HubSettings;

/// Simplifies `s` while `fails` holds, in at most `budget` calls of `fails`.
/// Returns the result and the calls spent.
pub(crate) fn minimize(
    mut s: Schedule,
    budget: u64,
    mut fails: impl FnMut(&Schedule) -> bool,
) -> (Schedule, u64) {
    let mut spent = 0;
    'round: loop {
        let (list, structural) = candidates(&s);
        for (i, mut c) in list.into_iter().enumerate() {
            let tries = if i < structural { 1 + OTHER_SEEDS } else { 1 };
            let base = c.seed;
            for t in 0..tries {
                if spent >= budget {
                    break 'round;
                }
                spent += 1;
                c.seed = other_seed(base, t);
                if fails(&c) {
                    s = c;
                    continue 'round;
                }
            }
        }
        break;
    }
    (s, spent)
}

/// Seeds besides the schedule's own that a removal is tried on.
const OTHER_SEEDS: u64 = 31;

/// `seed` itself for `t == 0`, else the `t`-th seed derived from it (kept below
/// 2^32 like the generated ones).
fn other_seed(seed: u64, t: u64) -> u64 {
    if t == 0 {
        seed
    } else {
        SimRng::new(seed ^ t.wrapping_mul(0x9e37_79b9_7f4a_7c15)).next_u64() >> 32
    }
}

/// Every one-step simplification of `s`, the biggest first: an agent, a world
/// step, an agent step less; then settings back to their defaults; then
/// smaller numbers.
/// The second value counts the structural ones (removals), which come first.
fn candidates(s: &Schedule) -> (Vec<Schedule>, usize) {
    let mut out = Vec::new();
    for i in 0..s.agents.len() {
        if s.agents.len() > 1 {
            add(&mut out, s, |c| {
                c.agents.remove(i);
            });
        }
    }
    for j in 0..s.world.len() {
        add(&mut out, s, |c| {
            c.world.remove(j);
        });
    }
    for (i, a) in s.agents.iter().enumerate() {
        for k in 0..a.ops.len() {
            add(&mut out, s, |c| {
                c.agents[i].ops.remove(k);
            });
        }
    }
    let structural = out.len();
    add(&mut out, s, |c| c.chaos = ChaosConfig::default());
    for knob in 0..KNOBS {
        add(&mut out, s, |c| knob_off(&mut c.chaos, knob));
    }
    let hub = HubSettings::default();
    add(&mut out, s, |c| c.tick_ms = 10);
    add(&mut out, s, |c| {
        c.heartbeat_timeout_ms = hub.heartbeat_timeout_ms
    });
    add(&mut out, s, |c| c.write_deadline_ms = hub.write_deadline_ms);
    for j in 0..s.world.len() {
        add(&mut out, s, |c| c.world[j].at_ms = 0);
        add(&mut out, s, |c| c.world[j].at_ms /= 2);
    }
    for (i, a) in s.agents.iter().enumerate() {
        for k in 0..a.ops.len() {
            add(&mut out, s, |c| simpler_op(&mut c.agents[i].ops[k], true));
            add(&mut out, s, |c| simpler_op(&mut c.agents[i].ops[k], false));
        }
    }
    (out, structural)
}

/// Adds `s` changed by `f`, if that changes it.
fn add(out: &mut Vec<Schedule>, s: &Schedule, f: impl Fn(&mut Schedule)) {
    let mut c = s.clone();
    f(&mut c);
    if c != *s {
        out.push(c);
    }
}

const KNOBS: usize = 7;

fn knob_off(c: &mut ChaosConfig, knob: usize) {
    match knob {
        0 => c.short_write_per_mille = 0,
        1 => (c.pending_per_mille, c.pending_min_ms, c.pending_max_ms) = (0, 0, 0),
        2 => (c.stall_per_mille, c.stall_min_ms, c.stall_max_ms) = (0, 0, 0),
        3 => c.coalesce_per_mille = 0,
        4 => c.split_read_per_mille = 0,
        5 => c.read_error_per_mille = 0,
        _ => c.reset_per_mille = 0,
    }
}

/// The op with its numbers at their floor (`to_floor`) or halved.
fn simpler_op(op: &mut AgentOp, to_floor: bool) {
    let cut = |v: u64, floor: u64| if to_floor { floor } else { floor.max(v / 2) };
    match op {
        AgentOp::Wait { ms } => *ms = cut(*ms, 0),
        AgentOp::Heartbeat {
            every_ms, count, ..
        } => {
            if to_floor {
                *count = 1;
            } else {
                *every_ms = cut(*every_ms, 1);
            }
        }
        AgentOp::SendData { len } => *len = cut(*len as u64, 0) as usize,
        AgentOp::Garbage { bytes } => bytes.truncate(cut(bytes.len() as u64, 1) as usize),
        AgentOp::Close { .. }
        | AgentOp::Hangup
        | AgentOp::Reconnect
        | AgentOp::StopReading
        | AgentOp::ResumeReading => {}
    }
}
