use wsrace_sim::{
    run_once, AgentSpec, AgentStep, HeartbeatKind, HubFactory, Scenario, WorldAction, WorldStep,
};

#[test]
fn a_bounced_hub_serves_the_agents_reconnect_afresh() {
    let mut s = Scenario::new("bounce");
    let beat = AgentStep::Heartbeat {
        every_ms: 300,
        count: 3,
        kind: HeartbeatKind::Ping,
    };
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            beat.clone(),
            AgentStep::Wait { ms: 1000 },
            AgentStep::Connect,
            beat,
            AgentStep::Close { code: 1000 },
        ],
    ));
    s.steps.push(WorldStep {
        at_ms: 1000,
        action: WorldAction::Bounce { host: "hub".into() },
    });
    let out = run_once(&s, &HubFactory, 8);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    assert_eq!(
        r.faults.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(),
        ["bounce"]
    );
    assert_eq!(r.conns.len(), 2);
    // The new incarnation numbers its connections from 1 again.
    assert_eq!(r.conns[0].server_conn, Some(1));
    assert_eq!(r.conns[1].server_conn, Some(1));
    assert!(r.conns[1].upgraded);
}
