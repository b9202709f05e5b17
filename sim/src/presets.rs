//! Scenarios built in Rust, shared by tests, examples and the CLI.
//!
//! [`incident`] is the situation of `incident.md`, compressed into a few
//! simulated seconds: agents heartbeating (Ping and JSON), a reconnect that
//! replaces a live connection, an agent that goes silent until the heartbeat
//! timeout fires, a slow reader that stops reading while pushes and heartbeat
//! replies pile up, pushes throughout, and the chaos transport on: short writes,
//! pending writes, read errors, resets, and writes blocked 120-400 ms by
//! backpressure (stalls), longer than the shipped fix's 100 ms sleep. wsrace's
//! hub must pass it on every seed; the incident's designs (`zoo:go-original`,
//! `zoo:sleep-100ms`) must fail it.
//!
//! [`incident_with_stalls`] is the same situation with another stall range:
//! with every stall shorter than 100 ms the sleep fix passes, which is how a
//! test proves that its failure comes from writes blocked longer than the sleep.

use crate::chaos::ChaosConfig;
use crate::scenario::{
    AgentSpec, AgentStep, HeartbeatKind, HubSettings, Scenario, WorldAction, WorldStep,
};

/// Name of [`incident`].
pub const INCIDENT: &str = "incident";

/// Every preset name [`by_name`] knows.
pub fn names() -> &'static [&'static str] {
    &[INCIDENT]
}

/// The preset called `name`, if there is one.
pub fn by_name(name: &str) -> Option<Scenario> {
    match name {
        INCIDENT => Some(incident()),
        _ => None,
    }
}

/// The incident's situation with writes blocked 120-400 ms (see the module doc).
/// About 4.5 simulated seconds; a few milliseconds of wall time per seed.
pub fn incident() -> Scenario {
    incident_with_stalls(120, 400)
}

/// The chaos [`incident`] runs under, with stalls of `min_ms..=max_ms`.
/// [`ChaosConfig::incident`] with more read errors and resets, and more
/// frequent stalls, so that most seeds meet at least one of each.
pub fn incident_chaos(min_ms: u64, max_ms: u64) -> ChaosConfig {
    ChaosConfig {
        stall_per_mille: 60,
        stall_min_ms: min_ms,
        stall_max_ms: max_ms,
        read_error_per_mille: 6,
        reset_per_mille: 3,
        ..ChaosConfig::incident()
    }
}

/// [`incident`] with stalls of `min_ms..=max_ms`. Named `incident` when the
/// range is the default, else `incident-stalls-<min>-<max>ms`.
pub fn incident_with_stalls(min_ms: u64, max_ms: u64) -> Scenario {
    let name = if (min_ms, max_ms) == (120, 400) {
        INCIDENT.to_owned()
    } else {
        format!("{INCIDENT}-stalls-{min_ms}-{max_ms}ms")
    };
    let mut s = Scenario::new(name);
    s.limit_ms = 20_000;
    s.hub = HubSettings {
        heartbeat_timeout_ms: 1_500,
        write_deadline_ms: 2_000,
        close_deadline_ms: 1_000,
        handshake_deadline_ms: 2_000,
        outbound_queue: 64,
    };
    s.chaos = incident_chaos(min_ms, max_ms);
    let beat = |every_ms, count, kind| AgentStep::Heartbeat {
        every_ms,
        count,
        kind,
    };
    use AgentStep::{Close, Connect, ResumeReading, StopReading, Wait};
    use HeartbeatKind::{Json, Ping};
    // Steady: JSON heartbeats, whose replies writeLoop writes.
    s.agents.push(AgentSpec::new(
        "steady",
        vec![Connect, beat(250, 16, Json), Close { code: 1000 }],
    ));
    // Pings (in gorilla the reader answers them itself), then JSON heartbeats.
    s.agents.push(AgentSpec::new(
        "pinger",
        vec![
            Connect,
            beat(100, 12, Ping),
            beat(100, 12, Json),
            Close { code: 1000 },
        ],
    ));
    // Reconnects while its first connection is live: HandleCCConnection replaces it.
    s.agents.push(AgentSpec::new(
        "reconnect",
        vec![
            Connect,
            beat(150, 6, Json),
            Connect,
            beat(150, 6, Ping),
            Close { code: 1000 },
        ],
    ));
    // Goes silent: monitorConnection's heartbeat timeout ends the connection.
    s.agents.push(AgentSpec::new(
        "silent",
        vec![Connect, beat(200, 3, Json), Wait { ms: 2_500 }],
    ));
    // A slow reader: stops reading while heartbeat replies and pushes pile up.
    s.agents.push(AgentSpec::new(
        "slow",
        vec![
            Connect,
            beat(200, 2, Json),
            StopReading,
            beat(100, 8, Json),
            Wait { ms: 600 },
            ResumeReading,
            beat(200, 3, Json),
            Close { code: 1000 },
        ],
    ));
    for (at_ms, agent) in [
        (500, "steady"),
        (600, "slow"),
        (700, "pinger"),
        (800, "slow"),
        (900, "reconnect"),
        (1_000, "slow"),
        (1_300, "pinger"),
        (1_700, "reconnect"),
        (2_000, "steady"),
        (2_300, "pinger"),
        (3_000, "steady"),
    ] {
        s.steps.push(WorldStep {
            at_ms,
            action: WorldAction::Push {
                agent: agent.to_owned(),
            },
        });
    }
    s
}

/// `agents` agents on the shared host, each connecting, sending `beats`
/// heartbeats of `kind` every `every_ms`, then closing with 1000: the
/// throughput yardstick's shape (10 agents, 120 Pings a second apart).
pub fn heartbeats(
    name: &str,
    agents: usize,
    beats: u32,
    every_ms: u64,
    kind: HeartbeatKind,
) -> Scenario {
    let mut s = Scenario::new(name);
    for i in 1..=agents {
        s.agents.push(AgentSpec::new(
            format!("a{i}"),
            vec![
                AgentStep::Connect,
                AgentStep::Heartbeat {
                    every_ms,
                    count: beats,
                    kind,
                },
                AgentStep::Close { code: 1000 },
            ],
        ));
    }
    s
}
