use super::support::*;
use crate::oracle::liveness::HubLiveness;
use crate::oracle::Oracle;
use crate::record::RunRecord;

fn check(r: &RunRecord) -> Vec<String> {
    HubLiveness.check(r).iter().map(|f| f.to_string()).collect()
}

/// Conn 1 of a1 registered at 1 s, heartbeats at 10 s and 20 s (timeout 30 s,
/// slack 1 s: the timeout is due in [50 s, 51 s]).
fn heartbeating() -> RunRecord {
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    hub(
        &mut r,
        s(1),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    for t in [10, 20] {
        hub(
            &mut r,
            s(t),
            "heartbeat",
            &[("conn", "1"), ("agent", "a1"), ("kind", "ping")],
        );
    }
    r
}

fn timeout_at(r: &mut RunRecord, at: std::time::Duration) {
    hub(
        r,
        at,
        "heartbeat.timeout",
        &[("conn", "1"), ("agent", "a1")],
    );
    hub(
        r,
        at,
        "shutdown.begun",
        &[
            ("conn", "1"),
            ("agent", "a1"),
            ("reason", "heartbeat_timeout"),
        ],
    );
    hub(
        r,
        at + s(5),
        "conn.closed",
        &[
            ("conn", "1"),
            ("agent", "a1"),
            ("reason", "heartbeat_timeout"),
            ("end", "unanswered"),
        ],
    );
}

#[test]
fn a_timeout_within_its_bounds_passes() {
    let mut r = heartbeating();
    timeout_at(&mut r, ms(50_400));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_late_heartbeat_timeout_is_caught() {
    let mut r = heartbeating();
    timeout_at(&mut r, s(53));
    assert_eq!(
        check(&r),
        ["hub.liveness conn #1 at 53.000000s: server conn 1 (#1) timed out after 33.000000s of silence (since 20.000000s); expected within [30.000000s, 31.000000s]"]
    );
}

#[test]
fn an_early_heartbeat_timeout_is_caught() {
    let mut r = heartbeating();
    timeout_at(&mut r, s(40));
    assert_eq!(check(&r).len(), 1);
}

#[test]
fn a_missed_heartbeat_timeout_is_caught() {
    let r = heartbeating();
    assert_eq!(
        check(&r),
        ["hub.liveness conn #1 at 51.000000s: server conn 1 (#1) missed its heartbeat timeout: quiet since 20.000000s, no timeout by 51.000000s (limit 30.000000s + slack 1.000000s)"]
    );
}

#[test]
fn a_crash_of_the_server_host_stops_its_clock() {
    let mut r = heartbeating();
    r.faults.push(fault(s(25), "crash", &[], &["hub"]));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_shutdown_must_complete_within_its_bound() {
    // Bound: 3 * 10 s write deadline + 5 s close deadline + 1 s slack = 36 s.
    let mut r = heartbeating();
    hub(
        &mut r,
        s(25),
        "shutdown.begun",
        &[("conn", "1"), ("agent", "a1"), ("reason", "hub_shutdown")],
    );
    hub(
        &mut r,
        s(62),
        "conn.closed",
        &[
            ("conn", "1"),
            ("agent", "a1"),
            ("reason", "hub_shutdown"),
            ("end", "write_aborted"),
        ],
    );
    let found = check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("took 37.000000s from shutdown.begun to conn.closed"),
        "{}",
        found[0]
    );
    // Never closed at all:
    r.trace.pop();
    let found = check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("was not closed by 61.000000s"),
        "{}",
        found[0]
    );
}

#[test]
fn a_stuck_run_lists_what_was_pending() {
    let mut r = run();
    r.end.quiescent = false;
    r.end.pending = vec!["agent a1: waiting for Close since 12.3s".into()];
    let found = HubLiveness.check(&r);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].summary,
        "the run did not reach quiescence by 100.000000s"
    );
    assert_eq!(
        found[0].details,
        "  pending    agent a1: waiting for Close since 12.3s\n"
    );
}

#[test]
fn a_bounced_server_is_judged_afresh_from_its_own_events() {
    // The first hub's conn 1 went quiet at 20 s and was bounced at 25 s: no
    // verdict. The new hub's conn 1 registered at 26 s and began shutting down
    // at 30 s, which never completed (bound 36 s, run ends at 100 s).
    let mut r = heartbeating();
    bounce_hub(&mut r, s(25));
    hub(
        &mut r,
        s(26),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    hub(
        &mut r,
        s(26),
        "heartbeat",
        &[("conn", "1"), ("agent", "a1"), ("kind", "ping")],
    );
    hub(
        &mut r,
        s(30),
        "shutdown.begun",
        &[("conn", "1"), ("agent", "a1"), ("reason", "peer_gone")],
    );
    let found = check(&r);
    assert_eq!(
        found,
        ["hub.liveness at 66.000000s: server conn 1 of incarnation 1 began shutting down at 30.000000s and was not closed by 66.000000s (bound 36.000000s)"]
    );
}
