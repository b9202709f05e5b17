//! `count` on an agent entry: `a` with `count = 3` is agents `a1`, `a2`, `a3`.

use wsrace_sim::{
    oracle, run_once, AgentSpec, AgentStep, HubFactory, Scenario, WorldAction, WorldStep,
};

#[test]
fn an_entry_with_a_count_expands_to_numbered_agents_in_order() {
    let spec = AgentSpec::new("a", vec![AgentStep::Connect]).times(3);
    let names: Vec<String> = spec.expand().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["a1", "a2", "a3"]);
    assert!(spec
        .expand()
        .iter()
        .all(|a| a.count.is_none() && a.host == "agents"));
    let one = AgentSpec::new("solo", vec![]);
    assert_eq!(one.expand(), vec![one.clone()]);
}

#[test]
fn expanded_agents_run_and_steps_can_name_them() {
    let mut s = Scenario::new("count");
    s.limit_ms = 30_000;
    s.agents.push(
        AgentSpec::new(
            "a",
            vec![
                AgentStep::Connect,
                AgentStep::Wait { ms: 2000 },
                AgentStep::Close { code: 1000 },
            ],
        )
        .times(12),
    );
    s.agents.push(AgentSpec::new(
        "b",
        vec![
            AgentStep::Connect,
            AgentStep::AwaitPushes { count: 1 },
            AgentStep::Close { code: 1000 },
        ],
    ));
    s.steps.push(WorldStep {
        at_ms: 1000,
        action: WorldAction::Push { agent: "b".into() },
    });
    s.steps.push(WorldStep {
        at_ms: 1000,
        action: WorldAction::Push {
            agent: "a12".into(),
        },
    });
    let out = run_once(&s, &HubFactory, 4);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}", r.end.pending);
    assert_eq!(oracle::check_all(r), Vec::new());
    let mut agents: Vec<&str> = r.conns.iter().map(|c| c.agent.as_str()).collect();
    agents.sort_unstable();
    let mut want: Vec<String> = (1..=12).map(|i| format!("a{i}")).collect();
    want.push("b".into());
    want.sort_unstable();
    assert_eq!(agents, want);
    assert!(r.conns.iter().all(|c| c.host == "agents" && c.upgraded));
    assert_eq!(r.received_pushes.get("a12").map(Vec::len), Some(1));
    assert_eq!(r.received_pushes.get("b").map(Vec::len), Some(1));
}
