//! `wsrace fuzz`: the proptest search, its saved scenario files, and how they
//! replay.
//!
//! The search is bounded by `--cases`, not `--time`, so the same cases run on
//! every machine. Against `zoo:sleep-100ms` the first failure comes within a
//! handful of schedules; 300 cases would find ~60 and take ~15 s (each
//! failure is shrunk), so 5 keep this test well under a second.

use std::path::Path;

use crate::support::{fail_reports, first_fail_report, replay_argv, wsrace, Scratch};

#[test]
fn fuzzing_the_sleep_fix_finds_a_failure_and_saves_a_file_that_reproduces_it() {
    let dir = Scratch::new("fuzz-sleep");
    let out = dir.join("found");
    let out_arg = out.display().to_string();
    let fuzz = wsrace([
        "fuzz",
        "--server",
        "zoo:sleep-100ms",
        "--cases",
        "5",
        "--seed",
        "0",
        "--out",
        &out_arg,
    ]);
    fuzz.exits(1)
        .stdout_has("wsrace fuzz: server zoo:sleep-100ms seed 0 cases 5");

    // Every file the search says it saved is under --out, and nothing else is.
    let saved: Vec<&str> = fuzz
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("saved "))
        .collect();
    assert!(!saved.is_empty(), "nothing saved:\n{fuzz}");
    let mut on_disk: Vec<String> = std::fs::read_dir(&out)
        .expect("--out directory exists")
        .map(|e| e.expect("dir entry").path().display().to_string())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = saved.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "{fuzz}");
    for path in &listed {
        assert!(
            Path::new(path).starts_with(&out) && path.ends_with(".toml"),
            "{path}"
        );
    }
    fuzz.stdout_has(&format!(
        "{} failure(s), {} distinct file(s) in {out_arg}",
        listed.len(),
        listed.len()
    ));

    // The first failure, as the search reported it.
    let found = first_fail_report(&fuzz.stdout);
    let headline = found.lines().next().expect("headline");
    let (oracle, summary) = headline
        .strip_prefix("FAIL ")
        .and_then(|h| h.split_once(": "))
        .expect("FAIL ORACLE: SUMMARY");
    let file = &listed
        .iter()
        .find(|p| found.contains(p.as_str()))
        .expect("its file")[..];

    // `wsrace run FILE` (the command the search prints) finds exactly it: the
    // file expects that oracle to fire, so the run passes by finding it.
    fuzz.stdout_has_line(&format!("  wsrace run {file}"));
    let run = wsrace(["run", file]);
    run.exits(0)
        .stdout_has("  PASS: expected failure found at seed ");
    assert!(
        run.stdout.contains(&format!(": {summary}\n")),
        "run does not find `{summary}`:\n{run}"
    );
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.starts_with("# Reproduces: "), "{text}");
    assert!(text.contains(&format!("oracle = \"{oracle}\"")), "{text}");

    // Its replay command prints the search's report, naming the file's
    // scenario instead of `proptest`.
    let replay = wsrace(replay_argv(&found));
    replay.exits(1);
    let replayed = fail_reports(&replay.stdout);
    assert!(!replayed.is_empty(), "{replay}");
    let without_name = |r: &str| -> String {
        r.lines()
            .filter(|l| !l.starts_with("  scenario    "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_name(&replayed[0]), without_name(&found));
}

#[test]
fn fuzzing_an_unknown_server_or_oracle_exits_2() {
    wsrace(["fuzz", "--server", "nope", "--cases", "1"])
        .exits(2)
        .stderr_has("wsrace fuzz: no server is called \"nope\"");
    wsrace([
        "fuzz",
        "--server",
        "hub",
        "--cases",
        "1",
        "--oracle",
        "wire.grammer",
    ])
    .exits(2)
    .stderr_has("no oracle is called \"wire.grammer\"")
    .stderr_has("wire.grammar");
}
