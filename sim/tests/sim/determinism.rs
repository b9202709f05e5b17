use wsrace_sim::{run_once, trace, ChaosConfig, HubFactory, Scenario, WorldAction, WorldStep};

use crate::support::heartbeats;

fn lively() -> Scenario {
    let mut s = heartbeats("determinism", 3, 6, 700);
    s.chaos = ChaosConfig::incident();
    s.chaos.read_error_per_mille = 20;
    s.chaos.reset_per_mille = 10;
    s.steps.push(WorldStep {
        at_ms: 1200,
        action: WorldAction::Push { agent: "a2".into() },
    });
    s
}

fn check(seeds: u64) {
    let scenario = lively();
    let mut hashes = std::collections::BTreeSet::new();
    for seed in 0..seeds {
        let a = run_once(&scenario, &HubFactory, seed);
        let b = run_once(&scenario, &HubFactory, seed);
        if let Some((n, x, y)) = trace::first_difference(&a.trace_text, &b.trace_text) {
            panic!("seed {seed}: traces differ at line {n}:\n  first:  {x}\n  second: {y}");
        }
        assert_eq!(a.trace_hash, b.trace_hash);
        assert_eq!(a.record, b.record, "seed {seed}: records differ");
        hashes.insert(a.trace_hash);
    }
    // Different seeds must actually explore different schedules.
    assert!(
        hashes.len() as u64 > seeds / 2,
        "only {} distinct traces",
        hashes.len()
    );
}

// About 0.7 s for all 400 runs (opt-level 2 in the test profile).
#[test]
fn two_hundred_seeds_each_run_twice_give_identical_traces_and_records() {
    check(200);
}
