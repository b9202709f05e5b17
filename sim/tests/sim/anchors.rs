//! World steps anchored on lifecycle events: they fire at the tick boundary
//! after their event (plus `delay_ms`), `when` a push write begins and `after`
//! it ends, and an anchor that never happens is pending, never a hang.

use crate::support::every_write_short_and_stalled;
use std::time::Duration;

use wsrace_sim::record::TraceEvent;
use wsrace_sim::{
    oracle, run_once, AgentSpec, AgentStep, Anchor, AnchorEvent, AnchoredStep, HeartbeatKind,
    HubFactory, RunOutcome, Scenario, Trigger, WorldAction, WorldStep,
};

const TICK: Duration = Duration::from_millis(10);

fn anchor(agent: &str, event: AnchorEvent, nth: u32) -> Anchor {
    Anchor {
        agent: agent.into(),
        event,
        nth,
    }
}

fn push(agent: &str) -> WorldAction {
    WorldAction::Push {
        agent: agent.into(),
    }
}

/// The `sim.anchored` events, in order.
fn fired(out: &RunOutcome) -> Vec<&TraceEvent> {
    out.record
        .trace
        .iter()
        .filter(|e| e.name == "sim.anchored")
        .collect()
}

fn beating(beats: u32) -> Scenario {
    let mut s = Scenario::new("anchored-heartbeat");
    s.limit_ms = 30_000;
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Heartbeat {
                every_ms: 1000,
                count: beats,
                kind: HeartbeatKind::Ping,
            },
            AgentStep::Close { code: 1000 },
        ],
    ));
    s
}

#[test]
fn a_step_after_the_3rd_heartbeat_fires_at_the_tick_boundary_after_it() {
    let mut s = beating(5);
    for delay_ms in [0, 250] {
        s.anchored.push(AnchoredStep {
            trigger: Trigger::After(anchor("a1", AnchorEvent::Heartbeat, 3)),
            delay_ms,
            action: push("a1"),
        });
    }
    let out = run_once(&s, &HubFactory, 7);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}", r.end.pending);
    assert_eq!(oracle::check_all(r), Vec::new());
    // The agent's writes: the upgrade request, then one Ping per heartbeat.
    let third = r.conns[0].c2s.writes[3].at;
    let pushes: Vec<Duration> = r.pushes.iter().map(|p| p.at).collect();
    assert_eq!(pushes.len(), 2, "{:#?}", r.pushes);
    for (at, delay) in pushes.iter().zip([0, 250]) {
        let earliest = third + Duration::from_millis(delay);
        assert!(
            earliest <= *at && *at <= earliest + TICK,
            "3rd heartbeat at {third:?}, delay {delay} ms, push at {at:?}"
        );
        assert_eq!(
            at.as_nanos() % TICK.as_nanos(),
            0,
            "{at:?} is a tick boundary"
        );
    }
    let f = fired(&out);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].field("trigger"), Some("after a1's 3rd heartbeat"));
    assert_eq!(f[0].field("step"), Some("push to a1"));
    // Exactly when the event was, in the trace too.
    let third_text = format!("{}.{:06}s", third.as_secs(), third.subsec_micros());
    assert_eq!(f[0].field("event_at"), Some(third_text.as_str()));
}

/// a1 waits for three pushes. The server writes every frame in short pieces
/// with a 200 ms stall before each, so a push frame takes a while to go out.
/// The first push is timed; the second fires `when` the first begins to be
/// written, the third `after` it was.
fn slow_writes() -> Scenario {
    let mut s = Scenario::new("anchored-push-write");
    s.tick_ms = 10;
    s.limit_ms = 120_000;
    s.chaos = every_write_short_and_stalled(200);
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::AwaitPushes { count: 3 },
            AgentStep::Close { code: 1000 },
        ],
    ));
    s.steps.push(WorldStep {
        at_ms: 5000,
        action: push("a1"),
    });
    s.anchored.push(AnchoredStep {
        trigger: Trigger::When(anchor("a1", AnchorEvent::PushWrite, 1)),
        delay_ms: 0,
        action: push("a1"),
    });
    s.anchored.push(AnchoredStep {
        trigger: Trigger::After(anchor("a1", AnchorEvent::PushWrite, 1)),
        delay_ms: 0,
        action: push("a1"),
    });
    s
}

#[test]
fn a_push_write_anchor_fires_while_the_push_is_still_being_written() {
    let out = run_once(&slow_writes(), &HubFactory, 3);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    assert_eq!(oracle::check_all(r), Vec::new(), "{}", out.trace_text);
    assert!(out.chaos.stalls > 0 && out.chaos.short_writes > 0);
    let s2c = &r.conns[0].s2c;
    let payload = br#"{"type":"push","seq":1}"#;
    let at = s2c
        .written
        .windows(payload.len())
        .position(|w| w == payload)
        .expect("the first push was written") as u64;
    let (start, end) = (at - 2, at + payload.len() as u64);
    let pieces: Vec<Duration> = s2c
        .writes
        .iter()
        .filter(|w| w.start < end && start < w.end)
        .map(|w| w.at)
        .collect();
    let (first, last) = (pieces[0], *pieces.last().expect("pieces"));
    assert!(pieces.len() >= 2, "written in one piece: {pieces:?}");
    let (when, after) = (r.pushes[1].at, r.pushes[2].at);
    assert!(
        first <= when && when < last,
        "`when` fired at {when:?}; the frame went out from {first:?} to {last:?}"
    );
    assert!(
        last <= after && after <= last + TICK,
        "`after` fired at {after:?}; the frame's last byte went out at {last:?}"
    );
    let f = fired(&out);
    assert_eq!(
        f[0].field("trigger"),
        Some("when the server begins writing its 1st push to a1")
    );
    assert_eq!(
        f[1].field("trigger"),
        Some("after the server wrote its 1st push to a1")
    );
}

#[test]
fn connected_closed_and_push_received_anchors_fire() {
    let mut s = Scenario::new("anchored-lifecycle");
    s.limit_ms = 60_000;
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Wait { ms: 1000 },
            AgentStep::Hangup,
            AgentStep::Wait { ms: 500 },
            AgentStep::Connect,
            AgentStep::AwaitPushes { count: 1 },
            AgentStep::Close { code: 1000 },
        ],
    ));
    s.anchored.push(AnchoredStep {
        trigger: Trigger::After(anchor("a1", AnchorEvent::Closed, 1)),
        delay_ms: 0,
        action: WorldAction::Latency {
            a: "hub".into(),
            b: "agents".into(),
            ms: 2,
        },
    });
    s.anchored.push(AnchoredStep {
        trigger: Trigger::After(anchor("a1", AnchorEvent::Connected, 2)),
        delay_ms: 100,
        action: push("a1"),
    });
    s.anchored.push(AnchoredStep {
        trigger: Trigger::After(anchor("a1", AnchorEvent::PushReceived, 1)),
        delay_ms: 0,
        action: WorldAction::Shutdown,
    });
    let out = run_once(&s, &HubFactory, 11);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    let f = fired(&out);
    let triggers: Vec<_> = f.iter().map(|e| e.field("trigger").unwrap_or("")).collect();
    assert_eq!(
        triggers,
        [
            "after a1's 1st connection end",
            "after a1's 2nd upgrade",
            "after a1's 1st push received"
        ]
    );
    assert!(f.windows(2).all(|w| w[0].at <= w[1].at));
    assert_eq!(r.received_pushes.get("a1").map(Vec::len), Some(1));
}

#[test]
fn an_anchor_that_never_happens_is_pending_at_the_limit() {
    let mut s = beating(1);
    s.limit_ms = 5000;
    s.anchored.push(AnchoredStep {
        trigger: Trigger::After(anchor("a1", AnchorEvent::Heartbeat, 2)),
        delay_ms: 0,
        action: push("a1"),
    });
    let out = run_once(&s, &HubFactory, 1);
    let end = &out.record.end;
    assert!(!end.quiescent);
    assert_eq!(end.at, Duration::from_millis(5000));
    assert!(
        end.pending.contains(
            &"world step `push to a1` after a1's 2nd heartbeat: waiting for a1's 2nd heartbeat (1 so far)"
                .to_owned()
        ),
        "{:#?}",
        end.pending
    );
    assert!(out.record.pushes.is_empty());
}

#[test]
fn anchored_runs_replay_byte_for_byte() {
    let s = slow_writes();
    let (a, b) = (run_once(&s, &HubFactory, 5), run_once(&s, &HubFactory, 5));
    assert_eq!(a.trace_text, b.trace_text);
    assert_eq!(a.record.pushes, b.record.pushes);
}
