//! Quiescence waits for the server's own pending work, server incarnations are
//! told apart, and an agent that stopped reading is judged on what it saw: the
//! harness false positives the proptest search once shrank, run for real.

use std::time::Duration;

use wsrace_sim::oracle::check_all;
use wsrace_sim::{
    run_once, AgentSpec, AgentStep, ChaosConfig, HeartbeatKind, HubFactory, Scenario, WorldAction,
    WorldStep,
};

use super::support::count;

/// An agent that sends a reserved opcode: the hub answers Close 1002 and, having
/// stopped reading, waits out its close deadline (5 s) for the agent's Close.
fn bad_opcode() -> Scenario {
    let mut s = Scenario::new("bad-opcode");
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::SendRaw {
                bytes: vec![3, 0, 0, 0, 0, 0],
            },
        ],
    ));
    s
}

#[test]
fn quiescence_waits_for_the_servers_close_handshake() {
    let out = run_once(&bad_opcode(), &HubFactory, 865_746_355);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}", r.end.pending);
    let close_deadline = Duration::from_millis(r.bounds.close_deadline.as_millis() as u64);
    assert!(
        r.end.at >= close_deadline,
        "declared quiescent at {:?}, before the hub's close deadline\n{}",
        r.end.at,
        out.trace_text
    );
    assert_eq!(
        count(&out.trace_text, "conn.closed"),
        1,
        "{}",
        out.trace_text
    );
    assert_eq!(r.registry_at_end.as_ref().map(|m| m.len()), Some(0));
    assert_eq!(check_all(r), vec![]);
}

#[test]
fn a_run_stopped_while_the_server_closes_says_what_it_waits_for() {
    let mut s = bad_opcode();
    s.limit_ms = 2_000;
    let out = run_once(&s, &HubFactory, 1);
    let end = &out.record.end;
    assert!(!end.quiescent);
    assert!(
        end.pending
            .iter()
            .any(|p| p.starts_with("server conn 1: shutdown.begun at 0.")
                && p.contains("no conn.closed yet")),
        "{:#?}",
        end.pending
    );
}

#[test]
fn a_bounced_hub_numbering_connections_afresh_passes_every_oracle() {
    let mut s = Scenario::new("bounce-reconnect");
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Close { code: 1000 },
            AgentStep::Wait { ms: 500 },
            AgentStep::Connect,
            AgentStep::Heartbeat {
                every_ms: 200,
                count: 3,
                kind: HeartbeatKind::Ping,
            },
        ],
    ));
    s.steps.push(WorldStep {
        at_ms: 300,
        action: WorldAction::Bounce { host: "hub".into() },
    });
    let out = run_once(&s, &HubFactory, 3);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}", r.end.pending);
    let numbers: Vec<_> = r
        .conns
        .iter()
        .map(|c| (c.server_incarnation, c.server_conn))
        .collect();
    assert_eq!(numbers, [(0, Some(1)), (1, Some(1))], "{}", out.trace_text);
    assert_eq!(check_all(r), vec![], "{}", out.trace_text);
}

#[test]
fn an_agent_that_stops_reading_for_good_is_not_judged_on_what_it_never_read() {
    // Short and delayed writes spread the hub's Pongs across reads; the agent
    // stops reading, some seeds inside a frame, reconnects, and the old
    // connection is replaced (Close, close deadline, transport shut) while
    // nobody reads it. (Without the exemption, 10 of these 16 seeds fail
    // `wire.close`: "idle inside a frame".)
    let mut s = Scenario::new("stopped-reading");
    s.chaos = ChaosConfig {
        short_write_per_mille: 1000,
        pending_per_mille: 300,
        pending_min_ms: 5,
        pending_max_ms: 30,
        ..ChaosConfig::default()
    };
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Heartbeat {
                every_ms: 20,
                count: 2,
                kind: HeartbeatKind::Ping,
            },
            AgentStep::Wait { ms: 15 },
            AgentStep::StopReading,
            AgentStep::Connect,
        ],
    ));
    // a2 stops reading for good on its only connection, then is pushed to
    // (without the exemption: `hub.delivery`, "never arrived").
    s.agents.push(AgentSpec::new(
        "a2",
        vec![AgentStep::Connect, AgentStep::StopReading],
    ));
    for (at_ms, agent) in [(40, "a1"), (600, "a2")] {
        s.steps.push(WorldStep {
            at_ms,
            action: WorldAction::Push {
                agent: agent.into(),
            },
        });
    }
    for seed in 0..16 {
        let out = run_once(&s, &HubFactory, seed);
        let r = &out.record;
        assert!(r.end.quiescent, "seed {seed}: {:#?}", r.end.pending);
        let stopped: Vec<_> = r
            .conns
            .iter()
            .map(|c| (c.agent.as_str(), c.s2c.stopped_reading_at.is_some()))
            .collect();
        let a1: Vec<_> = stopped.iter().filter(|c| c.0 == "a1").collect();
        assert_eq!(a1, [&("a1", true), &("a1", false)], "seed {seed}");
        assert!(stopped.contains(&("a2", true)), "seed {seed}");
        assert_eq!(check_all(r), vec![], "seed {seed}\n{}", out.trace_text);
    }
}

#[test]
fn quiescence_counts_its_quiet_period_from_the_last_world_step() {
    // Long after the last byte moved, a push whose write the chaos transport
    // delays: the run must not end before it arrives.
    let mut s = Scenario::new("late-push");
    s.chaos = ChaosConfig {
        pending_per_mille: 1000,
        pending_min_ms: 15,
        pending_max_ms: 25,
        ..ChaosConfig::default()
    };
    s.agents
        .push(AgentSpec::new("a1", vec![AgentStep::Connect]));
    s.steps.push(WorldStep {
        at_ms: 2_000,
        action: WorldAction::Push { agent: "a1".into() },
    });
    let out = run_once(&s, &HubFactory, 939_135_210);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}", r.end.pending);
    assert_eq!(
        r.received_pushes.get("a1").map(Vec::len),
        Some(1),
        "{}",
        out.trace_text
    );
    assert_eq!(check_all(r), vec![]);
}
