//! The scenario-file additions: `count`, `do = "shutdown"`, steps anchored with
//! `after`/`when`: they load, round-trip, and every new mistake gets a precise error.
use crate::broken_files::{check_table, Bad};
use wsrace_sim::scenario_file::{self, Mistake};
use wsrace_sim::{Anchor, AnchorEvent, AnchoredStep, Trigger, WorldAction};

const BAD: &[Bad] = &[
    Bad {
        file: "count_zero.toml",
        at: (7, 9),
        mistake: Mistake::Impossible,
        message: "agent entry `a` has `count = 0`",
        help: "1 or more",
    },
    Bad {
        file: "duplicate_after_count.toml",
        at: (11, 8),
        mistake: Mistake::Duplicate,
        message: "a second agent named `a2`",
        help: "`name = \"a\"` with `count = 3` stands for agents `a1` .. `a3`",
    },
    Bad {
        file: "count_base_name.toml",
        at: (13, 9),
        mistake: Mistake::UnknownAgent,
        message: "no agent named `a`",
        help: "its agents are `a1` .. `a3`",
    },
    Bad {
        file: "both_at_and_after.toml",
        at: (11, 1),
        mistake: Mistake::Impossible,
        message: "`steps[0]` has both `at_ms` and `after`",
        help: "keep one",
    },
    Bad {
        file: "no_anchor.toml",
        at: (9, 1),
        mistake: Mistake::MissingKey,
        message: "`steps[0]` says neither when nor after what it happens",
        help: "add `at_ms = 5000`",
    },
    Bad {
        file: "delay_with_at.toml",
        at: (11, 1),
        mistake: Mistake::Impossible,
        message: "`delay_ms` in `steps[0]`, which is anchored at a time",
        help: "add the delay to `at_ms`",
    },
    Bad {
        file: "anchor_unknown_agent.toml",
        at: (10, 19),
        mistake: Mistake::UnknownAgent,
        message: "no agent named `a2`",
        help: "did you mean `a1`?",
    },
    Bad {
        file: "anchor_nth_zero.toml",
        at: (10, 52),
        mistake: Mistake::Impossible,
        message: "`nth = 0`: occurrences count from 1",
        help: "`nth = 1` is a1's first heartbeat",
    },
    Bad {
        file: "anchor_unknown_event.toml",
        at: (10, 33),
        mistake: Mistake::UnknownName,
        message: "unknown value `event = \"hearbeat\"` in `steps[0].after`",
        help: "did you mean `heartbeat`?",
    },
    Bad {
        file: "anchor_unknown_key.toml",
        at: (10, 45),
        mistake: Mistake::UnknownKey,
        message: "unknown key `nht` in `steps[0].when`",
        help: "did you mean `nth`?",
    },
    Bad {
        file: "anchor_unreachable.toml",
        at: (10, 52),
        mistake: Mistake::Impossible,
        message: "step waits for a1's 3rd heartbeat, but its script sends 2 heartbeat(s)",
        help: "lower `nth`",
    },
    Bad {
        file: "shutdown_with_key.toml",
        at: (12, 1),
        mistake: Mistake::UnknownKey,
        message: "unknown key `host` in `steps[0]`",
        help: "`do = \"shutdown\"` takes no keys of its own",
    },
];

#[test]
fn every_new_mistake_gets_a_precise_error() {
    check_table("bad_anchors", BAD);
}

const GOOD: &str = r#"# Reproduces: every new form at once (loader test)
name = "anchors"
limit_ms = 60000

[expect]
result = "pass"

[[agents]]
name = "a"
count = 3
script = [
  { do = "connect" },
  { do = "heartbeat", every_ms = 1000, count = 5, kind = "ping" },
  { do = "await_pushes", count = 1 },
]

[[steps]]
after = { agent = "a2", event = "heartbeat", nth = 3 }
do = "push"
agent = "a2"

[[steps]]
at_ms = 1000
do = "push"
agent = "a3"

[[steps]]
when = { agent = "a2", event = "push_write", nth = 1 }
delay_ms = 5
do = "push"
agent = "a1"

[[steps]]
after = { agent = "a1", event = "closed", nth = 1 }
do = "shutdown"
"#;

#[test]
fn count_shutdown_and_anchored_steps_load() {
    let f = scenario_file::parse(GOOD, "good.toml").expect("loads");
    let s = &f.scenario;
    assert_eq!(s.agents.len(), 1);
    assert_eq!(s.agents[0].count, Some(3));
    let names: Vec<String> = s.expanded_agents().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["a1", "a2", "a3"]);
    assert_eq!(s.steps.len(), 1);
    assert_eq!(s.steps[0].at_ms, 1000);
    let anchor = |agent: &str, event, nth| Anchor {
        agent: agent.into(),
        event,
        nth,
    };
    assert_eq!(
        s.anchored,
        vec![
            AnchoredStep {
                trigger: Trigger::After(anchor("a2", AnchorEvent::Heartbeat, 3)),
                delay_ms: 0,
                action: WorldAction::Push { agent: "a2".into() },
            },
            AnchoredStep {
                trigger: Trigger::When(anchor("a2", AnchorEvent::PushWrite, 1)),
                delay_ms: 5,
                action: WorldAction::Push { agent: "a1".into() },
            },
            AnchoredStep {
                trigger: Trigger::After(anchor("a1", AnchorEvent::Closed, 1)),
                delay_ms: 0,
                action: WorldAction::Shutdown,
            },
        ]
    );
    assert_eq!(
        s.anchored[1].trigger.describe(),
        "when the server begins writing its 1st push to a2"
    );
    assert_eq!(s.anchored[0].trigger.describe(), "after a2's 3rd heartbeat");
}

#[test]
fn a_scenario_with_anchors_round_trips_through_toml() {
    let f = scenario_file::parse(GOOD, "good.toml").expect("loads");
    let mut body = toml::Table::try_from(&f.scenario).expect("serializes");
    body.remove("name");
    let text = format!(
        "# Reproduces: the round trip\n[expect]\nresult = \"pass\"\n\n{}",
        toml::to_string(&body).expect("a table serializes")
    );
    let again = scenario_file::parse(&reorder(&text), "good.toml")
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut want = f.scenario.clone();
    want.name = "good".into();
    assert_eq!(again.scenario, want, "{text}");
}

/// Moves `[expect]` to the end so the serialized top-level keys stay top-level.
fn reorder(text: &str) -> String {
    let expect = "[expect]\nresult = \"pass\"\n";
    format!("{}\n{expect}", text.replacen(expect, "", 1))
}
