//! Checks serde cannot make: names that must refer to something, anchors that
//! can be reached, ranges that are not empty, codes the wire allows. Values come
//! from the deserialized [`Scenario`]; spans from the document, by path.

use std::collections::BTreeSet;
use std::ops::Range;

use toml::de::DeTable;
use toml::Spanned;

use super::error::{suggest, Mistake, ScenarioError};
use super::span::{value_span, Seg};
use super::{steps, Cx};
use crate::scenario::{ordinal, AgentStep, AnchorEvent, Scenario, Trigger, WorldAction};

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
    use Seg::Key as K;

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

    agents(cx, root, s)?;
    steps(cx, root, s)
}

/// `count`, unique names after expansion, what each script waits for.
fn agents(cx: &Cx<'_>, root: &Spanned<DeTable<'_>>, s: &Scenario) -> Result<(), ScenarioError> {
    use Seg::{Index as I, Key as K};
    let at = |path: &[Seg<'_>]| value_span(root, path);
    let mut names: BTreeSet<String> = BTreeSet::new();
    for (i, agent) in s.agents.iter().enumerate() {
        if agent.count == Some(0) {
            return Err(cx.error(
                at(&[K("agents"), I(i), K("count")]),
                Mistake::Impossible,
                format!("agent entry `{}` has `count = 0`", agent.name),
                "`count` is how many agents the entry stands for: 1 or more, or leave it out \
                 for one agent called `name`",
            ));
        }
        for one in agent.expand() {
            if names.insert(one.name.clone()) {
                continue;
            }
            let help = match s.agents.iter().find(|a| a.count.is_some() && a.expand().iter().any(|e| e.name == one.name)) {
                Some(a) => format!(
                    "`name = \"{}\"` with `count = {}` stands for agents `{}1` .. `{}{}`; give every agent its own name",
                    a.name,
                    a.count.unwrap_or(0),
                    a.name,
                    a.name,
                    a.count.unwrap_or(0)
                ),
                None => "give every agent its own name".to_owned(),
            };
            return Err(cx.error(
                at(&[K("agents"), I(i), K("name")]),
                Mistake::Duplicate,
                format!("a second agent named `{}`", one.name),
                help,
            ));
        }
    }

    for (i, agent) in s.agents.iter().enumerate() {
        for one in agent.expand() {
            let pushes = pushes_to(s, &one.name);
            for (j, step) in agent.script.iter().enumerate() {
                let path = |key| [K("agents"), I(i), K("script"), I(j), K(key)];
                let impossible = |message: String, help: &str| {
                    Err(cx.error(at(&path(key_of(step))), Mistake::Impossible, message, help))
                };
                match step {
                    AgentStep::Heartbeat { every_ms: 0, .. } => {
                        return impossible(
                            format!("agent `{}` heartbeats with `every_ms = 0`", agent.name),
                            "a heartbeat period must be at least 1 ms",
                        );
                    }
                    AgentStep::Close { code } if !wsrace_frame::is_valid_close_code(*code) => {
                        return impossible(
                            format!("Close code {code} may not be sent on the wire"),
                            "use 1000-1003, 1007-1014 or 3000-4999 (1000 = normal); to send a bad code on purpose, \
                             write the frame with `do = \"send_raw\"`",
                        );
                    }
                    AgentStep::Await {
                        event,
                        nth,
                        agent: target,
                    } => {
                        await_step(
                            cx,
                            root,
                            s,
                            (i, j),
                            &one.name,
                            &agent.script[..j],
                            *event,
                            *nth,
                            target.as_deref(),
                        )?;
                    }
                    AgentStep::AwaitPushes { count } if *count as usize > pushes => {
                        return impossible(
                            format!(
                                "agent `{}` awaits {count} pushes, but only {pushes} `push` step(s) name it",
                                one.name
                            ),
                            "add `[[steps]]` with `do = \"push\"` and this agent, or lower `count`",
                        );
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// One `await` step, `script[j]` of `agents[i]` (agent `me`, which has run
/// `before` when it gets there): the agent it names exists, `nth` counts from 1
/// and can be reached; an await on its own `connected`, `closed` or `heartbeat`
/// can only be met by the steps before it.
#[allow(clippy::too_many_arguments)]
fn await_step(
    cx: &Cx<'_>,
    root: &Spanned<DeTable<'_>>,
    s: &Scenario,
    (i, j): (usize, usize),
    me: &str,
    before: &[AgentStep],
    event: AnchorEvent,
    nth: u32,
    target: Option<&str>,
) -> Result<(), ScenarioError> {
    use Seg::{Index as I, Key as K};
    let at = |key| value_span(root, &[K("agents"), I(i), K("script"), I(j), K(key)]);
    let expanded = s.expanded_agents();
    let name = target.unwrap_or(me);
    let Some(spec) = expanded.iter().find(|a| a.name == name) else {
        return Err(unknown_agent(cx, s, at("agent"), name));
    };
    let impossible = |message: String, help: String| {
        Err(cx.error(at("nth"), Mistake::Impossible, message, help))
    };
    if nth == 0 {
        return impossible(
            "`nth = 0`: occurrences count from 1".to_owned(),
            format!("`nth = 1` is {name}'s first {}", event.name()),
        );
    }
    if bounced(s).contains(&spec.host.as_str()) {
        return Ok(());
    }
    let own = name == me
        && matches!(
            event,
            AnchorEvent::Connected | AnchorEvent::Closed | AnchorEvent::Heartbeat
        );
    let (most, what) = reach(s, name, if own { before } else { &spec.script }, event);
    if u64::from(nth) <= most {
        return Ok(());
    }
    let (nth, ev) = (ordinal(nth), event.name());
    if own {
        let what = match event {
            AnchorEvent::Heartbeat => {
                format!("its script sends {most} heartbeat(s) before the await")
            }
            _ => format!("only {most} `connect` step(s) come before the await"),
        };
        return impossible(
            format!("agent `{me}` awaits its own {nth} {ev}, but {what}"),
            "an agent's own steps run in order: move the await after the step that causes it, or lower `nth`"
                .to_owned(),
        );
    }
    impossible(
        format!("agent `{me}` awaits {name}'s {nth} {ev}, but {what}"),
        "lower `nth`, or make the event happen that often".to_owned(),
    )
}

/// The key a script step's impossible value is in.
fn key_of(step: &AgentStep) -> &'static str {
    match step {
        AgentStep::Heartbeat { .. } => "every_ms",
        AgentStep::Close { .. } => "code",
        _ => "count",
    }
}

/// `push` steps (timed or anchored) that name `agent`.
fn pushes_to(s: &Scenario, agent: &str) -> usize {
    s.steps
        .iter()
        .map(|w| &w.action)
        .chain(s.anchored.iter().map(|a| &a.action))
        .filter(|a| matches!(a, WorldAction::Push { agent: x } if x == agent))
        .count()
}

/// Times, hosts and agents of `[[steps]]`, and anchors that can be reached.
fn steps(cx: &Cx<'_>, root: &Spanned<DeTable<'_>>, s: &Scenario) -> Result<(), ScenarioError> {
    use Seg::{Index as I, Key as K};
    let at = |path: &[Seg<'_>]| value_span(root, path);
    let expanded = s.expanded_agents();
    let agent_names: Vec<&str> = expanded.iter().map(|a| a.name.as_str()).collect();
    let mut hosts: Vec<&str> = vec!["hub"];
    for a in &s.agents {
        if !hosts.contains(&a.host.as_str()) {
            hosts.push(&a.host);
        }
    }
    // `[[steps]]` in file order, split as the scenario holds them.
    let tables = steps::tables(root);
    let timed: Vec<usize> = tables
        .iter()
        .filter(|(_, t)| !steps::is_anchored(t))
        .map(|(i, _)| *i)
        .collect();
    let anchored: Vec<usize> = tables
        .iter()
        .filter(|(_, t)| steps::is_anchored(t))
        .map(|(i, _)| *i)
        .collect();

    let unknown_agent = |span, name: &str| unknown_agent(cx, s, span, name);
    let action = |i: usize, action: &WorldAction| -> Result<(), ScenarioError> {
        let path = |key| [K("steps"), I(i), K(key)];
        let host = |key: &'static str, name: &str| -> Result<(), ScenarioError> {
            if hosts.contains(&name) {
                return Ok(());
            }
            let span = at(&path(key));
            let help = match expanded.iter().find(|a| a.name == name) {
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
        match action {
            WorldAction::Push { agent } if !agent_names.contains(&agent.as_str()) => {
                Err(unknown_agent(at(&path("agent")), agent))
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
                Ok(())
            }
            WorldAction::Crash { host: h } | WorldAction::Bounce { host: h } => host("host", h),
            _ => Ok(()),
        }
    };

    for (k, step) in s.steps.iter().enumerate() {
        let i = timed.get(k).copied().unwrap_or(k);
        if step.at_ms > s.limit_ms {
            return Err(cx.error(
                at(&[K("steps"), I(i), K("at_ms")]),
                Mistake::Impossible,
                format!(
                    "step at {} ms is after the run's limit (`limit_ms = {}`)",
                    step.at_ms, s.limit_ms
                ),
                "move the step earlier or raise `limit_ms`",
            ));
        }
        action(i, &step.action)?;
    }

    let bounced = bounced(s);
    for (k, step) in s.anchored.iter().enumerate() {
        let i = anchored.get(k).copied().unwrap_or(k);
        let edge = match step.trigger {
            Trigger::After(_) => "after",
            Trigger::When(_) => "when",
        };
        let path = |key| [K("steps"), I(i), K(edge), K(key)];
        let anchor = step.trigger.anchor();
        let Some(agent) = expanded.iter().find(|a| a.name == anchor.agent) else {
            return Err(unknown_agent(at(&path("agent")), &anchor.agent));
        };
        if anchor.nth == 0 {
            return Err(cx.error(
                at(&path("nth")),
                Mistake::Impossible,
                "`nth = 0`: occurrences count from 1".to_owned(),
                format!(
                    "`nth = 1` is {}'s first {}",
                    anchor.agent,
                    anchor.event.name()
                ),
            ));
        }
        // A bounced agent host reruns its scripts: then anything can happen again.
        if bounced.contains(&agent.host.as_str()) {
            action(i, &step.action)?;
            continue;
        }
        let (most, what) = reach(s, &anchor.agent, &agent.script, anchor.event);
        if u64::from(anchor.nth) > most {
            return Err(cx.error(
                at(&path("nth")),
                Mistake::Impossible,
                format!(
                    "step waits for {}'s {} {}, but {what}",
                    anchor.agent,
                    ordinal(anchor.nth),
                    anchor.event.name()
                ),
                "lower `nth`, or make the event happen that often",
            ));
        }
        action(i, &step.action)?;
    }
    Ok(())
}

/// `no agent named `x``, with the nearest name or the agents of a counted entry.
fn unknown_agent(cx: &Cx<'_>, s: &Scenario, span: Range<usize>, name: &str) -> ScenarioError {
    let expanded = s.expanded_agents();
    let agent_names: Vec<&str> = expanded.iter().map(|a| a.name.as_str()).collect();
    let help = if agent_names.is_empty() {
        "add it under [[agents]] first".to_owned()
    } else if let Some(a) = s
        .agents
        .iter()
        .find(|a| a.name == name && a.count.is_some())
    {
        format!(
            "`{name}` has `count = {n}`: its agents are `{name}1` .. `{name}{n}`",
            n = a.count.unwrap_or(0)
        )
    } else {
        suggest(name, &agent_names)
    };
    cx.error(
        span,
        Mistake::UnknownAgent,
        format!("no agent named `{name}`"),
        help,
    )
}

/// Hosts some step bounces: their agents rerun their scripts, so any event
/// can happen again and reachability is not checked.
fn bounced(s: &Scenario) -> Vec<&str> {
    s.steps
        .iter()
        .map(|w| &w.action)
        .chain(s.anchored.iter().map(|a| &a.action))
        .filter_map(|a| match a {
            WorldAction::Bounce { host } => Some(host.as_str()),
            _ => None,
        })
        .collect()
}

/// How often `event` can happen to an agent running `script` (its `connect`
/// steps, its heartbeats, the `push` steps naming `agent`), and that in words.
fn reach(s: &Scenario, agent: &str, script: &[AgentStep], event: AnchorEvent) -> (u64, String) {
    match event {
        AnchorEvent::Connected | AnchorEvent::Closed => {
            let connects = script
                .iter()
                .filter(|st| matches!(st, AgentStep::Connect))
                .count() as u64;
            (
                connects,
                format!("{connects} `connect` step(s) in its script"),
            )
        }
        AnchorEvent::Heartbeat => {
            let beats: u64 = script
                .iter()
                .map(|st| match st {
                    AgentStep::Heartbeat { count, .. } => u64::from(*count),
                    _ => 0,
                })
                .sum();
            (beats, format!("its script sends {beats} heartbeat(s)"))
        }
        AnchorEvent::PushReceived | AnchorEvent::PushWrite => {
            let n = pushes_to(s, agent) as u64;
            (n, format!("{n} `push` step(s) name it"))
        }
    }
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
