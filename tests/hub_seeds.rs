//! wsrace's hub passes the incident's situation on 1,000 seeds.
//!
//! `presets::incident()`: agents heartbeating (Ping and JSON), a reconnect that
//! replaces a live connection, a heartbeat timeout, a slow reader, pushes, and the
//! chaos transport tearing writes, failing reads, resetting connections and
//! blocking writes for 120-400 ms (longer than the incident's 100 ms sleep).
//! Every oracle must stay silent on every seed; the first finding fails the test
//! with its full report and replay command. The same situation fails the zoo's
//! incident designs (`tests/zoo.rs`).
//!
//! Cost: about 2 ms of wall time per seed (4.4 simulated seconds each).

use wsrace_sim::report::{self, ReportOptions};
use wsrace_sim::{oracle, presets, run_once, ChaosStats, HubFactory};

const SEEDS: u64 = 1_000;

/// What the seeds exercised, so a scenario that stopped doing what it claims
/// fails here instead of passing vacuously.
#[derive(Debug, Default)]
struct Seen {
    timeouts: u64,
    replaced: u64,
    pushes_delivered: u64,
    stalls_over_100ms: u64,
    /// Seeds where a connection began shutting down within 400 ms of a write on
    /// it being stalled past 100 ms: the incident's race, met by the hub.
    shutdown_during_long_stall: u64,
    chaos: ChaosStats,
    tasks_counted: u64,
}

#[test]
fn the_hub_passes_the_incident_on_a_thousand_seeds_with_every_oracle_silent() {
    let scenario = presets::incident();
    let mut seen = Seen::default();
    for seed in 0..SEEDS {
        let out = run_once(&scenario, &HubFactory, seed);
        let r = &out.record;
        if let Some(f) = oracle::check_all(r).first() {
            panic!(
                "the hub failed seed {seed}:\n{}",
                report::render(r, f, &ReportOptions::for_run(r))
            );
        }
        let count = |name: &str| r.trace.iter().filter(|e| e.name == name).count() as u64;
        seen.timeouts += count("heartbeat.timeout");
        seen.replaced += count("conn.replaced");
        seen.pushes_delivered += r
            .received_pushes
            .values()
            .map(|v| v.len() as u64)
            .sum::<u64>();
        let long_stalls: Vec<_> = r
            .trace
            .iter()
            .filter(|e| e.name == "chaos.stall" && e.num("ms").is_some_and(|ms| ms > 100))
            .collect();
        seen.stalls_over_100ms += long_stalls.len() as u64;
        let raced = r.trace.iter().any(|e| {
            e.source == "hub"
                && e.name == "shutdown.begun"
                && long_stalls.iter().any(|s| {
                    let conn = r.conns.iter().find(|c| Some(c.id) == s.num("conn"));
                    conn.is_some_and(|c| c.server_conn == e.num("conn"))
                        && s.at <= e.at
                        && e.at < s.at + std::time::Duration::from_millis(s.num("ms").unwrap_or(0))
                })
        });
        seen.shutdown_during_long_stall += u64::from(raced);
        seen.tasks_counted += u64::from(r.extra_tasks_at_end.is_some());
        let c = out.chaos;
        seen.chaos.short_writes += c.short_writes;
        seen.chaos.stalls += c.stalls;
        seen.chaos.read_errors += c.read_errors;
        seen.chaos.resets += c.resets;
        seen.chaos.coalesced_reads += c.coalesced_reads;
    }
    println!("{SEEDS} seeds of {}: {seen:#?}", scenario.name);
    // The situation really happened, many times over.
    assert!(seen.timeouts >= SEEDS * 3 / 4, "{seen:#?}");
    assert!(seen.replaced >= SEEDS * 3 / 4, "{seen:#?}");
    assert!(seen.pushes_delivered >= SEEDS * 5, "{seen:#?}");
    assert!(seen.stalls_over_100ms >= SEEDS, "{seen:#?}");
    assert!(seen.shutdown_during_long_stall >= SEEDS / 20, "{seen:#?}");
    assert!(seen.chaos.read_errors >= SEEDS / 5, "{seen:#?}");
    assert!(seen.chaos.resets >= SEEDS / 10, "{seen:#?}");
    assert!(seen.chaos.short_writes >= SEEDS * 10, "{seen:#?}");
    // The hub host's runtime was asked for leftover tasks on every seed.
    assert_eq!(seen.tasks_counted, SEEDS, "{seen:#?}");
}
