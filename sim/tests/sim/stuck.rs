use wsrace_sim::{run_once, AgentSpec, AgentStep, HubFactory, Scenario, WorldAction, WorldStep};

#[test]
fn a_partitioned_agent_waiting_for_a_push_ends_with_a_liveness_report() {
    let mut s = Scenario::new("stuck");
    s.limit_ms = 20_000;
    s.agents.push(AgentSpec::new(
        "a1",
        vec![AgentStep::Connect, AgentStep::AwaitPushes { count: 1 }],
    ));
    s.steps.push(WorldStep {
        at_ms: 500,
        action: WorldAction::Partition {
            a: "hub".into(),
            b: "agents".into(),
        },
    });
    s.steps.push(WorldStep {
        at_ms: 1000,
        action: WorldAction::Push { agent: "a1".into() },
    });
    let out = run_once(&s, &HubFactory, 5);
    let end = &out.record.end;
    assert!(!end.quiescent);
    assert!(end.at >= std::time::Duration::from_secs(20), "{end:?}");
    assert!(
        end.pending
            .iter()
            .any(|p| p.starts_with("agent a1: waiting for 1 push(es) since 0.")),
        "{:#?}",
        end.pending
    );
    assert!(
        end.pending
            .iter()
            .any(|p| p.starts_with("conn #1 (agent a1")),
        "{:#?}",
        end.pending
    );
    assert_eq!(
        out.record.faults.first().map(|f| f.kind.as_str()),
        Some("partition")
    );
}
