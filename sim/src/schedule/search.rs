//! The search: proptest generates [`Schedule`]s, each runs once against the
//! server under test, and a run that any oracle faults is a failure. proptest
//! then shrinks it; while shrinking, a schedule counts as failing only if the
//! *same* oracle faults it, so the shrunk schedule shows the failure that was
//! found rather than drifting to another one. The shrunk schedule is run again
//! for its finding and report, and saved as a scenario file.
//!
//! The runner's RNG is ChaCha seeded from [`SearchConfig::rng_seed`]: a search
//! is a function of its configuration, never of OS randomness.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;

use proptest::test_runner::{
    Config, FailurePersistence, FileFailurePersistence, RngAlgorithm, TestCaseError, TestError,
    TestRng, TestRunner,
};

use super::minimize::minimize;
use super::{save, strategy, Saved, Schedule};
use crate::oracle::{check_all, Finding};
use crate::report::{self, ReportOptions};
use crate::rng::SimRng;
use crate::run::run_once;
use crate::server::ServerFactory;

/// What to search and where to keep what is found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchConfig {
    /// New schedules to try (proptest's `cases`).
    pub cases: u32,
    /// Seeds proptest's ChaCha RNG; equal configs search the same schedules.
    pub rng_seed: u64,
    /// Bound on shrinking runs.
    pub max_shrink_iters: u32,
    /// proptest's regression file (its seeds run first; a new failure's seed is
    /// appended), relative to the working directory or absolute.
    pub regressions: Option<&'static str>,
    /// Directory for the shrunk scenario file; `None` keeps nothing.
    pub out_dir: Option<PathBuf>,
    /// Only findings of these oracles count as failures; empty means any.
    pub oracles: Vec<String>,
}

impl SearchConfig {
    /// `cases` schedules from RNG seed `rng_seed`, shrinking for up to 2,000 runs,
    /// no regression file, scenario files under `target/wsrace/found`.
    pub fn new(cases: u32, rng_seed: u64) -> Self {
        SearchConfig {
            cases,
            rng_seed,
            max_shrink_iters: 2_000,
            regressions: None,
            out_dir: Some(PathBuf::from("target/wsrace/found")),
            oracles: Vec::new(),
        }
    }
}

/// A failure, shrunk.
#[derive(Clone, Debug)]
pub struct Found {
    /// The shrunk schedule.
    pub schedule: Schedule,
    /// The schedule as first found, before shrinking.
    pub original: Schedule,
    /// The shrunk schedule's first finding from the oracle that first failed.
    pub finding: Finding,
    /// The failure report of the shrunk schedule's run.
    pub report: String,
    /// Schedules run up to and including the first failing one.
    pub cases_to_first_failure: u64,
    /// Runs spent shrinking (proptest's, then the second pass's).
    pub shrink_runs: u64,
    /// The saved scenario file, or why saving failed; `None` if not asked to.
    pub saved: Option<Result<Saved, String>>,
}

/// What a search did.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    /// The server's name.
    pub server: String,
    /// Schedules generated and run (not counting shrinking).
    pub cases: u64,
    /// Every run, shrinking included.
    pub runs: u64,
    pub found: Option<Found>,
}

/// Runs the search against `server`. See the module doc.
pub fn search(server: &dyn ServerFactory, cfg: &SearchConfig) -> SearchOutcome {
    let name = server.name();
    let runner_config = Config {
        cases: cfg.cases,
        max_shrink_iters: cfg.max_shrink_iters,
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: cfg
            .regressions
            .map(|p| Box::new(FileFailurePersistence::Direct(p)) as Box<dyn FailurePersistence>),
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(runner_config, rng_for(cfg.rng_seed));

    let runs = Cell::new(0u64);
    let first_failure_at = Cell::new(None::<u64>);
    let target = Cell::new(None::<&'static str>);
    let original = RefCell::new(None::<Schedule>);
    let result = runner.run(&strategy::schedule(), |schedule| {
        runs.set(runs.get() + 1);
        let Some(f) = failing(server, &schedule, target.get(), &cfg.oracles) else {
            return Ok(());
        };
        if target.get().is_none() {
            target.set(Some(f.oracle));
            first_failure_at.set(Some(runs.get()));
            *original.borrow_mut() = Some(schedule.clone());
        }
        Err(TestCaseError::fail(f.to_string()))
    });

    let runs = runs.get();
    let found = match result {
        Ok(()) => None,
        Err(TestError::Abort(why)) => panic!("proptest gave up: {why}"),
        Err(TestError::Fail(_, schedule)) => {
            let at = first_failure_at.get().unwrap_or(runs);
            let original = original.into_inner().unwrap_or_else(|| schedule.clone());
            Some(finish(
                server,
                cfg,
                schedule,
                original,
                target.get(),
                at,
                runs - at,
            ))
        }
    };
    SearchOutcome {
        server: name,
        cases: found.as_ref().map_or(runs, |f| f.cases_to_first_failure),
        runs,
        found,
    }
}

/// The first finding of one run of `schedule` that counts: from `oracle` once
/// one has failed, else from one of `oracles` (any if empty).
fn failing(
    server: &dyn ServerFactory,
    schedule: &Schedule,
    oracle: Option<&'static str>,
    oracles: &[String],
) -> Option<Finding> {
    let scenario = schedule.to_scenario("proptest");
    let out = run_once(&scenario, server, schedule.seed);
    check_all(&out.record).into_iter().find(|f| match oracle {
        Some(o) => f.oracle == o,
        None => oracles.is_empty() || oracles.iter().any(|o| o == f.oracle),
    })
}

fn finish(
    server: &dyn ServerFactory,
    cfg: &SearchConfig,
    schedule: Schedule,
    original: Schedule,
    oracle: Option<&'static str>,
    cases_to_first_failure: u64,
    shrink_runs: u64,
) -> Found {
    let name = server.name();
    let (schedule, more) = minimize(schedule, u64::from(cfg.max_shrink_iters), |s| {
        failing(server, s, oracle, &cfg.oracles).is_some()
    });
    let scenario = schedule.to_scenario("proptest");
    let out = run_once(&scenario, server, schedule.seed);
    let findings = check_all(&out.record);
    let finding = findings
        .iter()
        .find(|f| oracle.is_none_or(|o| f.oracle == o))
        .or(findings.first())
        .cloned()
        .expect("the shrunk schedule failed under proptest and runs deterministically");
    let saved = cfg
        .out_dir
        .as_ref()
        .map(|dir| save(dir, &schedule, &name, &finding).map_err(|e| e.to_string()));
    let mut opts = ReportOptions::for_run(&out.record);
    if let Some(Ok(s)) = &saved {
        opts.replay = s.replay_command.clone();
        opts.saved_to = Some(s.path.display().to_string());
    }
    Found {
        report: report::render(&out.record, &finding, &opts),
        schedule,
        original,
        finding,
        cases_to_first_failure,
        shrink_runs: shrink_runs + more,
        saved,
    }
}

/// proptest's ChaCha RNG from a 64-bit seed.
pub fn rng_for(seed: u64) -> TestRng {
    let mut r = SimRng::new(seed);
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&r.next_u64().to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}
