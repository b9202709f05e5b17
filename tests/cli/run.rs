//! `wsrace run`: scenario files through the simulation, judged against their
//! `expect` block.

use crate::support::{
    copy_scenario, fail_reports, first_fail_report, replay_argv, wsrace, Scratch,
};

const INCIDENT: &str = "scenarios/incident.toml";
const UNKNOWN_KEY: &str = "tests/cli/unknown-key.toml";

#[test]
fn the_hub_passes_the_incident_scenario_over_three_seeds() {
    wsrace(["run", "--seeds", "3", INCIDENT])
        .exits(0)
        .stdout_has_line(
            "scenario incident (scenarios/incident.toml) server hub seeds 0..=2 (3 seeds)",
        )
        .stdout_has_line("  PASS: 3 seeds, no oracle fired");
}

#[test]
fn the_original_go_design_fails_the_incident_with_side_server_and_a_replay_command() {
    let run = wsrace([
        "run",
        "--server",
        "zoo:go-original",
        "--seed",
        "0",
        INCIDENT,
    ]);
    run.exits(1)
        .stdout_has_line(
            "scenario incident (scenarios/incident.toml) server zoo:go-original seeds 0",
        )
        .stdout_has_line("  FAIL: 1 of 1 seeds failed");
    let report = first_fail_report(&run.stdout);
    assert!(
        report.starts_with("FAIL wire.grammar") || report.starts_with("FAIL wire.close"),
        "a torn or close-less stream should be a wire finding:\n{report}"
    );
    for field in [
        "scenario    incident",
        "seed        0",
        "server      zoo:go-original",
    ] {
        assert!(
            report.contains(&format!("\n  {field}\n")),
            "no {field:?} in:\n{report}"
        );
    }
    assert!(
        report.contains("\n  side        server wrote"),
        "the report should say which side wrote the bad byte:\n{report}"
    );
    run.stdout_has_line(
        "  wsrace replay --scenario scenarios/incident.toml --server zoo:go-original --seed 0",
    );
    // Only the first failure is printed in full.
    assert_eq!(fail_reports(&run.stdout).len(), 1, "{run}");
}

#[test]
fn a_scenario_with_an_unknown_key_exits_2_with_path_line_col_and_a_suggestion() {
    let run = wsrace(["run", UNKNOWN_KEY]);
    run.exits(2)
        .stderr_has(&format!(
            "wsrace run: {UNKNOWN_KEY}:12:1: unknown key `heartbeat_timeout` in `hub`"
        ))
        .stderr_has("did you mean `heartbeat_timeout_ms`?");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn every_file_is_checked_before_any_runs() {
    // A good file first, the bad one second: nothing may run.
    let run = wsrace(["run", "--seeds", "1", INCIDENT, UNKNOWN_KEY]);
    run.exits(2).stderr_has(&format!("{UNKNOWN_KEY}:12:1: "));
    assert!(run.stdout.is_empty(), "the good file ran first:\n{run}");
}

#[test]
fn an_unknown_server_on_the_command_line_exits_2_listing_the_valid_ones() {
    let run = wsrace(["run", "--server", "zoo:nope", "--seed", "0", INCIDENT]);
    run.exits(2)
        .stderr_has("no server is called \"zoo:nope\"")
        .stderr_has("hub, zoo:go-original, zoo:sleep-100ms");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn an_unknown_server_in_the_file_exits_2_at_its_line_and_column() {
    let dir = Scratch::new("run-unknown-server");
    let file = dir.join("typo.toml");
    copy_scenario(
        "scenarios/zoo-sleep-100ms.toml",
        &file,
        "server",
        "\"zoo:sleep-10ms\"",
    );
    wsrace(["run", &file.display().to_string()])
        .exits(2)
        .stderr_has(&format!(
            "{}:6:10: unknown server `zoo:sleep-10ms`",
            file.display()
        ))
        .stderr_has("did you mean `zoo:sleep-100ms`?");
}

#[test]
fn an_expect_fail_zoo_file_exits_0_and_says_where_the_expected_failure_was_found() {
    let run = wsrace(["run", "--seeds", "5", "scenarios/zoo-sleep-100ms.toml"]);
    run.exits(0);
    let found = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("  PASS: expected failure found at seed "))
        .unwrap_or_else(|| panic!("no expected-failure line:\n{run}"));
    let (seed, summary) = found.split_once(": ").expect("seed: summary");
    let replay = format!(
        "    replay: wsrace replay --scenario scenarios/zoo-sleep-100ms.toml --server zoo:sleep-100ms --seed {seed}"
    );
    run.stdout_has_line(&replay);

    // The seed it names is one where the expected oracle fires, with that summary.
    let argv: Vec<&str> = replay.split_whitespace().skip(2).collect();
    let replayed = wsrace(&argv);
    replayed.exits(1);
    assert!(
        fail_reports(&replayed.stdout).iter().any(|r| {
            let headline = r.lines().next().unwrap_or_default();
            (headline.starts_with("FAIL wire.grammar: ")
                || headline.starts_with("FAIL wire.close: "))
                && headline.ends_with(summary)
        }),
        "replay of seed {seed} does not show `{summary}` from an expected oracle:\n{replayed}"
    );
    // The same replay command, as `replay_argv` reads it from the report.
    let report = first_fail_report(&replayed.stdout);
    assert_eq!(replay_argv(&report), argv);
}

#[test]
fn a_missing_scenario_file_exits_2() {
    let dir = Scratch::new("run-missing");
    let missing = dir.join("gone.toml").display().to_string();
    wsrace(["run", &missing])
        .exits(2)
        .stderr_has(&format!("wsrace run: {missing}: cannot read"));
}

/// A file with `seeds = 0` and `WSRACE_SEEDS=0` are both refused; `--seeds 0`
/// should be too, rather than passing without running anything.
#[test]
fn zero_seeds_on_the_command_line_is_bad_usage_not_a_pass() {
    wsrace(["run", "--seeds", "0", INCIDENT]).exits(2);
    wsrace(["explore", "--scenarios", "scenarios", "--seeds", "0"]).exits(2);
}
