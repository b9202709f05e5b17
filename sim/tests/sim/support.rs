//! Scenario builders.

use wsrace_sim::{AgentSpec, AgentStep, HeartbeatKind, Scenario};

/// `agents` agents on the shared host, each connecting, sending `beats` Ping
/// heartbeats every `every_ms`, then closing with 1000.
pub fn heartbeats(name: &str, agents: usize, beats: u32, every_ms: u64) -> Scenario {
    let mut s = Scenario::new(name);
    for i in 1..=agents {
        s.agents.push(AgentSpec::new(
            format!("a{i}"),
            vec![
                AgentStep::Connect,
                AgentStep::Heartbeat {
                    every_ms,
                    count: beats,
                    kind: HeartbeatKind::Ping,
                },
                AgentStep::Close { code: 1000 },
            ],
        ));
    }
    s
}

/// The events of a trace named `name`.
pub fn count(text: &str, name: &str) -> usize {
    text.lines()
        .filter(|l| l.split(' ').nth(3) == Some(name))
        .count()
}
