//! `wsrace replay`: the command every failure prints must reproduce it.

use crate::support::{
    copy_scenario, fail_reports, first_fail_report, replay_argv, wsrace, Scratch,
};

const INCIDENT: &str = "scenarios/incident.toml";

#[test]
fn the_replay_command_a_failing_run_prints_reproduces_its_report_byte_for_byte() {
    let run = wsrace([
        "run",
        "--server",
        "zoo:go-original",
        "--seed",
        "0",
        INCIDENT,
    ]);
    run.exits(1);
    let reported = first_fail_report(&run.stdout);
    let argv = replay_argv(&reported);
    assert_eq!(
        argv,
        [
            "replay",
            "--scenario",
            INCIDENT,
            "--server",
            "zoo:go-original",
            "--seed",
            "0"
        ]
    );

    let replay = wsrace(&argv);
    replay
        .exits(1)
        .stdout_has_line("seed 0 scenario incident server zoo:go-original");
    // `run` prints the first finding in full; replay prints every finding,
    // the first one first.
    let replayed = fail_reports(&replay.stdout);
    assert!(!replayed.is_empty(), "{replay}");
    assert_eq!(replayed[0], reported, "replay's report differs from run's");
    // The rest of run's findings, one `also:` line each, are replay's others.
    let also: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  also: "))
        .collect();
    assert_eq!(also.len(), replayed.len() - 1, "{run}\n{replay}");
    for (summary, report) in also.iter().zip(&replayed[1..]) {
        let oracle = summary.split(' ').next().unwrap_or_default();
        let headline = report.lines().next().unwrap_or_default();
        assert!(
            headline.starts_with(&format!("FAIL {oracle}: ")),
            "{summary:?} vs {headline:?}"
        );
    }
}

#[test]
fn a_replay_command_with_a_quoted_path_still_reproduces_the_failure() {
    // A directory with a space: the printed command must quote the path.
    let dir = Scratch::new("replay-quoted");
    let nested = dir.join("my scenarios");
    std::fs::create_dir_all(&nested).unwrap();
    let file = nested.join("incident.toml");
    copy_scenario(INCIDENT, &file, "seeds", "1");
    let run = wsrace([
        "run",
        "--server",
        "zoo:go-original",
        &file.display().to_string(),
    ]);
    run.exits(1);
    let reported = first_fail_report(&run.stdout);
    let argv = replay_argv(&reported);
    assert_eq!(argv[2], file.display().to_string(), "{reported}");

    let replay = wsrace(&argv);
    replay.exits(1);
    assert_eq!(first_fail_report(&replay.stdout), reported);
}

#[test]
fn replaying_a_passing_seed_exits_0_with_pass_and_a_trace_hash() {
    let replay = wsrace(["replay", "--scenario", INCIDENT, "--seed", "0"]);
    replay
        .exits(0)
        .stdout_has_line("seed 0 scenario incident server hub")
        .stdout_has_line("PASS: no oracle fired");
    let hash = replay
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("trace hash "))
        .unwrap_or_else(|| panic!("no trace hash line:\n{replay}"));
    let (hex, rest) = hash.split_once(": ").expect("trace hash HEX: ...");
    assert_eq!(hex.len(), 16, "{hash:?}");
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{hash:?}");
    assert!(
        rest.contains(" events, ") && rest.ends_with(" simulated seconds"),
        "{hash:?}"
    );
}

#[test]
fn replaying_the_same_seed_twice_prints_identical_output() {
    let args = ["replay", "--scenario", INCIDENT, "--seed", "1", "--trace"];
    let first = wsrace(args);
    let second = wsrace(args);
    first.exits(0);
    second.exits(0);
    assert!(
        first.stdout.lines().count() > 100,
        "--trace prints the whole trace:\n{first}"
    );
    assert_eq!(first.stdout, second.stdout);

    // A failing seed is as deterministic, report and all.
    let args = [
        "replay",
        "--scenario",
        INCIDENT,
        "--server",
        "zoo:go-original",
        "--seed",
        "2",
    ];
    let first = wsrace(args);
    let second = wsrace(args);
    first.exits(1);
    assert_eq!(first.stdout, second.stdout);
}

#[test]
fn replay_with_bad_input_exits_2() {
    wsrace([
        "replay",
        "--scenario",
        INCIDENT,
        "--server",
        "nope",
        "--seed",
        "0",
    ])
    .exits(2)
    .stderr_has("no server is called \"nope\"");
    wsrace(["replay", "--scenario", INCIDENT])
        .exits(2)
        .stderr_has("--seed");
    wsrace([
        "replay",
        "--scenario",
        "tests/cli/unknown-key.toml",
        "--seed",
        "0",
    ])
    .exits(2)
    .stderr_has("tests/cli/unknown-key.toml:12:1: ");
}
