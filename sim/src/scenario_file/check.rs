//! Checks serde cannot make: names that must refer to something, anchors that
//! can be reached, ranges that are not empty, codes the wire allows. Values come
//! from the deserialized [`Scenario`]; spans from the document, by path.

use std::collections::BTreeSet;

use toml::de::DeTable;
use toml::Spanned;

use super::error::{suggest, Mistake, ScenarioError};
use super::span::{value_span, Seg};
use super::Cx;
use crate::scenario::{AgentStep, Scenario, WorldAction};

pub(crate) fn scenario(
    cx: &Cx<'_>,
    root: &Spanned<DeTable<'_>>,
    s: &Scenario,
) -> Result<(), ScenarioError> {
    let at = |path: &[Seg<'_>]| value_span(root, path);
    let present = |path: &[Seg<'_>]| at(path) != at(&path[..path.len() - 1]);
    let impossible = |path: &[Seg<'_>], message: String, help: &str| {
        Err(cx.error(at(path), Mistake::Impossible, message, help))
    };
    use Seg::{Index as I, Key as K};

    if s.tick_ms == 0 {
        return impossible(
            &[K("tick_ms")],
            "`tick_ms = 0`: time would never advance".into(),
            "use 1 or more (10 is the default)",
        );
    }
    if s.limit_ms == 0 {
        return impossible(
            &[K("limit_ms")],
            "`limit_ms = 0`: the run would end before it starts".into(),
            "give the simulated time limit in milliseconds, e.g. `limit_ms = 300000`",
        );
    }
    if s.min_latency_ms > s.max_latency_ms {
        let key = if present(&[K("min_latency_ms")]) {
            "min_latency_ms"
        } else {
            "max_latency_ms"
        };
        return impossible(
            &[K(key)],
            format!("`min_latency_ms = {}` is above `max_latency_ms = {}`", s.min_latency_ms, s.max_latency_ms),
            "the latency range is `min_latency_ms..=max_latency_ms`: raise the maximum or lower the minimum",
        );
    }
    chaos(cx, root, s)?;

    let mut names = BTreeSet::new();
    for (i, agent) in s.agents.iter().enumerate() {
        if !names.insert(agent.name.as_str()) {
            return Err(cx.error(
                at(&[K("agents"), I(i), K("name")]),
                Mistake::Duplicate,
                format!("a second agent named `{}`", agent.name),
                "give every agent its own name",
            ));
        }
    }
    let agent_names: Vec<&str> = s.agents.iter().map(|a| a.name.as_str()).collect();
    let mut hosts: Vec<&str> = vec!["hub"];
    for a in &s.agents {
        if !hosts.contains(&a.host.as_str()) {
            hosts.push(&a.host);
        }
    }

    for (i, agent) in s.agents.iter().enumerate() {
        let pushes = s
            .steps
            .iter()
            .filter(|st| matches!(&st.action, WorldAction::Push { agent: a } if *a == agent.name))
            .count();
        for (j, step) in agent.script.iter().enumerate() {
            let path = |key| [K("agents"), I(i), K("script"), I(j), K(key)];
            match step {
                AgentStep::Heartbeat { every_ms: 0, .. } => {
                    return impossible(
                        &path("every_ms"),
                        format!("agent `{}` heartbeats with `every_ms = 0`", agent.name),
                        "a heartbeat period must be at least 1 ms",
                    );
                }
                AgentStep::Close { code } if !wsrace_frame::is_valid_close_code(*code) => {
                    return impossible(
                        &path("code"),
                        format!("Close code {code} may not be sent on the wire"),
                        "use 1000-1003, 1007-1014 or 3000-4999 (1000 = normal); to send a bad code on purpose, \
                         write the frame with `do = \"send_raw\"`",
                    );
                }
                AgentStep::AwaitPushes { count } if *count as usize > pushes => {
                    return impossible(
                        &path("count"),
                        format!(
                            "agent `{}` awaits {count} pushes, but only {pushes} `push` step(s) name it",
                            agent.name
                        ),
                        "add `[[steps]]` with `do = \"push\"` and this agent, or lower `count`",
                    );
                }
                _ => {}
            }
        }
    }

    for (i, step) in s.steps.iter().enumerate() {
        let path = |key| [K("steps"), I(i), K(key)];
        if step.at_ms > s.limit_ms {
            return impossible(
                &path("at_ms"),
                format!(
                    "step at {} ms is after the run's limit (`limit_ms = {}`)",
                    step.at_ms, s.limit_ms
                ),
                "move the step earlier or raise `limit_ms`",
            );
        }
        let host = |key: &'static str, name: &str| -> Result<(), ScenarioError> {
            if hosts.contains(&name) {
                return Ok(());
            }
            let span = at(&path(key));
            let help = match s.agents.iter().find(|a| a.name == name) {
                Some(a) => format!(
                    "`{name}` is an agent on host `{}`; name that host, or give the agent a host of its own \
                     (`host = \"{name}\"` in its [[agents]] entry) to cut its link alone",
                    a.host
                ),
                None => format!(
                    "{} (hosts are `hub` and the agents' hosts)",
                    suggest(name, &hosts)
                ),
            };
            Err(cx.error(
                span,
                Mistake::UnknownAgent,
                format!("no host named `{name}`"),
                help,
            ))
        };
        match &step.action {
            WorldAction::Push { agent } if !agent_names.contains(&agent.as_str()) => {
                let help = if agent_names.is_empty() {
                    "add it under [[agents]] first".to_owned()
                } else {
                    suggest(agent, &agent_names)
                };
                return Err(cx.error(
                    at(&path("agent")),
                    Mistake::UnknownAgent,
                    format!("no agent named `{agent}`"),
                    help,
                ));
            }
            WorldAction::Partition { a, b }
            | WorldAction::Repair { a, b }
            | WorldAction::Hold { a, b }
            | WorldAction::Release { a, b }
            | WorldAction::Latency { a, b, .. } => {
                host("a", a)?;
                host("b", b)?;
                if a == b {
                    return Err(cx.error(
                        at(&path("b")),
                        Mistake::Impossible,
                        format!("a link from `{a}` to itself"),
                        "a link joins two different hosts",
                    ));
                }
            }
            WorldAction::Crash { host: h } | WorldAction::Bounce { host: h } => host("host", h)?,
            _ => {}
        }
    }
    Ok(())
}

/// Rates are per mille; delay ranges must not be empty.
fn chaos(cx: &Cx<'_>, root: &Spanned<DeTable<'_>>, s: &Scenario) -> Result<(), ScenarioError> {
    use Seg::Key as K;
    let c = &s.chaos;
    let rates = [
        ("short_write_per_mille", c.short_write_per_mille),
        ("pending_per_mille", c.pending_per_mille),
        ("stall_per_mille", c.stall_per_mille),
        ("coalesce_per_mille", c.coalesce_per_mille),
        ("split_read_per_mille", c.split_read_per_mille),
        ("read_error_per_mille", c.read_error_per_mille),
        ("reset_per_mille", c.reset_per_mille),
    ];
    for (key, rate) in rates {
        if rate > 1000 {
            return Err(cx.error(
                value_span(root, &[K("chaos"), K(key)]),
                Mistake::Impossible,
                format!("`{key} = {rate}` is more than 1000 per mille"),
                "rates are per mille: 0 (never) to 1000 (always)",
            ));
        }
    }
    let ranges = [
        ("pending", c.pending_min_ms, c.pending_max_ms),
        ("stall", c.stall_min_ms, c.stall_max_ms),
    ];
    for (what, min, max) in ranges {
        if min > max {
            let (lo, hi) = (format!("{what}_min_ms"), format!("{what}_max_ms"));
            let lo_span = value_span(root, &[K("chaos"), K(&lo)]);
            let span = if lo_span == value_span(root, &[K("chaos")]) {
                value_span(root, &[K("chaos"), K(&hi)])
            } else {
                lo_span
            };
            let key = lo;
            return Err(cx.error(
                span,
                Mistake::Impossible,
                format!("`{key} = {min}` is above `{what}_max_ms = {max}`"),
                format!(
                    "the delay range is `{what}_min_ms..={what}_max_ms`: set `{what}_max_ms` too"
                ),
            ));
        }
    }
    Ok(())
}
