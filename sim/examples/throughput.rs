//! Yardsticks, never timed tests. Two lines, hub as server:
//! - the 10-agent heartbeat scenario (agents sharing one host, 10 ms tick, a
//!   Ping every second for 120 s): simulated seconds per wall second;
//! - the incident preset (`presets::incident()`, chaos on, ~4.4 simulated s per
//!   seed): seeds per second on one core, what a sweep of seeds costs.
//!
//! Run: `cargo run --release -p wsrace-sim --example throughput [SEEDS] [chaos]`
//! (SEEDS for the heartbeat line, default 20; `chaos` turns the chaos transport on
//! there too; the incident line always runs 50 times as many seeds).

use std::time::Instant;

use wsrace_sim::{presets, run_once, ChaosConfig, HeartbeatKind, HubFactory, Scenario};

fn main() {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20);
    let chaos = args.next().as_deref() == Some("chaos");
    let mut s = presets::heartbeats("throughput-10-agents", 10, 120, 1000, HeartbeatKind::Ping);
    if chaos {
        s.chaos = ChaosConfig::incident();
        s.chaos.read_error_per_mille = 0;
        s.chaos.reset_per_mille = 0;
    }
    measure(&s, seeds, &format!("chaos {chaos}"));
    measure(&presets::incident(), seeds * 50, "chaos incident");
}

fn measure(s: &Scenario, seeds: u64, what: &str) {
    let start = Instant::now();
    let mut simulated = 0.0;
    let mut steps = 0;
    for seed in 0..seeds {
        let out = run_once(s, &HubFactory, seed);
        assert!(out.record.end.quiescent, "{:?}", out.record.end.pending);
        simulated += out.record.end.at.as_secs_f64();
        steps += out.steps;
    }
    let wall = start.elapsed().as_secs_f64();
    println!(
        "{}: {seeds} seeds, {what}: {simulated:.0} simulated s in {wall:.2} wall s = \
         {:.0} sim-s/wall-s, {:.1} seeds/s, {:.2} us/step",
        s.name,
        simulated / wall,
        seeds as f64 / wall,
        wall * 1e6 / steps as f64
    );
}
