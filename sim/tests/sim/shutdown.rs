//! The world step `shutdown`: the server's graceful shutdown, run inside its host.

use wsrace_sim::{
    oracle, run_once, server_by_name, AgentSpec, AgentStep, HeartbeatKind, HubFactory, Scenario,
    WorldAction, WorldStep,
};

/// Five agents (`a` with `count = 5`) heartbeating for 10 s; the server shuts
/// down at 3 s.
fn five_then_shutdown() -> Scenario {
    let mut s = Scenario::new("shutdown");
    s.limit_ms = 60_000;
    s.agents.push(
        AgentSpec::new(
            "a",
            vec![
                AgentStep::Connect,
                AgentStep::Heartbeat {
                    every_ms: 1000,
                    count: 10,
                    kind: HeartbeatKind::Ping,
                },
            ],
        )
        .times(5),
    );
    s.steps.push(WorldStep {
        at_ms: 3000,
        action: WorldAction::Shutdown,
    });
    s
}

fn events<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    text.lines()
        .filter(|l| l.split(' ').nth(3) == Some(name))
        .collect()
}

#[test]
fn a_hub_shutdown_closes_every_agent_with_1001_and_the_oracles_stay_silent() {
    let out = run_once(&five_then_shutdown(), &HubFactory, 2);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    assert_eq!(oracle::check_all(r), Vec::new(), "{}", out.trace_text);
    assert_eq!(
        events(&out.trace_text, "sim.shutdown"),
        vec!["3.000000 sim sim sim.shutdown accepted=true error=\"\""]
    );
    assert_eq!(events(&out.trace_text, "hub.shutdown.done").len(), 1);
    let closes = events(&out.trace_text, "agent.close_received");
    for i in 1..=5 {
        let agent = format!("agent=a{i} ");
        let got: Vec<_> = closes.iter().filter(|l| l.contains(&agent)).collect();
        assert_eq!(got.len(), 1, "a{i}: {closes:#?}");
        assert!(got[0].ends_with("code=1001"), "a{i}: {}", got[0]);
    }
    assert_eq!(r.conns.len(), 5);
    assert_eq!(r.registry_at_end.as_ref().map(|m| m.len()), Some(0));
    // The heartbeats stopped with the connections, long before the 10th.
    assert!(out.trace_text.contains("agent.heartbeats_stopped"));
}

#[test]
fn every_zoo_design_takes_the_shutdown_step_inside_its_host() {
    for name in ["zoo:go-original", "zoo:sleep-100ms"] {
        let server = server_by_name(name).expect("a zoo server");
        let out = run_once(&five_then_shutdown(), &*server, 2);
        let text = &out.trace_text;
        assert_eq!(
            events(text, "sim.shutdown"),
            vec!["3.000000 sim sim sim.shutdown accepted=true error=\"\""],
            "{name}"
        );
        let begun = events(text, "hub.shutdown.begun");
        assert_eq!(begun.len(), 1, "{name}: {text}");
        assert!(
            begun[0].contains(" hub "),
            "{name}: runs in the hub host: {}",
            begun[0]
        );
    }
}

#[test]
fn a_shutdown_replays_byte_for_byte() {
    let s = five_then_shutdown();
    let (a, b) = (run_once(&s, &HubFactory, 9), run_once(&s, &HubFactory, 9));
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.trace_text, b.trace_text);
}
