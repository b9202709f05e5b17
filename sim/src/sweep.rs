//! Running a scenario file over seeds and judging it against its `expect`
//! block. Shared by the CLI's `run`, `replay` and `explore` and by the corpus
//! test, which differ only in how they present the result.

use std::path::Path;

use crate::oracle::{self, Finding};
use crate::report::{self, ReportOptions};
use crate::scenario_file::{self, Expect, ScenarioFile};
use crate::server::{server_by_name, ServerFactory};
use crate::{run_once, RunOutcome};

/// A scenario file with the server it runs against.
pub struct Loaded {
    pub file: ScenarioFile,
    pub server_name: String,
    pub server: Box<dyn ServerFactory>,
}

/// Loads `path` and resolves its server (`server` overrides the file's).
pub fn load(path: &Path, server: Option<&str>) -> Result<Loaded, String> {
    let file = scenario_file::load(path).map_err(|e| e.to_string())?;
    let server_name = server.unwrap_or(&file.server).to_owned();
    let server = server_by_name(&server_name).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Loaded {
        file,
        server_name,
        server,
    })
}

impl Loaded {
    /// The exact command that reproduces `seed`.
    pub fn replay_command(&self, seed: u64) -> String {
        format!(
            "wsrace replay --scenario {} --server {} --seed {seed}",
            report::shell_quote(&self.file.path.display().to_string()),
            report::shell_quote(&self.server_name),
        )
    }

    /// One seed, judged by every oracle.
    pub fn run_seed(&self, seed: u64) -> (RunOutcome, Vec<Finding>) {
        let outcome = run_once(&self.file.scenario, self.server.as_ref(), seed);
        let findings = oracle::check_all(&outcome.record);
        (outcome, findings)
    }

    /// The full failure report for `finding`, with this file's replay command.
    pub fn render(&self, outcome: &RunOutcome, finding: &Finding) -> String {
        let mut opts = ReportOptions::for_run(&outcome.record);
        opts.replay = self.replay_command(outcome.record.seed);
        report::render(&outcome.record, finding, &opts)
    }

    /// The oracles an expected failure may come from; empty when the file
    /// expects a pass.
    pub fn expected_oracles(&self) -> &[String] {
        match &self.file.expect {
            Expect::Pass => &[],
            Expect::Fail { oracles } => oracles,
        }
    }
}

/// What one seed did, relative to the file's expectation.
#[derive(Clone, Debug)]
pub enum SeedResult {
    /// No oracle fired.
    Clean,
    /// An expected oracle fired (zoo files): the summary of that finding.
    Expected(String),
    /// Something fired that the file does not expect: the first finding's
    /// full report and the summaries of all findings.
    Unexpected {
        report: String,
        summaries: Vec<String>,
    },
}

/// Runs one seed and classifies it. Also returns simulated seconds run.
pub fn judge_seed(loaded: &Loaded, seed: u64) -> (SeedResult, f64) {
    let (outcome, findings) = loaded.run_seed(seed);
    let sim_secs = outcome.record.end.at.as_secs_f64();
    let expected = loaded.expected_oracles();
    if findings.is_empty() {
        return (SeedResult::Clean, sim_secs);
    }
    // A wrong server may fail in more ways than the one its file names; one
    // expected oracle firing is enough.
    if let Some(hit) = findings
        .iter()
        .find(|f| expected.iter().any(|o| o == f.oracle))
    {
        return (SeedResult::Expected(hit.summary.clone()), sim_secs);
    }
    let report = loaded.render(&outcome, &findings[0]);
    let summaries = findings.iter().map(|f| f.to_string()).collect();
    (SeedResult::Unexpected { report, summaries }, sim_secs)
}

/// The verdict on one scenario over its seeds, in seed order.
pub struct Verdict {
    pub seeds: usize,
    /// Seeds where something unexpected fired, with their results.
    pub unexpected: Vec<(u64, SeedResult)>,
    /// First seed where an expected oracle fired, with its summary.
    pub expected_at: Option<(u64, String)>,
    /// Seeds where an expected oracle fired.
    pub expected_hits: usize,
    pub sim_secs: f64,
}

impl Verdict {
    pub fn new(seeds: usize) -> Self {
        Verdict {
            seeds,
            unexpected: Vec::new(),
            expected_at: None,
            expected_hits: 0,
            sim_secs: 0.0,
        }
    }

    /// Folds in one seed's result; call in seed order.
    pub fn add(&mut self, seed: u64, result: SeedResult, sim_secs: f64) {
        self.sim_secs += sim_secs;
        match result {
            SeedResult::Clean => {}
            SeedResult::Expected(summary) => {
                self.expected_hits += 1;
                if self.expected_at.is_none() {
                    self.expected_at = Some((seed, summary));
                }
            }
            other => self.unexpected.push((seed, other)),
        }
    }

    /// Whether the scenario met its `expect` block.
    pub fn ok(&self, loaded: &Loaded) -> bool {
        match loaded.file.expect {
            Expect::Pass => self.unexpected.is_empty(),
            // Unexpected findings of a known-bad server are its business; the
            // file only promises that the expected oracle catches it.
            Expect::Fail { .. } => self.expected_at.is_some(),
        }
    }
}

/// The most seeds one sweep of one file runs, as for a file's own `seeds`.
pub const MAX_SEEDS: u64 = 1_000_000;

/// Which seeds to run: the command line, then the environment, then the file.
pub fn seeds_for(
    seed: Option<u64>,
    seeds: Option<u64>,
    file: &ScenarioFile,
) -> Result<Vec<u64>, String> {
    if let Some(seed) = seed {
        return Ok(vec![seed]);
    }
    if let Some(n) = seeds {
        // Zero seeds would pass without running anything: a vacuous verdict.
        if n == 0 || n > MAX_SEEDS {
            return Err(format!("--seeds takes 1 to {MAX_SEEDS}, not {n}"));
        }
        return Ok((0..n).collect());
    }
    Ok(scenario_file::seeds_from_env()?.unwrap_or_else(|| file.seeds.clone()))
}

/// `0..=9 (10 seeds)`, `7`, `3 listed`.
pub fn describe_seeds(seeds: &[u64]) -> String {
    match seeds {
        [] => "none".into(),
        [one] => one.to_string(),
        [first, .., last] if seeds.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{first}..={last} ({} seeds)", seeds.len())
        }
        _ => format!("{} listed", seeds.len()),
    }
}
