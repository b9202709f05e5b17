//! `wsrace fuzz`: the proptest interleaving search of `tests/interleavings.rs`,
//! for long runs. Rounds of generated schedules run against one server, each
//! round from its own proptest seed derived from `--seed`; each failure is
//! shrunk, saved as a scenario file and printed with the commands that replay
//! it. The same `--seed` and `--cases` search the same schedules (`--time` only
//! decides how many rounds run).
//!
//! Exit codes: 0 nothing found, 1 a failure was found, 2 bad usage.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use wsrace_sim::rng::SimRng;
use wsrace_sim::schedule::{search, SearchConfig};
use wsrace_sim::server_by_name;

/// Schedules per round: a failure ends its round, the next round starts afresh.
const ROUND: u32 = 500;

#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Server under test: `hub` or `zoo:<design>`.
    #[arg(long, default_value = "hub")]
    pub server: String,
    /// Schedules to try in all (shrinking runs not counted).
    #[arg(long, default_value_t = 10_000)]
    pub cases: u64,
    /// Stop starting new rounds after this many seconds of wall time.
    #[arg(long, value_name = "SECS")]
    pub time: Option<u64>,
    /// Directory for the scenario files of failures found.
    #[arg(long, default_value = "target/wsrace/found")]
    pub out: PathBuf,
    /// Base seed of the search (each round's proptest seed derives from it).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Count only failures of this oracle (repeatable; default: any oracle).
    #[arg(long = "oracle", value_name = "ID")]
    pub oracles: Vec<String>,
}

pub fn run(args: FuzzArgs) -> ExitCode {
    let server = match server_by_name(&args.server) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wsrace fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let known = wsrace_sim::oracle::all().map(|o| o.id());
    if let Some(bad) = args.oracles.iter().find(|o| !known.contains(&o.as_str())) {
        eprintln!(
            "wsrace fuzz: no oracle is called {bad:?}; known: {}",
            known.join(", ")
        );
        return ExitCode::from(2);
    }
    println!(
        "wsrace fuzz: server {} seed {} cases {}{}",
        args.server,
        args.seed,
        args.cases,
        args.time.map_or(String::new(), |t| format!(" time {t}s"))
    );
    let started = Instant::now();
    let deadline = args.time.map(Duration::from_secs);
    let mut done = 0u64;
    let mut runs = 0u64;
    let mut saved = BTreeSet::new();
    let mut shapes = BTreeSet::new();
    let mut failures = 0u64;
    let mut round = 0u64;
    while done < args.cases && deadline.is_none_or(|d| started.elapsed() < d) {
        let rng_seed = SimRng::new(args.seed)
            .fork(&format!("round {round}"))
            .next_u64();
        let cases = (args.cases - done).min(u64::from(ROUND)) as u32;
        let cfg = SearchConfig {
            out_dir: Some(args.out.clone()),
            oracles: args.oracles.clone(),
            ..SearchConfig::new(cases, rng_seed)
        };
        let out = search(&*server, &cfg);
        done += out.cases;
        runs += out.runs;
        round += 1;
        let Some(found) = out.found else { continue };
        failures += 1;
        // The same steps failing the same oracle under another seed or other
        // chaos numbers is the same race; keep one file per race, not per seed.
        let mut shape = found.schedule.clone();
        shape.seed = 0;
        shape.chaos = Default::default();
        let key = format!("{}\n{shape}", found.finding.oracle);
        if !shapes.insert(key) {
            // A kept file has this name only if it holds the very same schedule.
            if let Some(Ok(s)) = &found.saved {
                if !saved.contains(&s.path) {
                    let _ = std::fs::remove_file(&s.path);
                }
            }
            println!(
                "round {round}: {} again with the same steps (not kept)",
                found.finding.oracle
            );
            continue;
        }
        if let Some(Ok(s)) = &found.saved {
            saved.insert(s.path.clone());
        }
        println!(
            "\nround {round} (proptest seed {rng_seed}): failure after {} schedule(s), shrunk from {} to {} steps\n{}",
            found.cases_to_first_failure,
            found.original.steps(),
            found.schedule.steps(),
            found.schedule
        );
        println!("{}", found.report);
        match &found.saved {
            Some(Ok(s)) => println!(
                "saved {}\n  {}\n  {}\n",
                s.path.display(),
                s.run_command,
                s.replay_command
            ),
            Some(Err(e)) => println!("NOT saved: {e}\n"),
            None => {}
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wsrace fuzz: {done} schedules ({runs} runs with shrinking) in {secs:.1}s, {:.0} schedules/s; {failures} failure(s), {} distinct file(s) in {}",
        done as f64 / secs.max(1e-9),
        saved.len(),
        args.out.display()
    );
    if failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
