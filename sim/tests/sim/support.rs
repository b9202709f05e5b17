//! Scenario builders.

use wsrace_sim::{presets, ChaosConfig, HeartbeatKind, Scenario};

/// `agents` agents on the shared host, each connecting, sending `beats` Ping
/// heartbeats every `every_ms`, then closing with 1000.
pub fn heartbeats(name: &str, agents: usize, beats: u32, every_ms: u64) -> Scenario {
    presets::heartbeats(name, agents, beats, every_ms, HeartbeatKind::Ping)
}

/// Chaos that makes every server write short and stalls it `stall_ms` first, so
/// a frame goes out in pieces over a predictable stretch of simulated time.
pub fn every_write_short_and_stalled(stall_ms: u64) -> ChaosConfig {
    ChaosConfig {
        short_write_per_mille: 1000,
        stall_per_mille: 1000,
        stall_min_ms: stall_ms,
        stall_max_ms: stall_ms,
        ..ChaosConfig::default()
    }
}

/// The events of a trace named `name`.
pub fn count(text: &str, name: &str) -> usize {
    text.lines()
        .filter(|l| l.split(' ').nth(3) == Some(name))
        .count()
}
