//! Agents' `await` steps: a script waits for a lifecycle event (its own or
//! another agent's) and goes on at that moment: for `push_write`, when the
//! frame's first byte reaches the transport. Replays exactly; an await that
//! never happens is pending at the limit; the loader checks what it names.

use crate::support::every_write_short_and_stalled;
use std::time::Duration;

use wsrace_sim::record::{RunRecord, TraceEvent};
use wsrace_sim::scenario_file::{self, Mistake};
use wsrace_sim::{
    oracle, run_once, AgentSpec, AgentStep, AnchorEvent, HeartbeatKind, HubFactory, Scenario,
    WorldAction, WorldStep,
};

use crate::broken_files::{check_table, Bad};

fn push(at_ms: u64, agent: &str) -> WorldStep {
    WorldStep {
        at_ms,
        action: WorldAction::Push {
            agent: agent.into(),
        },
    }
}

fn await_step(event: AnchorEvent, nth: u32, agent: Option<&str>) -> AgentStep {
    AgentStep::Await {
        event,
        nth,
        agent: agent.map(str::to_owned),
    }
}

/// a1 connects, waits for the hub to begin writing its 2nd push, and then
/// reconnects. Every server write is short and stalled 200 ms first, so a
/// push frame goes out in pieces over hundreds of milliseconds.
fn reconnect_mid_push() -> Scenario {
    let mut s = Scenario::new("await-push-write");
    s.tick_ms = 1;
    s.limit_ms = 60_000;
    s.max_latency_ms = 5;
    s.chaos = every_write_short_and_stalled(200);
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            await_step(AnchorEvent::PushWrite, 2, None),
            AgentStep::Connect,
            AgentStep::Heartbeat {
                every_ms: 100,
                count: 3,
                kind: HeartbeatKind::Ping,
            },
            AgentStep::Close { code: 1000 },
        ],
    ));
    s.steps.push(push(3000, "a1"));
    s.steps.push(push(3001, "a1"));
    s
}

/// The `agent.step` events of `agent` for step `step`, in order.
fn steps<'r>(r: &'r RunRecord, agent: &str, step: &str) -> Vec<&'r TraceEvent> {
    r.trace
        .iter()
        .filter(|e| {
            e.name == "agent.step"
                && e.field("agent") == Some(agent)
                && e.field("step") == Some(step)
        })
        .collect()
}

/// When the first and the last byte of push `seq`'s frame on `conn` went out.
fn frame_span(r: &RunRecord, conn: usize, seq: u64) -> (Duration, Duration) {
    let s2c = &r.conns[conn].s2c;
    let payload = format!(r#"{{"type":"push","seq":{seq}}}"#);
    let at = s2c
        .written
        .windows(payload.len())
        .position(|w| w == payload.as_bytes())
        .unwrap_or_else(|| panic!("push {seq} was written on conn {}", conn + 1))
        as u64;
    let (start, end) = (at - 2, at + payload.len() as u64);
    let pieces: Vec<Duration> = s2c
        .writes
        .iter()
        .filter(|w| w.start < end && start < w.end)
        .map(|w| w.at)
        .collect();
    assert!(pieces.len() >= 2, "push {seq} went out in one piece");
    (pieces[0], *pieces.last().expect("pieces"))
}

#[test]
fn an_agent_reconnects_while_its_2nd_push_frame_is_partly_written() {
    for seed in [1, 2, 3] {
        let out = run_once(&reconnect_mid_push(), &HubFactory, seed);
        let r = &out.record;
        assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
        assert_eq!(oracle::check_all(r), Vec::new(), "{}", out.trace_text);
        let (first, last) = frame_span(r, 0, 2);
        let connects = steps(r, "a1", "connect");
        assert_eq!(connects.len(), 2);
        let reconnect = connects[1].at;
        assert!(
            first <= reconnect && reconnect < last,
            "seed {seed}: reconnect at {reconnect:?}; push 2 went out from {first:?} to {last:?}"
        );
        // From the bytes alone: at the reconnect, the old connection's s2c tap
        // held the 2nd push frame's header and part of its payload, not all.
        let s2c = &r.conns[0].s2c;
        let out_by = |t: Duration| {
            s2c.writes
                .iter()
                .filter(|w| w.at <= t)
                .map(|w| w.end)
                .max()
                .unwrap_or(0)
        };
        let payload = br#"{"type":"push","seq":2}"#;
        let at = s2c
            .written
            .windows(payload.len())
            .position(|w| w == payload)
            .expect("push 2 on conn 1") as u64;
        let written = out_by(reconnect);
        assert!(
            at - 2 < written && written < at + payload.len() as u64,
            "seed {seed}: {written} bytes out at the reconnect; push 2 is bytes {}..{}",
            at - 2,
            at + payload.len() as u64
        );
        // The trace says what was awaited and when it happened.
        let awaited: Vec<_> = r
            .trace
            .iter()
            .filter(|e| e.name == "agent.awaited")
            .collect();
        assert_eq!(awaited.len(), 1);
        assert_eq!(awaited[0].field("of"), Some("a1"));
        assert_eq!(awaited[0].field("awaited"), Some("push_write"));
        assert_eq!(awaited[0].num("nth"), Some(2));
        // Dated by the frame's first byte; the agent goes on once the push is
        // recognised (header and 14 payload bytes out), still mid-frame.
        let first_text = format!("{}.{:06}s", first.as_secs(), first.subsec_micros());
        assert_eq!(awaited[0].field("event_at"), Some(first_text.as_str()));
        assert!(first <= awaited[0].at && awaited[0].at < last);
        assert!(awaited[0].seq < connects[1].seq);
    }
}

#[test]
fn an_agent_awaits_another_agents_heartbeat() {
    let mut s = Scenario::new("await-other");
    s.limit_ms = 30_000;
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Heartbeat {
                every_ms: 1000,
                count: 4,
                kind: HeartbeatKind::Ping,
            },
            AgentStep::Close { code: 1000 },
        ],
    ));
    // a2 has a host of its own: a1's events come from another host.
    let mut a2 = AgentSpec::new(
        "a2",
        vec![
            await_step(AnchorEvent::Heartbeat, 3, Some("a1")),
            AgentStep::Connect,
            AgentStep::Close { code: 1000 },
        ],
    );
    a2.host = "a2-host".into();
    s.agents.push(a2);
    let out = run_once(&s, &HubFactory, 4);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    assert_eq!(oracle::check_all(r), Vec::new());
    // a1's writes: the upgrade request, then one Ping per heartbeat.
    let third = r.conns[0].c2s.writes[3].at;
    let connect = steps(r, "a2", "connect")[0].at;
    assert!(
        third <= connect && connect <= third + Duration::from_millis(10),
        "a1's 3rd heartbeat at {third:?}, a2 connects at {connect:?}"
    );
}

#[test]
fn await_runs_replay_byte_for_byte() {
    let s = reconnect_mid_push();
    for seed in [5, 6] {
        let (a, b) = (
            run_once(&s, &HubFactory, seed),
            run_once(&s, &HubFactory, seed),
        );
        assert_eq!(a.trace_text, b.trace_text);
        assert_eq!(a.record, b.record);
    }
}

#[test]
fn an_await_that_never_happens_is_pending_at_the_limit() {
    let mut s = Scenario::new("await-never");
    s.limit_ms = 5000;
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            await_step(AnchorEvent::PushWrite, 2, None),
            AgentStep::Close { code: 1000 },
        ],
    ));
    s.steps.push(push(1000, "a1"));
    let out = run_once(&s, &HubFactory, 1);
    let end = &out.record.end;
    assert!(!end.quiescent);
    assert_eq!(end.at, Duration::from_millis(5000));
    assert!(
        end.pending
            .iter()
            .any(|p| p.starts_with("agent a1: awaiting a1's 2nd push_write (1 so far) since 0.")),
        "{:#?}",
        end.pending
    );
}

const BAD: &[Bad] = &[
    Bad {
        file: "await_unknown_event.toml",
        at: (9, 27),
        mistake: Mistake::UnknownName,
        message: "unknown value `event = \"push_writ\"` in `agents[0].script[1]`",
        help: "did you mean `push_write`?",
    },
    Bad {
        file: "await_nth_zero.toml",
        at: (9, 47),
        mistake: Mistake::Impossible,
        message: "`nth = 0`: occurrences count from 1",
        help: "`nth = 1` is a1's first push_write",
    },
    Bad {
        file: "await_unknown_agent.toml",
        at: (9, 57),
        mistake: Mistake::UnknownAgent,
        message: "no agent named `a3`",
        help: "did you mean `a1`?",
    },
    Bad {
        file: "await_count_base_name.toml",
        at: (10, 57),
        mistake: Mistake::UnknownAgent,
        message: "no agent named `a`",
        help: "its agents are `a1` .. `a3`",
    },
    Bad {
        file: "await_unreachable.toml",
        at: (9, 47),
        mistake: Mistake::Impossible,
        message: "agent `a1` awaits a1's 3rd push_write, but 2 `push` step(s) name it",
        help: "lower `nth`",
    },
    Bad {
        file: "await_own_later_step.toml",
        at: (11, 46),
        mistake: Mistake::Impossible,
        message: "agent `a1` awaits its own 2nd connected, but only 1 `connect` step(s) come before the await",
        help: "move the await after the step that causes it",
    },
];

#[test]
fn await_mistakes_get_precise_errors() {
    check_table("bad_awaits", BAD);
}

const GOOD: &str = r#"# Reproduces: await steps load (loader test)
limit_ms = 10000

[expect]
result = "pass"

[[agents]]
name = "a1"
script = [
  { do = "connect" },
  { do = "await", event = "push_write", nth = 2 },
  { do = "connect" },
]

[[agents]]
name = "a2"
script = [{ do = "await", event = "connected", nth = 2, agent = "a1" }, { do = "connect" }]

[[steps]]
at_ms = 100
do = "push"
agent = "a1"

[[steps]]
at_ms = 200
do = "push"
agent = "a1"
"#;

#[test]
fn await_steps_load_and_round_trip() {
    let f = scenario_file::parse(GOOD, "good.toml").unwrap_or_else(|e| panic!("{e}"));
    let s = &f.scenario;
    assert_eq!(
        s.agents[0].script[1],
        await_step(AnchorEvent::PushWrite, 2, None)
    );
    assert_eq!(
        s.agents[1].script[0],
        await_step(AnchorEvent::Connected, 2, Some("a1"))
    );
    assert_eq!(
        s.agents[0].script[1]
            .awaited("a1")
            .map(|t| t.describe())
            .as_deref(),
        Some("when the server begins writing its 2nd push to a1")
    );
    let text = toml::to_string(&s.agents[1]).expect("serializes");
    let back: AgentSpec = toml::from_str(&text).expect("reads back");
    assert_eq!(back, s.agents[1]);
    let text = toml::to_string(&s.agents[0]).expect("serializes");
    assert!(
        !text.contains("agent ="),
        "no `agent` when it is the default: {text}"
    );
}
