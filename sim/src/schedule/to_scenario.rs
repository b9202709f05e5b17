//! [`Schedule`] -> [`Scenario`]: one scenario step per schedule step.

use super::{AgentOp, AgentPlan, Schedule, WorldKind};
use crate::scenario::{AgentSpec, AgentStep, HubSettings, Scenario, WorldAction, WorldStep};
use crate::server::HOST;

/// What an agent's network step can take at most (the agents' own deadline).
const NET_BOUND_MS: u64 = 10_000;
/// Room on top of everything the schedule and the server's limits account for.
const MARGIN_MS: u64 = 30_000;

impl Schedule {
    /// The scenario this schedule describes, named `name`.
    ///
    /// Agents share host `agents` unless a link fault targets them: then they
    /// get a host of their own (`host-a2`), so the fault cuts their link alone.
    /// The limit is derived from the schedule: its longest script or latest
    /// world step, plus the server's timeout and deadlines, plus a margin, so a
    /// correct server always settles before it.
    pub fn to_scenario(&self, name: &str) -> Scenario {
        let n = self.agents.len().max(1);
        let own_host: Vec<bool> = (0..n)
            .map(|i| {
                self.world
                    .iter()
                    .any(|w| w.kind.link_agent().is_some_and(|a| a % n == i))
            })
            .collect();
        let host = |i: usize| {
            if own_host[i] {
                format!("host-{}", Self::agent_name(i))
            } else {
                "agents".to_owned()
            }
        };

        let mut s = Scenario::new(name);
        s.tick_ms = self.tick_ms;
        s.chaos = self.chaos.clone();
        s.hub = HubSettings {
            heartbeat_timeout_ms: self.heartbeat_timeout_ms,
            write_deadline_ms: self.write_deadline_ms,
            ..HubSettings::default()
        };
        let mut longest = 0;
        for (i, plan) in self.agents.iter().enumerate() {
            let script = script(plan);
            longest = longest.max(plan.ops.iter().map(bound_ms).sum::<u64>() + NET_BOUND_MS);
            let mut spec = AgentSpec::new(Self::agent_name(i), script);
            spec.host = host(i);
            s.agents.push(spec);
        }
        for w in &self.world {
            let agent = |a: usize| a % n;
            let link = |a: usize| (HOST.to_owned(), host(agent(a)));
            let action = match w.kind {
                WorldKind::Push { agent: a } => WorldAction::Push {
                    agent: Self::agent_name(agent(a)),
                },
                WorldKind::Hold { agent } => {
                    let (a, b) = link(agent);
                    WorldAction::Hold { a, b }
                }
                WorldKind::Release { agent } => {
                    let (a, b) = link(agent);
                    WorldAction::Release { a, b }
                }
                WorldKind::Partition { agent } => {
                    let (a, b) = link(agent);
                    WorldAction::Partition { a, b }
                }
                WorldKind::Repair { agent } => {
                    let (a, b) = link(agent);
                    WorldAction::Repair { a, b }
                }
                WorldKind::BounceHub => WorldAction::Bounce {
                    host: HOST.to_owned(),
                },
            };
            longest = longest.max(w.at_ms);
            s.steps.push(WorldStep {
                at_ms: w.at_ms,
                action,
            });
        }
        s.limit_ms = longest
            + s.hub.heartbeat_timeout_ms
            + s.hub.write_deadline_ms
            + s.hub.close_deadline_ms
            + s.chaos.max_delay().as_millis() as u64
            + MARGIN_MS;
        s
    }
}

/// An agent's scenario script: `connect`, then its ops. An agent may end not
/// reading: the oracles do not judge what it cannot see (bytes it left unread,
/// see `agent_blind` in the oracles' facts).
pub(super) fn script(plan: &AgentPlan) -> Vec<AgentStep> {
    let mut script = vec![AgentStep::Connect];
    script.extend(plan.ops.iter().map(agent_step));
    script
}

fn agent_step(op: &AgentOp) -> AgentStep {
    match op {
        AgentOp::Wait { ms } => AgentStep::Wait { ms: *ms },
        AgentOp::Heartbeat {
            every_ms,
            count,
            kind,
        } => AgentStep::Heartbeat {
            every_ms: *every_ms,
            count: *count,
            kind: *kind,
        },
        AgentOp::Close { code } => AgentStep::Close { code: *code },
        AgentOp::Hangup => AgentStep::Hangup,
        AgentOp::Reconnect => AgentStep::Connect,
        AgentOp::SendData { len } => AgentStep::SendText {
            text: "d".repeat(*len),
        },
        AgentOp::Garbage { bytes } => AgentStep::SendRaw {
            bytes: bytes.clone(),
        },
        AgentOp::StopReading => AgentStep::StopReading,
        AgentOp::ResumeReading => AgentStep::ResumeReading,
    }
}

/// The longest simulated time an op can take.
fn bound_ms(op: &AgentOp) -> u64 {
    match op {
        AgentOp::Wait { ms } => *ms,
        AgentOp::Heartbeat {
            every_ms, count, ..
        } => every_ms * u64::from(*count) + NET_BOUND_MS,
        _ => NET_BOUND_MS,
    }
}
