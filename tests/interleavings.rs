//! proptest interleavings: generated schedules (agents heartbeating, waiting,
//! sending data and garbage, stopping reading, reconnecting, closing and hanging
//! up; pushes, partitions, holds and hub bounces; every chaos knob) run against a
//! server, and every oracle must pass.
//!
//! - The hub takes a CI-sized budget ([`HUB_CASES`], or `PROPTEST_CASES`) from a
//!   fixed proptest seed (`WSRACE_PROPTEST_SEED`, default 0). proptest's
//!   regression seeds are kept in `proptest-regressions/interleavings.txt` and run
//!   first. `WSRACE_PROPTEST_ORACLES=wire.grammar,wire.close` limits which
//!   oracles count as failures.
//! - The incident's designs must be caught and shrunk to a schedule of at most
//!   six steps, saved as a scenario file that loads and fails the same way again.
//!
//! Failures are saved under `target/wsrace/found/`; the log says how to replay
//! them (`cargo test --test interleavings -- --nocapture` shows the figures).

use std::path::PathBuf;

use wsrace_sim::oracle::{check_all, id};
use wsrace_sim::schedule::{search, SearchConfig, SearchOutcome};
use wsrace_sim::{run_once, scenario_file, server_by_name};

/// The hub's default budget: about 45 s on one core at the measured ~180
/// schedules/s (the zoo searches take the other core), under a minute in CI.
const HUB_CASES: u32 = 8_000;
/// A zoo design must be caught within this many schedules.
const ZOO_CASES: u32 = 2_000;
/// The shrunk failure must be at most this many steps.
const MAX_SHRUNK_STEPS: usize = 6;

const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/interleavings.txt"
);

fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/wsrace/found")
}

fn env_u64(key: &str) -> Option<u64> {
    std::env::var(key).ok().and_then(|v| v.trim().parse().ok())
}

fn describe(out: &SearchOutcome) -> String {
    let Some(f) = &out.found else {
        return format!("{}: {} schedules, no failure", out.server, out.cases);
    };
    let mut s = format!(
        "{}: first failure after {} schedule(s); shrunk from {} to {} steps in {} runs\n{}\n",
        out.server,
        f.cases_to_first_failure,
        f.original.steps(),
        f.schedule.steps(),
        f.shrink_runs,
        f.schedule,
    );
    match &f.saved {
        Some(Ok(saved)) => s.push_str(&format!(
            "saved {}\n  {}\n  {}\n",
            saved.path.display(),
            saved.run_command,
            saved.replay_command
        )),
        Some(Err(e)) => s.push_str(&format!("NOT saved: {e}\n")),
        None => {}
    }
    s.push_str(&f.report);
    s
}

#[test]
fn the_hub_passes_every_generated_interleaving() {
    let cases = env_u64("PROPTEST_CASES").map_or(HUB_CASES, |c| c as u32);
    let seed = env_u64("WSRACE_PROPTEST_SEED").unwrap_or(0);
    println!("interleavings: hub, {cases} schedules, proptest seed {seed}");
    let mut cfg = SearchConfig::new(cases, seed);
    cfg.regressions = Some(REGRESSIONS);
    cfg.out_dir = Some(out_dir());
    if let Ok(list) = std::env::var("WSRACE_PROPTEST_ORACLES") {
        cfg.oracles = list.split(',').map(|o| o.trim().to_owned()).collect();
        println!("interleavings: only {:?} count", cfg.oracles);
    }
    let server = server_by_name("hub").expect("the hub is a server");
    let out = search(&*server, &cfg);
    println!("{}", describe(&out));
    assert!(out.found.is_none(), "{}", describe(&out));
}

/// Searches `server` for a failure of one of `oracles` (any if empty), then
/// checks the shrunk schedule and that its saved file loads and fails the same
/// way when run again.
fn caught_and_shrunk(server_name: &str, oracles: &[&str]) {
    let server = server_by_name(server_name).expect("a zoo design");
    let cfg = SearchConfig {
        out_dir: Some(out_dir()),
        oracles: oracles.iter().map(|o| (*o).to_owned()).collect(),
        ..SearchConfig::new(ZOO_CASES, 0)
    };
    let out = search(&*server, &cfg);
    println!("{}", describe(&out));
    let found = out
        .found
        .as_ref()
        .unwrap_or_else(|| panic!("{server_name} survived {ZOO_CASES} schedules"));
    println!(
        "{server_name}: seeds to first failure {}, steps {} -> {}",
        found.cases_to_first_failure,
        found.original.steps(),
        found.schedule.steps()
    );
    assert!(
        found.schedule.steps() <= MAX_SHRUNK_STEPS,
        "shrunk to {} steps:\n{}",
        found.schedule.steps(),
        found.schedule
    );

    let saved = match &found.saved {
        Some(Ok(saved)) => saved,
        other => panic!("the failure was not saved: {other:?}"),
    };
    let file = scenario_file::load(&saved.path)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", saved.path.display()));
    assert_eq!(file.server, server_name);
    assert_eq!(file.seeds, [found.schedule.seed]);
    let scenario_file::Expect::Fail { oracles } = &file.expect else {
        panic!("the file expects a pass: {:?}", file.expect);
    };
    assert_eq!(oracles, &[found.finding.oracle.to_owned()]);
    let again = server_by_name(&file.server).expect("the file names a server");
    let record = run_once(&file.scenario, &*again, file.seeds[0]).record;
    let findings = check_all(&record);
    assert!(
        findings.iter().any(|f| f.oracle == found.finding.oracle),
        "run again from {}, it fails differently: {findings:#?}",
        saved.path.display()
    );
}

#[test]
fn the_search_catches_go_original_and_shrinks_it_to_a_few_steps() {
    caught_and_shrunk("zoo:go-original", &[]);
}

#[test]
fn the_search_catches_the_sleep_fix_and_shrinks_it_to_a_few_steps() {
    caught_and_shrunk("zoo:sleep-100ms", &[]);
}

#[test]
fn the_search_finds_go_original_tearing_a_frame() {
    caught_and_shrunk("zoo:go-original", &[id::WIRE_GRAMMAR]);
}

#[test]
fn the_search_finds_the_sleep_fix_tearing_a_frame() {
    caught_and_shrunk("zoo:sleep-100ms", &[id::WIRE_GRAMMAR]);
}
