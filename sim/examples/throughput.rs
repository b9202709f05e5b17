//! Simulated seconds per wall second on the 10-agent heartbeat scenario (agents
//! sharing one host, 10 ms tick, a Ping every second for 120 s), hub as server.
//! A yardstick, never a timed test.
//!
//! Run: `cargo run --release -p wsrace-sim --example throughput [SEEDS] [chaos]`.

use std::time::Instant;

use wsrace_sim::{
    run_once, AgentSpec, AgentStep, ChaosConfig, HeartbeatKind, HubFactory, Scenario,
};

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let chaos = args.next().as_deref() == Some("chaos");
    let mut s = Scenario::new("throughput-10-agents");
    if chaos {
        s.chaos = ChaosConfig::incident();
        s.chaos.read_error_per_mille = 0;
        s.chaos.reset_per_mille = 0;
    }
    for i in 1..=10 {
        s.agents.push(AgentSpec::new(
            format!("a{i}"),
            vec![
                AgentStep::Connect,
                AgentStep::Heartbeat {
                    every_ms: 1000,
                    count: 120,
                    kind: HeartbeatKind::Ping,
                },
                AgentStep::Close { code: 1000 },
            ],
        ));
    }
    let start = Instant::now();
    let mut simulated = 0.0;
    let mut steps = 0;
    for seed in 0..seeds {
        let out = run_once(&s, &HubFactory, seed);
        assert!(out.record.end.quiescent, "{:?}", out.record.end.pending);
        simulated += out.record.end.at.as_secs_f64();
        steps += out.steps;
    }
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{seeds} seeds, chaos {chaos}: {simulated:.0} simulated s in {wall:.2} wall s = \
         {:.0} sim-s/wall-s, {:.1} seeds/s, {:.2} us/step",
        simulated / wall,
        seeds as f64 / wall,
        wall * 1e6 / steps as f64
    );
}
