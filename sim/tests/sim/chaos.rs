use wsrace_sim::{run_once, ChaosConfig, ChaosStats, HubFactory};

use crate::support::heartbeats;

fn total(seeds: std::ops::Range<u64>, chaos: ChaosConfig) -> (ChaosStats, usize, Vec<String>) {
    let mut scenario = heartbeats("chaos", 4, 20, 500);
    scenario.chaos = chaos;
    let mut sum = ChaosStats::default();
    let mut faults = 0;
    let mut kinds = Vec::new();
    for seed in seeds {
        let out = run_once(&scenario, &HubFactory, seed);
        let s = out.chaos;
        sum.short_writes += s.short_writes;
        sum.pending_writes += s.pending_writes;
        sum.stalls += s.stalls;
        sum.coalesced_reads += s.coalesced_reads;
        sum.split_reads += s.split_reads;
        sum.read_errors += s.read_errors;
        sum.resets += s.resets;
        faults += out.record.faults.len();
        kinds.extend(out.record.faults.iter().map(|f| f.kind.clone()));
        for f in &out.record.faults {
            assert_eq!(
                f.conns.len(),
                1,
                "chaos faults name their connection: {f:?}"
            );
        }
    }
    (sum, faults, kinds)
}

#[test]
fn chaos_tears_writes_delays_stalls_and_merges_reads() {
    let mut chaos = ChaosConfig::incident();
    chaos.read_error_per_mille = 0;
    chaos.reset_per_mille = 0;
    chaos.stall_per_mille = 100;
    let (s, _, kinds) = total(0..3, chaos);
    assert!(s.short_writes > 0, "{s:?}");
    assert!(s.pending_writes > 0, "{s:?}");
    assert!(s.stalls > 0, "{s:?}");
    assert!(s.coalesced_reads > 0, "{s:?}");
    assert!(s.split_reads > 0, "{s:?}");
    assert!(kinds.iter().all(|k| k == "chaos.stall"), "{kinds:?}");
}

#[test]
fn chaos_injects_read_errors_and_resets_as_faults() {
    let chaos = ChaosConfig {
        read_error_per_mille: 40,
        reset_per_mille: 40,
        ..ChaosConfig::default()
    };
    let (s, faults, kinds) = total(0..4, chaos);
    assert!(s.read_errors > 0 && s.resets > 0, "{s:?}");
    assert_eq!(faults as u64, s.read_errors + s.resets);
    assert!(kinds.iter().any(|k| k == "chaos.read_error"));
    assert!(kinds.iter().any(|k| k == "chaos.reset"));
}

#[test]
fn chaos_off_is_transparent() {
    let out = run_once(&heartbeats("calm", 2, 5, 500), &HubFactory, 9);
    assert_eq!(out.chaos, ChaosStats::default());
    assert!(out.record.faults.is_empty());
}
