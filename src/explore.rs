//! `wsrace explore`: every scenario file over many seeds, one simulation per
//! thread, then a summary table and the replay command of every failure.
//!
//! Each simulation is single-threaded and seeded, so running seeds on several
//! threads changes nothing but the wall time; results are folded in seed
//! order, so the report is the same whatever the thread timing.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use serde_json::json;

use wsrace_sim::sweep::{self, judge_seed, Loaded, SeedResult, Verdict};

#[derive(Debug, Args)]
pub struct ExploreArgs {
    /// Directory of scenario files (`*.toml`).
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    scenarios: PathBuf,
    /// Seeds 0..N for every file, instead of each file's own seeds.
    #[arg(long, value_name = "N")]
    seeds: Option<u64>,
    /// Simulations run at once (default: the number of cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Server under test for every file: `hub` or `zoo:NAME` (default: each file's).
    #[arg(long, value_name = "NAME")]
    server: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// One finished seed, sent from a worker.
struct Done {
    file: usize,
    index: usize,
    result: SeedResult,
    sim_secs: f64,
    wall_secs: f64,
}

pub fn run(args: ExploreArgs) -> ExitCode {
    let paths = match wsrace_sim::scenario_file::list_dir(&args.scenarios) {
        Ok(p) if !p.is_empty() => p,
        Ok(_) => {
            return usage(&format!(
                "no *.toml scenario files in {}",
                args.scenarios.display()
            ))
        }
        Err(e) => return usage(&e.to_string()),
    };
    let mut files = Vec::new();
    for path in &paths {
        let loaded = match sweep::load(path, args.server.as_deref()) {
            Ok(l) => l,
            Err(e) => return usage(&e),
        };
        let seeds = match sweep::seeds_for(None, args.seeds, &loaded.file) {
            Ok(s) => s,
            Err(e) => return usage(&e),
        };
        files.push((loaded, seeds));
    }
    let total: usize = files.iter().map(|(_, s)| s.len()).sum();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, total.max(1));
    if args.format == Format::Text {
        println!(
            "exploring {} scenario files, {total} seeds, {jobs} at a time (server: {})",
            files.len(),
            args.server.as_deref().unwrap_or("each file's")
        );
    }

    let results = run_all(&paths, &files, args.server.as_deref(), jobs, total);
    let mut rows = Vec::new();
    let mut all_ok = true;
    for (i, (loaded, seeds)) in files.iter().enumerate() {
        let mut verdict = Verdict::new(seeds.len());
        let mut wall = 0.0;
        let mut mine: Vec<&Done> = results.iter().filter(|d| d.file == i).collect();
        mine.sort_by_key(|d| d.index);
        for d in mine {
            wall += d.wall_secs;
            verdict.add(seeds[d.index], d.result.clone(), d.sim_secs);
        }
        all_ok &= verdict.ok(loaded);
        rows.push((loaded, verdict, wall));
    }
    match args.format {
        Format::Text => print_text(&rows),
        Format::Json => print_json(&rows),
    }
    ExitCode::from(if all_ok { 0 } else { 1 })
}

/// Runs every (file, seed) pair on `jobs` threads; each thread loads its own
/// copy of the files because servers are not shared across threads.
fn run_all(
    paths: &[PathBuf],
    files: &[(Loaded, Vec<u64>)],
    server: Option<&str>,
    jobs: usize,
    total: usize,
) -> Vec<Done> {
    let work: Vec<(usize, usize, u64)> = files
        .iter()
        .enumerate()
        .flat_map(|(f, (_, seeds))| seeds.iter().enumerate().map(move |(i, &s)| (f, i, s)))
        .collect();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Done>();
    let progress = std::io::stderr().is_terminal();
    let mut done = Vec::with_capacity(total);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (work, next) = (&work, &next);
            scope.spawn(move || {
                // Already validated above, so loading again cannot fail.
                let local: Vec<Loaded> = paths
                    .iter()
                    .filter_map(|p| sweep::load(p, server).ok())
                    .collect();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(file, index, seed)) = work.get(k) else {
                        break;
                    };
                    let started = Instant::now();
                    let (result, sim_secs) = judge_seed(&local[file], seed);
                    let wall_secs = started.elapsed().as_secs_f64();
                    if tx
                        .send(Done {
                            file,
                            index,
                            result,
                            sim_secs,
                            wall_secs,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for d in rx {
            done.push(d);
            if progress {
                draw_progress(done.len(), total);
            }
        }
    });
    if progress {
        eprint!("\r{:60}\r", "");
    }
    done
}

fn draw_progress(done: usize, total: usize) {
    let width = 30;
    let filled = done * width / total.max(1);
    eprint!(
        "\r[{}{}] {done}/{total} seeds",
        "=".repeat(filled),
        " ".repeat(width - filled)
    );
    let _ = std::io::stderr().flush();
}

fn expectation(loaded: &Loaded) -> String {
    match loaded.expected_oracles() {
        [] => "pass".into(),
        oracles => format!("fail: {}", oracles.join("|")),
    }
}

fn print_text(rows: &[(&Loaded, Verdict, f64)]) {
    let name_w = rows
        .iter()
        .map(|(l, ..)| l.file.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    println!(
        "\n{:<name_w$}  {:<22}  {:>6}  {:>10}  {:>7}  {:<28}  {:>8}  result",
        "scenario", "server", "seeds", "unexpected", "caught", "expect", "sim-s/s"
    );
    for (loaded, v, wall) in rows {
        let failures = v.unexpected.len();
        let speed = if *wall > 0.0 { v.sim_secs / wall } else { 0.0 };
        let result = match (v.ok(loaded), &v.expected_at) {
            (true, Some((seed, _))) => format!("ok (caught at seed {seed})"),
            (true, None) => "ok".into(),
            (false, _) => "FAILED".into(),
        };
        println!(
            "{:<name_w$}  {:<22}  {:>6}  {:>10}  {:>7}  {:<28}  {:>8.0}  {result}",
            loaded.file.name,
            loaded.server_name,
            v.seeds,
            failures,
            v.expected_hits,
            expectation(loaded),
            speed
        );
    }
    for (loaded, v, _) in rows {
        if v.ok(loaded) {
            continue;
        }
        println!("\n{} FAILED", loaded.file.name);
        if v.unexpected.is_empty() {
            println!(
                "  expected {} to fire; it did not",
                loaded.expected_oracles().join(" or ")
            );
        }
        for (i, (seed, result)) in v.unexpected.iter().enumerate() {
            if let SeedResult::Unexpected { report, summaries } = result {
                if i == 0 {
                    print!("{report}");
                } else {
                    println!("  seed {seed}: {}", summaries[0]);
                    println!("    replay: {}", loaded.replay_command(*seed));
                }
            }
        }
    }
}

fn print_json(rows: &[(&Loaded, Verdict, f64)]) {
    let scenarios: Vec<_> = rows
        .iter()
        .map(|(loaded, v, wall)| {
            let failures: Vec<_> = v
                .unexpected
                .iter()
                .map(|(seed, r)| {
                    let summary = match r {
                        SeedResult::Unexpected { summaries, .. } => summaries.clone(),
                        _ => Vec::new(),
                    };
                    json!({"seed": seed, "findings": summary, "replay": loaded.replay_command(*seed)})
                })
                .collect();
            json!({
                "scenario": loaded.file.name,
                "path": loaded.file.path.display().to_string(),
                "server": loaded.server_name,
                "seeds": v.seeds,
                "expect": expectation(loaded),
                "ok": v.ok(loaded),
                "expected_failure_seed": v.expected_at.as_ref().map(|(s, _)| s),
                "expected_failures": v.expected_hits,
                "failures": failures,
                "simulated_seconds": v.sim_secs,
                "wall_seconds": wall,
            })
        })
        .collect();
    println!("{}", json!({ "scenarios": scenarios }));
}

fn usage(message: &str) -> ExitCode {
    eprintln!("wsrace explore: {message}");
    ExitCode::from(2)
}
