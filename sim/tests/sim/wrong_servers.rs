//! Every oracle can fail. For each oracle id a small hub with one deliberate
//! flaw (`wrong_servers/mini.rs`) runs a small scenario and that oracle, and
//! only that one, fires; wsrace's hub and the flawless mini hub pass the same
//! scenario with the same seed, so the finding is the flaw's doing.

mod mini;

use wsrace_frame::Rule;
use wsrace_sim::oracle::{self, id, Finding, Side};
use wsrace_sim::report::{render, ReportOptions};
use wsrace_sim::{
    run_once, AgentSpec, AgentStep, HeartbeatKind, HubFactory, RunOutcome, Scenario, ServerFactory,
    WorldAction, WorldStep,
};

use mini::{Flaw, Mini};

const SEED: u64 = 7;

/// One agent `a1` running `script`; a 2 s heartbeat timeout and a 20 s limit.
fn scenario(name: &str, script: Vec<AgentStep>) -> Scenario {
    let mut s = Scenario::new(format!("wrong-servers/{name}"));
    s.limit_ms = 20_000;
    s.hub.heartbeat_timeout_ms = 2_000;
    s.hub.close_deadline_ms = 1_000;
    s.agents.push(AgentSpec::new("a1", script));
    s
}

fn pings(every_ms: u64, count: u32) -> AgentStep {
    AgentStep::Heartbeat {
        every_ms,
        count,
        kind: HeartbeatKind::Ping,
    }
}

fn push_at(s: &mut Scenario, at_ms: u64) {
    s.steps.push(WorldStep {
        at_ms,
        action: WorldAction::Push { agent: "a1".into() },
    });
}

/// Every finding rendered as the failure report a person would read.
fn reports(out: &RunOutcome, findings: &[Finding]) -> String {
    let opts = ReportOptions::for_run(&out.record);
    findings
        .iter()
        .map(|f| render(&out.record, f, &opts))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the mini hub with `flaw` on `s` and returns its findings, after checking
/// that they are all `oracle`'s and that wsrace's hub and the flawless mini hub
/// pass `s` with the same seed.
fn fires(s: &Scenario, flaw: Flaw, oracle: &str) -> Vec<Finding> {
    for server in [&HubFactory as &dyn ServerFactory, &Mini(Flaw::None)] {
        let out = run_once(s, server, SEED);
        let found = oracle::check_all(&out.record);
        assert!(
            found.is_empty(),
            "{} should pass {}:\n{}\ntrace:\n{}",
            server.name(),
            s.name,
            reports(&out, &found),
            out.trace_text
        );
    }
    let out = run_once(s, &Mini(flaw), SEED);
    let found = oracle::check_all(&out.record);
    assert!(
        !found.is_empty() && found.iter().all(|f| f.oracle == oracle),
        "expected {oracle} (and nothing else) to fire against {flaw:?}, got {} finding(s):\n{}\ntrace:\n{}",
        found.len(),
        reports(&out, &found),
        out.trace_text
    );
    found
}

fn rule_of(f: &Finding) -> Option<Rule> {
    f.wire.as_ref()?.violation.as_ref().map(|v| v.rule)
}

#[test]
fn a_server_that_masks_its_frames_fails_wire_grammar() {
    let s = scenario(
        "masks-its-frames",
        vec![
            AgentStep::Connect,
            pings(200, 3),
            AgentStep::Close { code: 1000 },
        ],
    );
    let found = fires(&s, Flaw::MasksItsFrames, id::WIRE_GRAMMAR);
    let f = &found[0];
    assert_eq!(rule_of(f), Some(Rule::MaskDirection), "{f}");
    assert_eq!(f.side, Some(Side::Server), "{f}");
    assert_eq!(f.writer.as_deref(), Some("mini conn#1 connection"), "{f}");
}

#[test]
fn a_server_that_answers_pings_with_a_reserved_opcode_fails_wire_grammar() {
    let s = scenario(
        "reserved-opcode",
        vec![
            AgentStep::Connect,
            pings(200, 3),
            AgentStep::Close { code: 1000 },
        ],
    );
    let found = fires(&s, Flaw::AnswersPingsWithAReservedOpcode, id::WIRE_GRAMMAR);
    assert_eq!(
        rule_of(&found[0]),
        Some(Rule::ReservedOpcode),
        "{}",
        found[0]
    );
    assert_eq!(found[0].side, Some(Side::Server));
}

/// The agent goes quiet for longer than the heartbeat timeout, then tries to close.
fn goes_quiet(name: &str) -> Scenario {
    scenario(
        name,
        vec![
            AgentStep::Connect,
            pings(200, 2),
            AgentStep::Wait { ms: 3_000 },
            AgentStep::Close { code: 1000 },
        ],
    )
}

#[test]
fn a_server_that_hangs_up_on_a_heartbeat_timeout_without_a_close_frame_fails_wire_close() {
    let found = fires(
        &goes_quiet("hangs-up-without-close"),
        Flaw::HangsUpOnTimeoutWithoutClose,
        id::WIRE_CLOSE,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].summary.contains("without a Close frame"),
        "{}",
        found[0]
    );
}

#[test]
fn a_server_that_never_replaces_a_reconnected_agents_old_connection_fails_hub_registry() {
    let mut s = scenario(
        "never-replaces",
        vec![
            AgentStep::Connect,
            pings(200, 2),
            AgentStep::Connect,
            pings(200, 2),
            AgentStep::Close { code: 1000 },
        ],
    );
    // Long enough that the old connection's own timeout cannot end it in the run.
    s.hub.heartbeat_timeout_ms = 10_000;
    let found = fires(&s, Flaw::NeverReplacesTheOldConnection, id::HUB_REGISTRY);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].summary.contains("has two live connections"),
        "{}",
        found[0]
    );
    assert_eq!(
        found[0].conn,
        Some(1),
        "the finding names the older connection"
    );
}

#[test]
fn a_server_that_keeps_closed_connections_registered_fails_hub_registry() {
    let s = scenario(
        "keeps-the-dead",
        vec![
            AgentStep::Connect,
            pings(200, 2),
            AgentStep::Close { code: 1000 },
        ],
    );
    let found = fires(&s, Flaw::KeepsClosedConnectionsRegistered, id::HUB_REGISTRY);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].summary.contains("registry differs"),
        "{}",
        found[0]
    );
    assert!(found[0].details.contains("a1 -> 1"), "{}", found[0].details);
}

#[test]
fn a_server_that_never_enforces_the_heartbeat_timeout_fails_hub_liveness() {
    let found = fires(
        &goes_quiet("never-times-out"),
        Flaw::NeverTimesOut,
        id::HUB_LIVENESS,
    );
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].summary.contains("missed its heartbeat timeout"),
        "{}",
        found[0]
    );
}

#[test]
fn a_server_that_leaks_a_keepalive_task_past_conn_closed_fails_hub_tasks() {
    let s = scenario(
        "leaks-a-pinger",
        vec![
            AgentStep::Connect,
            pings(200, 3),
            AgentStep::Close { code: 1000 },
        ],
    );
    let found = fires(&s, Flaw::LeaksAKeepalivePinger, id::HUB_TASKS);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .summary
            .contains("emitted write.failed after its conn.closed"),
        "{}",
        found[0]
    );
}

/// Four pushes while the agent heartbeats; it keeps the connection open, so
/// every accepted push must arrive by quiescence.
fn four_pushes(name: &str) -> Scenario {
    let mut s = scenario(name, vec![AgentStep::Connect, pings(200, 6)]);
    for at in [300, 400, 500, 600] {
        push_at(&mut s, at);
    }
    s
}

#[test]
fn a_server_that_drops_every_second_push_fails_hub_delivery() {
    let found = fires(
        &four_pushes("drops-pushes"),
        Flaw::DropsEverySecondPush,
        id::HUB_DELIVERY,
    );
    let lost: Vec<&str> = found.iter().map(|f| f.summary.as_str()).collect();
    assert_eq!(found.len(), 2, "{lost:#?}");
    // Findings quote payloads with `{:?}`.
    for (summary, seq) in lost.iter().zip([2, 4]) {
        let payload = format!(r#"{{"type":"push","seq":{seq}}}"#);
        assert!(
            summary.contains(&format!("push {payload:?} accepted at"))
                && summary.contains("never arrived"),
            "{summary}"
        );
    }
}

#[test]
fn a_server_that_sends_each_push_twice_fails_hub_delivery() {
    let found = fires(
        &four_pushes("duplicates-pushes"),
        Flaw::SendsEachPushTwice,
        id::HUB_DELIVERY,
    );
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.iter().all(|f| f.summary.contains("arrived twice")));
}

#[test]
fn a_server_numbering_connections_from_a_process_wide_counter_fails_sim_determinism() {
    let s = scenario(
        "process-wide-counter",
        vec![
            AgentStep::Connect,
            pings(200, 2),
            AgentStep::Close { code: 1000 },
        ],
    );
    for server in [&HubFactory as &dyn ServerFactory, &Mini(Flaw::None)] {
        let (a, b) = (run_once(&s, server, SEED), run_once(&s, server, SEED));
        assert_eq!(
            oracle::determinism::check(SEED, &a.trace_text, &b.trace_text),
            None,
            "{} should replay",
            server.name()
        );
    }
    let flawed = Mini(Flaw::NumbersConnectionsAcrossRuns);
    let (a, b) = (run_once(&s, &flawed, SEED), run_once(&s, &flawed, SEED));
    // Each run alone is fine: only comparing two runs shows the flaw.
    assert_eq!(oracle::check_all(&a.record), Vec::new());
    assert_ne!(a.trace_hash, b.trace_hash);
    let f = oracle::determinism::check(SEED, &a.trace_text, &b.trace_text)
        .expect("two runs of one seed traced differently");
    assert_eq!(f.oracle, id::SIM_DETERMINISM);
    let diff = oracle::first_difference(&a.trace_text, &b.trace_text).expect("they differ");
    assert!(
        f.summary
            .ends_with(&format!("first difference at line {}", diff.line)),
        "{}",
        f.summary
    );
    // The first line that differs is the first that shows the counter.
    let (left, right) = (diff.left.expect("line"), diff.right.expect("line"));
    assert!(left.contains(" hub conn.accepted conn="), "{left}");
    assert!(right.contains(" hub conn.accepted conn="), "{right}");
    assert!(
        f.details.contains(&left) && f.details.contains(&right),
        "{}",
        f.details
    );
}
