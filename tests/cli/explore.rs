//! `wsrace explore`: every scenario in a directory over its seeds, in parallel.

use serde_json::Value;

use crate::support::{copy_scenario, first_fail_report, replay_argv, wsrace, Scratch};

/// A directory with two small corpus files: one the hub must pass, one a zoo
/// design the oracles must catch.
fn two_small_scenarios(name: &str) -> Scratch {
    let dir = Scratch::new(name);
    copy_scenario(
        "scenarios/heartbeat-timeout-default.toml",
        &dir.join("heartbeat-timeout-default.toml"),
        "seeds",
        "2",
    );
    copy_scenario(
        "scenarios/zoo-go-original.toml",
        &dir.join("zoo-go-original.toml"),
        "seeds",
        "3",
    );
    dir
}

fn by_name<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["scenarios"]
        .as_array()
        .expect("scenarios is an array")
        .iter()
        .find(|s| s["scenario"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {doc:#}"))
}

#[test]
fn exploring_a_directory_runs_every_file_and_tabulates_each_as_ok() {
    let dir = two_small_scenarios("explore-table");
    let run = wsrace(["explore", "--scenarios", &dir.arg(), "--jobs", "2"]);
    run.exits(0)
        .stdout_has("exploring 2 scenario files, 5 seeds, 2 at a time (server: each file's)");
    // Columns come and go; a row is the name, the server, the seed count,
    // ... and the result last.
    let row = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{run}"))
            .to_owned()
    };
    let hb = row("heartbeat-timeout-default");
    let words: Vec<&str> = hb.split_whitespace().collect();
    assert_eq!(words[1..3], ["hub", "2"], "{hb:?}");
    assert!(hb.contains(" pass "), "{hb:?}");
    assert!(hb.ends_with("  ok"), "{hb:?}");
    let zoo = row("zoo-go-original");
    let words: Vec<&str> = zoo.split_whitespace().collect();
    assert_eq!(words[1..3], ["zoo:go-original", "3"], "{zoo:?}");
    assert!(zoo.contains(" fail: wire.grammar|wire.close "), "{zoo:?}");
    assert!(zoo.ends_with("  ok (caught at seed 0)"), "{zoo:?}");
    assert!(!run.stdout.contains("FAILED"), "{run}");
}

#[test]
fn exploring_with_json_output_prints_one_document_with_every_scenario_ok() {
    let dir = two_small_scenarios("explore-json");
    let run = wsrace([
        "explore",
        "--scenarios",
        &dir.arg(),
        "--jobs",
        "2",
        "--format",
        "json",
    ]);
    run.exits(0);
    let doc = run.json();
    let scenarios = doc["scenarios"].as_array().expect("scenarios is an array");
    assert_eq!(scenarios.len(), 2, "{doc:#}");
    for s in scenarios {
        assert_eq!(s["ok"], true, "{s:#}");
        assert_eq!(s["failures"], serde_json::json!([]), "{s:#}");
    }
    let hb = by_name(&doc, "heartbeat-timeout-default");
    assert_eq!(
        (&hb["seeds"], &hb["server"], &hb["expect"]),
        (&2.into(), &"hub".into(), &"pass".into())
    );
    assert!(hb["expected_failure_seed"].is_null(), "{hb:#}");
    let zoo = by_name(&doc, "zoo-go-original");
    assert_eq!(zoo["seeds"], 3, "{zoo:#}");
    assert!(zoo["expected_failure_seed"].is_u64(), "{zoo:#}");
}

#[test]
fn the_seeds_flag_overrides_every_files_own_seeds() {
    let dir = two_small_scenarios("explore-seeds");
    let run = wsrace([
        "explore",
        "--scenarios",
        &dir.arg(),
        "--jobs",
        "2",
        "--seeds",
        "2",
        "--format",
        "json",
    ]);
    run.exits(0);
    let doc = run.json();
    for name in ["heartbeat-timeout-default", "zoo-go-original"] {
        assert_eq!(by_name(&doc, name)["seeds"], 2, "{doc:#}");
    }
    wsrace([
        "explore",
        "--scenarios",
        &dir.arg(),
        "--jobs",
        "2",
        "--seeds",
        "2",
    ])
    .exits(0)
    .stdout_has("exploring 2 scenario files, 4 seeds, 2 at a time");
}

#[test]
fn the_verdicts_do_not_depend_on_how_many_jobs_run_them() {
    let dir = two_small_scenarios("explore-jobs");
    let verdicts = |jobs: &str| {
        let run = wsrace([
            "explore",
            "--scenarios",
            &dir.arg(),
            "--jobs",
            jobs,
            "--format",
            "json",
        ]);
        run.exits(0);
        let mut doc = run.json();
        for s in doc["scenarios"].as_array_mut().expect("scenarios") {
            // The only field that is about the machine, not the simulation.
            s.as_object_mut().expect("object").remove("wall_seconds");
        }
        doc
    };
    assert_eq!(verdicts("1"), verdicts("2"));
}

#[test]
fn an_expected_pass_file_failed_by_a_zoo_server_exits_1_and_prints_its_replay_command() {
    let dir = Scratch::new("explore-zoo-fails");
    let file = dir.join("incident.toml");
    copy_scenario("scenarios/incident.toml", &file, "seeds", "1");
    let run = wsrace([
        "explore",
        "--scenarios",
        &dir.arg(),
        "--jobs",
        "2",
        "--server",
        "zoo:go-original",
    ]);
    run.exits(1)
        .stdout_has("(server: zoo:go-original)")
        .stdout_has_line("incident FAILED");
    let report = first_fail_report(&run.stdout);
    let argv = replay_argv(&report);
    assert_eq!(
        argv,
        [
            "replay",
            "--scenario",
            &file.display().to_string(),
            "--server",
            "zoo:go-original",
            "--seed",
            "0"
        ]
    );
    let replay = wsrace(&argv);
    replay.exits(1);
    assert_eq!(first_fail_report(&replay.stdout), report);
}

#[test]
fn an_empty_or_missing_directory_exits_2() {
    let dir = Scratch::new("explore-empty");
    std::fs::write(dir.join("notes.txt"), "not a scenario").unwrap();
    wsrace(["explore", "--scenarios", &dir.arg()])
        .exits(2)
        .stderr_has(&format!("no *.toml scenario files in {}", dir.arg()));
    let missing = dir.join("nowhere").display().to_string();
    wsrace(["explore", "--scenarios", &missing])
        .exits(2)
        .stderr_has(&missing);
}

#[test]
fn a_malformed_file_in_the_directory_exits_2_before_anything_runs() {
    let dir = two_small_scenarios("explore-malformed");
    std::fs::copy(
        std::path::Path::new(crate::support::ROOT).join("tests/cli/unknown-key.toml"),
        dir.join("unknown-key.toml"),
    )
    .unwrap();
    let run = wsrace(["explore", "--scenarios", &dir.arg(), "--jobs", "2"]);
    run.exits(2)
        .stderr_has("unknown-key.toml:12:1: unknown key `heartbeat_timeout` in `hub`");
    assert!(run.stdout.is_empty(), "{run}");
}
