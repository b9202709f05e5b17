//! Yardsticks for the proptest interleaving search (issue 6), never a timed test.
//!
//! - `zoo`: for `zoo:go-original` and `zoo:sleep-100ms`, N independent searches
//!   (proptest RNG seeds `0..N`, default 20), once counting any oracle and once
//!   counting only the wire oracles (`wire.grammar`, `wire.close`): schedules to
//!   first failure (median, min, max), the shrunk step count, shrinking runs and
//!   wall time per search (search + shrink, nothing saved).
//! - `hub`: one search of 10,000 schedules from proptest seed 0, every oracle
//!   counting: failures found (expected 0), schedules/s, wall time. A failure is
//!   shrunk, saved under `target/wsrace/bench-found/` and printed in full.
//!
//! Run: `cargo run --release -p wsrace-sim --example search_bench -- [zoo|hub]
//! [--searches N] [--zoo-cases N] [--hub-cases N] [--server NAME]` (no mode:
//! both; `--server` swaps the hub mode's server, only to try the failure report). The searches
//! are the library's [`search`] with the settings of `tests/interleavings.rs`
//! (2,000 schedules per zoo search, 2,000 shrinking runs), no regression file;
//! each is a function of its RNG seed, so the counts reproduce exactly and only
//! the times depend on the machine. Runs on one thread.
//!
//! proptest's `Config::default()` reads `PROPTEST_*` variables; leave them unset.

use std::path::Path;
use std::time::Instant;

use wsrace_sim::oracle::id;
use wsrace_sim::schedule::{search, SearchConfig, SearchOutcome};
use wsrace_sim::server_by_name;

const ZOO: [&str; 2] = ["zoo:go-original", "zoo:sleep-100ms"];
/// `tests/interleavings.rs`'s budget per zoo search.
const ZOO_CASES: u32 = 2_000;
const HUB_CASES: u32 = 10_000;
const SEARCHES: u64 = 20;

struct Args {
    zoo: bool,
    hub: bool,
    searches: u64,
    zoo_cases: u32,
    hub_cases: u32,
    /// The server of the `hub` mode (`--server`, default `hub`; another name
    /// only to try the failure report).
    hub_server: String,
}

fn usage() -> ! {
    eprintln!("usage: search_bench [zoo|hub] [--searches N] [--zoo-cases N] [--hub-cases N] [--server NAME]");
    std::process::exit(2)
}

fn parse() -> Args {
    let mut a = Args {
        zoo: false,
        hub: false,
        searches: SEARCHES,
        zoo_cases: ZOO_CASES,
        hub_cases: HUB_CASES,
        hub_server: "hub".to_owned(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = || {
            it.next()
                .and_then(|v| v.replace('_', "").parse::<u64>().ok())
                .unwrap_or_else(|| usage())
        };
        match arg.as_str() {
            "zoo" => a.zoo = true,
            "hub" => a.hub = true,
            "--searches" => a.searches = num(),
            "--zoo-cases" => a.zoo_cases = num() as u32,
            "--hub-cases" => a.hub_cases = num() as u32,
            "--server" => a.hub_server = it.next().unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    if !a.zoo && !a.hub {
        a.zoo = true;
        a.hub = true;
    }
    a
}

fn main() {
    let args = parse();
    if let Some(v) = std::env::vars().find(|(k, _)| k.starts_with("PROPTEST_")) {
        eprintln!(
            "search_bench: warning: {}={} changes proptest's config",
            v.0, v.1
        );
    }
    println!(
        "search_bench: {} {}",
        env!("CARGO_PKG_NAME"),
        if cfg!(debug_assertions) {
            "DEBUG build (use --release)"
        } else {
            "release build"
        }
    );
    if args.zoo {
        zoo(&args);
    }
    if args.hub {
        hub(&args);
    }
}

/// One search's figures.
struct One {
    rng_seed: u64,
    /// Schedules to first failure; `None`: none within the budget.
    /// (`runs`: every run, shrinking included.)
    first: Option<u64>,
    oracle: &'static str,
    shrunk_steps: usize,
    original_steps: usize,
    shrink_runs: u64,
    wall: f64,
    /// Every run, shrinking included.
    runs: u64,
}

fn one(server: &str, cases: u32, rng_seed: u64, oracles: &[&str]) -> One {
    let factory = server_by_name(server).expect("a server");
    let cfg = SearchConfig {
        out_dir: None,
        oracles: oracles.iter().map(|o| (*o).to_owned()).collect(),
        ..SearchConfig::new(cases, rng_seed)
    };
    let start = Instant::now();
    let out = search(&*factory, &cfg);
    let wall = start.elapsed().as_secs_f64();
    match &out.found {
        Some(f) => One {
            rng_seed,
            first: Some(f.cases_to_first_failure),
            oracle: f.finding.oracle,
            shrunk_steps: f.schedule.steps(),
            original_steps: f.original.steps(),
            shrink_runs: f.shrink_runs,
            wall,
            runs: f.cases_to_first_failure + f.shrink_runs,
        },
        None => One {
            rng_seed,
            first: None,
            oracle: "-",
            shrunk_steps: 0,
            original_steps: 0,
            shrink_runs: 0,
            wall,
            runs: out.runs,
        },
    }
}

/// Median of sorted `v` (mean of the middle two for even lengths).
fn median(v: &[f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v
}

fn fmt_num(x: f64) -> String {
    if x.is_infinite() {
        "n/f".to_owned()
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// "median (min–max)".
fn mmm(v: &[f64]) -> String {
    let v = sorted(v.to_vec());
    if v.is_empty() {
        return "-".to_owned();
    }
    format!(
        "{} ({}–{})",
        fmt_num(median(&v)),
        fmt_num(v[0]),
        fmt_num(v[v.len() - 1])
    )
}

fn zoo(args: &Args) {
    let modes: [(&str, &[&str]); 2] = [
        ("any oracle", &[]),
        ("wire only", &[id::WIRE_GRAMMAR, id::WIRE_CLOSE]),
    ];
    let mut rows = Vec::new();
    for server in ZOO {
        for (mode, oracles) in modes {
            let mut all = Vec::new();
            for rng_seed in 0..args.searches {
                let o = one(server, args.zoo_cases, rng_seed, oracles);
                println!(
                    "{server} [{mode}] rng_seed {:>2}: first failure {:>5}, {:<13} steps {:>2} -> {:>2}, shrink runs {:>4}, {:>5} runs in all, {:>6.2} s",
                    o.rng_seed,
                    o.first.map_or("none".to_owned(), |c| c.to_string()),
                    o.oracle,
                    o.original_steps,
                    o.shrunk_steps,
                    o.shrink_runs,
                    o.runs,
                    o.wall
                );
                all.push(o);
            }
            rows.push(summary(server, mode, &all));
        }
    }
    println!(
        "\n### Schedules to first failure, zoo designs ({} searches each, proptest rng seeds 0..{}, budget {} schedules/search)\n",
        args.searches, args.searches, args.zoo_cases
    );
    println!("| server | oracles counted | found | schedules to first failure, median (min–max) | oracle first failing | shrunk steps, median (min–max) | ≤ 6 steps | shrinking runs, median | wall s/search, median (min–max) | total wall s |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!("\n(`n/f`: not found within the budget, counted as +∞ for the median.)");
}

fn summary(server: &str, mode: &str, all: &[One]) -> String {
    let found: Vec<&One> = all.iter().filter(|o| o.first.is_some()).collect();
    let first: Vec<f64> = all
        .iter()
        .map(|o| o.first.map_or(f64::INFINITY, |c| c as f64))
        .collect();
    let steps: Vec<f64> = found.iter().map(|o| o.shrunk_steps as f64).collect();
    let shrink: Vec<f64> = sorted(found.iter().map(|o| o.shrink_runs as f64).collect());
    let wall: Vec<f64> = all.iter().map(|o| o.wall).collect();
    let small = found.iter().filter(|o| o.shrunk_steps <= 6).count();
    let mut oracles: Vec<(&str, usize)> = Vec::new();
    for o in &found {
        match oracles.iter_mut().find(|(n, _)| *n == o.oracle) {
            Some((_, c)) => *c += 1,
            None => oracles.push((o.oracle, 1)),
        }
    }
    oracles.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let oracles: Vec<String> = oracles.iter().map(|(n, c)| format!("{n} ×{c}")).collect();
    let wall_sorted = sorted(wall.clone());
    format!(
        "| `{server}` | {mode} | {}/{} | {} | {} | {} | {}/{} | {} | {:.2} ({:.2}–{:.2}) | {:.1} |",
        found.len(),
        all.len(),
        mmm(&first),
        oracles.join(", "),
        mmm(&steps),
        small,
        found.len(),
        fmt_num(median(&shrink)),
        median(&wall_sorted),
        wall_sorted[0],
        wall_sorted[wall_sorted.len() - 1],
        wall.iter().sum::<f64>(),
    )
}

fn hub(args: &Args) {
    let factory = server_by_name(&args.hub_server).unwrap_or_else(|e| {
        eprintln!("search_bench: {e}");
        std::process::exit(2)
    });
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sim/ sits in the workspace")
        .join("target/wsrace/bench-found");
    let cfg = SearchConfig {
        out_dir: Some(out_dir),
        ..SearchConfig::new(args.hub_cases, 0)
    };
    println!(
        "{}: {} schedules, proptest rng seed 0, every oracle counts",
        args.hub_server, args.hub_cases
    );
    let start = Instant::now();
    let out = search(&*factory, &cfg);
    let wall = start.elapsed().as_secs_f64();
    report_hub(&out, args.hub_cases, wall);
}

fn report_hub(out: &SearchOutcome, budget: u32, wall: f64) {
    println!(
        "\n### `{}`, one search (proptest rng seed 0, all oracles)\n",
        out.server
    );
    println!("| server | schedules run | failures found | wall s (search + any shrinking) | schedules/s |");
    println!("|---|---|---|---|---|");
    let failures = usize::from(out.found.is_some());
    println!(
        "| `{}` | {} of {budget} | {failures} | {wall:.1} | {:.0} |",
        out.server,
        out.cases,
        out.cases as f64 / wall
    );
    let Some(f) = &out.found else { return };
    println!(
        "\nFAILURE after {} schedule(s), oracle {}; shrunk from {} to {} steps in {} runs ({} runs in all)\n{}",
        f.cases_to_first_failure,
        f.finding.oracle,
        f.original.steps(),
        f.schedule.steps(),
        f.shrink_runs,
        f.cases_to_first_failure + f.shrink_runs,
        f.schedule
    );
    println!("original schedule:\n{}", f.original);
    match &f.saved {
        Some(Ok(s)) => println!(
            "saved {}\n  {}\n  {}\n--- file ---\n{}",
            s.path.display(),
            s.run_command,
            s.replay_command,
            s.text
        ),
        Some(Err(e)) => println!("NOT saved: {e}"),
        None => {}
    }
    println!("{}", f.report);
}
