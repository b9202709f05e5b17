//! `wsrace run` and `wsrace replay`: scenario files through the simulation.
//!
//! `run` sweeps seeds and judges each file against its `expect` block;
//! `replay` runs exactly one seed, twice (the second run is the determinism
//! check), and prints every finding in full. It is the command a failure
//! report prints.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use wsrace_sim::oracle;

use wsrace_sim::sweep::{self, describe_seeds, judge_seed, SeedResult, Verdict};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Server under test: `hub` or `zoo:NAME`; default: each file's `server`.
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Run only this seed.
    #[arg(long, value_name = "N", conflicts_with = "seeds")]
    seed: Option<u64>,
    /// Run seeds 0..N instead of the file's seeds (WSRACE_SEED / WSRACE_SEEDS
    /// override the file too).
    #[arg(long, value_name = "N")]
    seeds: Option<u64>,
    /// Scenario files (TOML).
    #[arg(required = true, value_name = "SCENARIO")]
    scenarios: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The scenario file.
    #[arg(long, value_name = "FILE")]
    scenario: PathBuf,
    /// Server under test: `hub` or `zoo:NAME`; default: the file's `server`.
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// The seed to replay.
    #[arg(long, value_name = "N")]
    seed: u64,
    /// Also print the whole trace.
    #[arg(long)]
    trace: bool,
}

pub fn run(args: RunArgs) -> ExitCode {
    let mut work = Vec::new();
    // Every file is checked before anything runs: a typo in the fifth file
    // should not cost the time of the first four.
    for path in &args.scenarios {
        let loaded = match sweep::load(path, args.server.as_deref()) {
            Ok(l) => l,
            Err(e) => return usage_error("run", &e),
        };
        let seeds = match sweep::seeds_for(args.seed, args.seeds, &loaded.file) {
            Ok(s) => s,
            Err(e) => return usage_error("run", &e),
        };
        work.push((loaded, seeds));
    }
    let mut all_ok = true;
    for (loaded, seeds) in &work {
        println!(
            "scenario {} ({}) server {} seeds {}",
            loaded.file.name,
            loaded.file.path.display(),
            loaded.server_name,
            describe_seeds(seeds)
        );
        let mut verdict = Verdict::new(seeds.len());
        for &seed in seeds {
            let (result, sim_secs) = judge_seed(loaded, seed);
            verdict.add(seed, result, sim_secs);
        }
        all_ok &= print_verdict(loaded, &verdict);
    }
    ExitCode::from(if all_ok { 0 } else { 1 })
}

/// Prints the verdict: the first unexpected failure in full, one line for each
/// other failing seed, and the expected failure's seed and replay command.
fn print_verdict(loaded: &sweep::Loaded, verdict: &Verdict) -> bool {
    let ok = verdict.ok(loaded);
    // A known-bad server that is caught as expected may fail other oracles
    // too; that is its business, so only count those findings.
    if ok && !loaded.expected_oracles().is_empty() {
        if !verdict.unexpected.is_empty() {
            println!(
                "  ({} seeds also fired other oracles; `wsrace replay` shows them)",
                verdict.unexpected.len()
            );
        }
    } else {
        print_unexpected(loaded, verdict);
    }
    print_summary(loaded, verdict, ok);
    ok
}

/// The first unexpected failure in full, then one line per other failing seed.
fn print_unexpected(loaded: &sweep::Loaded, verdict: &Verdict) {
    for (i, (seed, result)) in verdict.unexpected.iter().enumerate() {
        if let SeedResult::Unexpected { report, summaries } = result {
            if i == 0 {
                print!("\n{report}");
                for more in &summaries[1..] {
                    println!("  also: {more}");
                }
                println!();
            } else {
                println!("  seed {seed}: {}", summaries[0]);
                println!("    replay: {}", loaded.replay_command(*seed));
            }
        }
    }
}

/// The last line: PASS or FAIL, and where an expected failure was found.
fn print_summary(loaded: &sweep::Loaded, verdict: &Verdict, ok: bool) {
    let expected = loaded.expected_oracles().join(" or ");
    match (
        &verdict.expected_at,
        loaded.expected_oracles().is_empty(),
        ok,
    ) {
        (_, true, true) => println!("  PASS: {} seeds, no oracle fired", verdict.seeds),
        (_, true, false) => {
            println!(
                "  FAIL: {} of {} seeds failed",
                verdict.unexpected.len(),
                verdict.seeds
            )
        }
        (Some((seed, summary)), false, _) => {
            println!("  PASS: expected failure found at seed {seed}: {summary}");
            println!("    replay: {}", loaded.replay_command(*seed));
        }
        (None, false, _) => println!(
            "  FAIL: expected {expected} to fire, but it did not in {} seeds",
            verdict.seeds
        ),
    }
}

pub fn replay(args: ReplayArgs) -> ExitCode {
    let loaded = match sweep::load(&args.scenario, args.server.as_deref()) {
        Ok(l) => l,
        Err(e) => return usage_error("replay", &e),
    };
    println!(
        "seed {} scenario {} server {}",
        args.seed, loaded.file.name, loaded.server_name
    );
    let (outcome, mut findings) = loaded.run_seed(args.seed);
    let (again, _) = loaded.run_seed(args.seed);
    if let Some(diff) =
        oracle::determinism::check(args.seed, &outcome.trace_text, &again.trace_text)
    {
        findings.push(diff);
    }
    if args.trace {
        print!("{}", outcome.trace_text);
    }
    println!(
        "trace hash {:016x}: {} events, {:.3} simulated seconds",
        outcome.trace_hash,
        outcome.record.trace.len(),
        outcome.record.end.at.as_secs_f64()
    );
    if findings.is_empty() {
        println!("PASS: no oracle fired");
        return ExitCode::SUCCESS;
    }
    for finding in &findings {
        print!("\n{}", loaded.render(&outcome, finding));
    }
    ExitCode::from(1)
}

fn usage_error(command: &str, message: &str) -> ExitCode {
    eprintln!("wsrace {command}: {message}");
    ExitCode::from(2)
}
