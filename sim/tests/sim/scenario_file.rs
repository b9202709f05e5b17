//! The scenario-file loader: every class of mistake gets a precise error, the
//! README's complete example loads and round-trips, and no input panics.

use std::path::{Path, PathBuf};

use crate::broken_files::{check_table, fixture as fixture_in, Bad};
use proptest::prelude::*;
use wsrace_sim::scenario_file::{self, Expect, Mistake, ScenarioError};
use wsrace_sim::{AgentStep, WorldAction};

const BAD: &[Bad] = &[
    Bad { file: "missing_header.toml", at: (1, 1), mistake: Mistake::MissingHeader, message: "must start with a `# Reproduces: ...` comment", help: "say what it reproduces" },
    Bad { file: "syntax.toml", at: (2, 11), mistake: Mistake::Syntax, message: "invalid TOML", help: "strings need quotes" },
    Bad { file: "unknown_key.toml", at: (6, 1), mistake: Mistake::UnknownKey, message: "unknown key `heartbeat_timeout` in `hub`", help: "did you mean `heartbeat_timeout_ms`?" },
    Bad { file: "unknown_key_in_step.toml", at: (7, 51), mistake: Mistake::UnknownKey, message: "unknown key `evry_ms` in `agents[0].script[1]`", help: "did you mean `every_ms`?" },
    Bad { file: "misplaced_key.toml", at: (4, 1), mistake: Mistake::UnknownKey, message: "unknown key `limit_ms` in `expect`", help: "is a top-level key, but every key after a `[expect]` header belongs to that table" },
    Bad { file: "wrong_type.toml", at: (2, 12), mistake: Mistake::WrongType, message: "`limit_ms` in the top level must be a whole number from 0 to 18446744073709551615, found string \"300s\"", help: "expected a whole number" },
    Bad { file: "wrong_type_in_step.toml", at: (10, 6), mistake: Mistake::WrongType, message: "`ms` in `agents[0].script[0]` must be a whole number from 0 to 18446744073709551615, found integer `-5`", help: "cannot be negative" },
    Bad { file: "missing_key.toml", at: (5, 1), mistake: Mistake::MissingKey, message: "missing key `script` in `agents[0]`", help: "add `script = ...`" },
    Bad { file: "missing_expect.toml", at: (2, 1), mistake: Mistake::MissingKey, message: "missing `[expect]` table", help: "result = \"pass\"" },
    Bad { file: "unknown_step.toml", at: (7, 18), mistake: Mistake::UnknownName, message: "unknown step `do = \"heartbeet\"` in `agents[0].script[0]`", help: "did you mean `heartbeat`?" },
    Bad { file: "unknown_agent.toml", at: (12, 9), mistake: Mistake::UnknownAgent, message: "no agent named `a2`", help: "did you mean `a1`?" },
    Bad { file: "unknown_host.toml", at: (13, 5), mistake: Mistake::UnknownAgent, message: "no host named `a1`", help: "`a1` is an agent on host `agents`" },
    Bad { file: "step_after_limit.toml", at: (8, 9), mistake: Mistake::Impossible, message: "step at 90000 ms is after the run's limit (`limit_ms = 60000`)", help: "raise `limit_ms`" },
    Bad { file: "heartbeat_every_zero.toml", at: (9, 34), mistake: Mistake::Impossible, message: "agent `a1` heartbeats with `every_ms = 0`", help: "at least 1 ms" },
    Bad { file: "latency_range.toml", at: (2, 18), mistake: Mistake::Impossible, message: "`min_latency_ms = 50` is above `max_latency_ms = 20`", help: "raise the maximum" },
    Bad { file: "close_code.toml", at: (7, 54), mistake: Mistake::Impossible, message: "Close code 1005 may not be sent on the wire", help: "1000-1003, 1007-1014 or 3000-4999" },
    Bad { file: "unknown_oracle.toml", at: (6, 27), mistake: Mistake::UnknownName, message: "unknown oracle `wire.closed`", help: "did you mean `wire.close`?" },
    Bad { file: "unknown_server.toml", at: (2, 10), mistake: Mistake::UnknownName, message: "unknown server `go-original`", help: "did you mean `zoo:go-original`?" },
    Bad { file: "duplicate_agent.toml", at: (10, 8), mistake: Mistake::Duplicate, message: "a second agent named `a1`", help: "its own name" },
    Bad { file: "fail_without_oracle.toml", at: (5, 10), mistake: Mistake::MissingKey, message: "`result = \"fail\"` needs `oracle`", help: "oracle = \"wire.grammar\"" },
    Bad { file: "bad_seeds.toml", at: (2, 13), mistake: Mistake::WrongType, message: "a seed must be a whole number from 0 to 18446744073709551615, found -1", help: "unsigned 64-bit" },
    Bad { file: "await_too_many.toml", at: (7, 62), mistake: Mistake::Impossible, message: "agent `a1` awaits 2 pushes, but only 1 `push` step(s) name it", help: "lower `count`" },
    Bad { file: "chaos_rate.toml", at: (6, 19), mistake: Mistake::Impossible, message: "`stall_per_mille = 1500` is more than 1000 per mille", help: "0 (never) to 1000 (always)" },
];

fn fixture(name: &str) -> PathBuf {
    fixture_in("bad_scenarios", name)
}

#[test]
fn every_broken_file_gets_a_precise_error() {
    check_table("bad_scenarios", BAD);
}

#[test]
fn load_dir_stops_at_the_first_broken_file_in_name_order() {
    let err = scenario_file::load_dir(fixture("")).unwrap_err();
    let d = err.diagnostic().expect("a diagnostic");
    assert!(d.path.ends_with("await_too_many.toml"), "{err}");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let err = scenario_file::load(fixture("does_not_exist.toml")).unwrap_err();
    assert!(matches!(err, ScenarioError::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("does_not_exist.toml: cannot read"),
        "{err}"
    );
}

/// The ```toml block under "A complete example" in scenarios/README.md.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/README.md"),
    )
    .expect("scenarios/README.md reads");
    let section = readme
        .split("## A complete example")
        .nth(1)
        .expect("the example section");
    let block = section.split("```toml\n").nth(1).expect("a toml block");
    block
        .split("\n```")
        .next()
        .expect("a closed block")
        .to_owned()
        + "\n"
}

#[test]
fn the_readme_example_loads() {
    let file = scenario_file::parse(&readme_example(), "scenarios/reconnect-mid-frame.toml")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.name, "reconnect-mid-frame");
    assert_eq!(file.scenario.name, "reconnect-mid-frame");
    assert!(
        file.header
            .starts_with("Reproduces: a reconnect while the old writer is mid-frame"),
        "{}",
        file.header
    );
    assert!(
        file.header.contains("Source: hand-written"),
        "{}",
        file.header
    );
    assert_eq!(file.server, "hub");
    assert_eq!(file.seeds, (0..20).collect::<Vec<u64>>());
    assert_eq!(file.expect, Expect::Pass);
    let s = &file.scenario;
    assert_eq!(
        (s.tick_ms, s.limit_ms, s.min_latency_ms, s.max_latency_ms),
        (1, 60_000, 1, 5)
    );
    assert_eq!(s.hub.heartbeat_timeout_ms, 30_000);
    assert_eq!(
        s.hub.close_deadline_ms, 5_000,
        "unset keys keep their defaults"
    );
    assert_eq!(s.chaos.short_write_per_mille, 300);
    assert_eq!(s.agents.len(), 2);
    assert_eq!(s.agents[0].host, "agents");
    assert_eq!(s.agents[1].host, "a2-host");
    assert_eq!(s.agents[0].script[5], AgentStep::Close { code: 1000 });
    assert_eq!(
        s.agents[1].script.len(),
        2,
        "[[agents.script]] blocks work too"
    );
    assert_eq!(s.steps.len(), 5);
    assert_eq!(
        s.steps[3].action,
        WorldAction::Partition {
            a: "hub".into(),
            b: "a2-host".into()
        }
    );
}

#[test]
fn a_scenario_written_back_out_loads_as_the_same_scenario() {
    let file = scenario_file::parse(&readme_example(), "x.toml").unwrap_or_else(|e| panic!("{e}"));
    let mut body = toml::Table::try_from(&file.scenario).expect("serializes");
    body.remove("name");
    let text = format!(
        "# Reproduces: the README example, written back out\nname = {:?}\nserver = \"zoo:go-original\"\nseeds = [7, 9]\n{}\n[expect]\nresult = \"fail\"\noracle = [\"wire.grammar\", \"wire.close\"]\n",
        file.name,
        toml::to_string(&body).expect("a table serializes"),
    );
    let again = scenario_file::parse(&text, "y.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(again.scenario, file.scenario);
    assert_eq!(again.seeds, [7, 9]);
    assert_eq!(again.server, "zoo:go-original");
    assert_eq!(
        again.expect,
        Expect::Fail {
            oracles: vec!["wire.grammar".into(), "wire.close".into()]
        }
    );
}

#[test]
fn seeds_take_four_forms() {
    let seeds = |v: &str| {
        let text = format!("# Reproduces: seeds\nseeds = {v}\n[expect]\nresult = \"pass\"\n");
        scenario_file::parse(&text, "s.toml")
            .map(|f| f.seeds)
            .map_err(|e| e.to_string())
    };
    assert_eq!(seeds("3"), Ok(vec![0, 1, 2]));
    assert_eq!(seeds("[17, 3]"), Ok(vec![17, 3]));
    assert_eq!(seeds("{ start = 1000, count = 2 }"), Ok(vec![1000, 1001]));
    assert_eq!(seeds("\"5..7\""), Ok(vec![5, 6]));
    let none =
        scenario_file::parse("# Reproduces: x\n[expect]\nresult = \"pass\"\n", "s.toml").unwrap();
    assert_eq!(none.seeds.len() as u64, scenario_file::DEFAULT_SEEDS);
    for bad in [
        "0",
        "[]",
        "\"7..5\"",
        "{ start = 3 }",
        "{ start = 1, count = 2, step = 3 }",
        "1e3",
        "18446744073709551615",
    ] {
        assert!(seeds(bad).is_err(), "seeds = {bad} loaded");
    }
}

#[test]
fn seeds_come_from_the_environment_when_set() {
    // The only test in this binary that touches these variables.
    let saved: Vec<_> = ["WSRACE_SEED", "WSRACE_SEEDS"]
        .iter()
        .map(|k| (k, std::env::var_os(k)))
        .collect();
    let set = |one: Option<&str>, many: Option<&str>| {
        for (k, v) in [("WSRACE_SEED", one), ("WSRACE_SEEDS", many)] {
            match v {
                Some(v) => std::env::set_var(k, v),
                None => std::env::remove_var(k),
            }
        }
        scenario_file::seeds_from_env()
    };
    assert_eq!(set(None, None), Ok(None));
    assert_eq!(set(Some("42"), None), Ok(Some(vec![42])));
    assert_eq!(set(None, Some("3")), Ok(Some(vec![0, 1, 2])));
    assert_eq!(set(None, Some("10..12")), Ok(Some(vec![10, 11])));
    assert_eq!(set(Some(""), Some("")), Ok(None));
    assert!(set(Some("x"), None)
        .unwrap_err()
        .contains("WSRACE_SEED=\"x\""));
    assert!(set(None, Some("0")).is_err());
    assert!(set(None, Some("5..5")).is_err());
    assert!(set(Some("1"), Some("2")).unwrap_err().contains("both"));
    for (k, v) in saved {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    }
}

/// Edits a valid file: deletes, duplicates or replaces a span of characters.
fn mutate(text: &str, at: usize, len: usize, how: u8, with: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + len).min(chars.len());
    let (head, rest) = chars.split_at(at);
    let (mid, tail) = rest.split_at(end - at);
    let mid: String = match how % 3 {
        0 => String::new(),
        1 => mid.iter().chain(mid.iter()).collect(),
        _ => with.to_owned(),
    };
    head.iter().collect::<String>() + &mid + &tail.iter().collect::<String>()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_file_never_panics(
        at in 0usize..4000,
        len in 0usize..12,
        how in 0u8..3,
        with in prop_oneof![
            Just("".to_owned()), Just("\"".to_owned()), Just("[".to_owned()), Just("]]".to_owned()),
            Just("-1".to_owned()), Just("0".to_owned()), Just("{".to_owned()), Just("\n[[steps]]\n".to_owned()),
            Just("= 3".to_owned()), Just("\u{e9}".to_owned()), "\\PC{0,6}",
        ],
    ) {
        let text = mutate(&readme_example(), at, len, how, &with);
        if let Err(e) = scenario_file::parse(&text, "m.toml") {
            let d = e.diagnostic().expect("parse never does I/O");
            prop_assert!(d.line >= 1 && d.col >= 1);
            prop_assert!(d.line <= text.lines().count() + 1, "{e} points past the end");
        }
    }

    #[test]
    fn random_text_never_panics(text in "(# Reproduces: x\n)?[a-z_=\\[\\]{}\",.0-9 \n#-]{0,200}") {
        let _ = scenario_file::parse(&text, "r.toml");
    }
}
