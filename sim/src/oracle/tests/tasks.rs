use super::support::*;
use crate::oracle::tasks::HubTasks;
use crate::oracle::Oracle;

fn closed_run() -> crate::record::RunRecord {
    let mut r = run();
    r.conns.push(ended(1, "a1", &[close_frame(1000, "")]));
    hub(
        &mut r,
        s(1),
        "conn.accepted",
        &[("conn", "1"), ("peer", "agents:1")],
    );
    hub(
        &mut r,
        s(1),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    hub(
        &mut r,
        s(4),
        "conn.closed",
        &[
            ("conn", "1"),
            ("agent", "a1"),
            ("reason", "peer_closed"),
            ("end", "clean"),
        ],
    );
    r
}

#[test]
fn no_extra_tasks_and_no_late_events_pass() {
    let mut r = closed_run();
    r.extra_tasks_at_end = Some(0);
    assert_eq!(HubTasks.check(&r), vec![]);
}

#[test]
fn tasks_left_over_when_nothing_is_open_are_caught() {
    let mut r = closed_run();
    r.extra_tasks_at_end = Some(2);
    let found = HubTasks.check(&r);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].summary,
        "2 task(s) still alive on the server at the end, with no connection open"
    );
}

#[test]
fn tasks_of_an_open_connection_are_expected() {
    let mut r = closed_run();
    r.extra_tasks_at_end = Some(2);
    hub(
        &mut r,
        s(5),
        "conn.accepted",
        &[("conn", "2"), ("peer", "agents:2")],
    );
    assert_eq!(HubTasks.check(&r), vec![]);
}

#[test]
fn an_event_after_conn_closed_is_caught() {
    let mut r = closed_run();
    hub(
        &mut r,
        s(6),
        "frame.written",
        &[("conn", "1"), ("opcode", "10"), ("len", "0")],
    );
    hub(
        &mut r,
        s(7),
        "frame.written",
        &[("conn", "1"), ("opcode", "10"), ("len", "0")],
    );
    let found = HubTasks.check(&r);
    assert_eq!(found.len(), 1, "one finding per connection");
    assert_eq!(found[0].to_string(), "hub.tasks conn #1 at 6.000000s: server conn 1 (#1) emitted frame.written after its conn.closed: a task outlived the connection");
}

#[test]
fn a_bounced_server_numbering_from_1_again_is_not_a_late_event() {
    // closed_run's conn 1 closed at 4 s; after a bounce the new hub's conn 1.
    let mut r = closed_run();
    bounce_hub(&mut r, s(5));
    hub(
        &mut r,
        s(6),
        "conn.accepted",
        &[("conn", "1"), ("peer", "agents:2")],
    );
    hub(
        &mut r,
        s(6),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    assert_eq!(HubTasks.check(&r), vec![]);
    // The same events without the bounce: a task outlived conn 1.
    let mut r = closed_run();
    hub(
        &mut r,
        s(6),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    assert_eq!(HubTasks.check(&r).len(), 1);
}

#[test]
fn only_the_last_server_incarnation_has_open_connections() {
    // Conn 2 was open when the server was bounced; nothing is open after.
    let mut r = closed_run();
    hub(
        &mut r,
        s(5),
        "conn.accepted",
        &[("conn", "2"), ("peer", "agents:2")],
    );
    bounce_hub(&mut r, s(6));
    r.extra_tasks_at_end = Some(1);
    assert_eq!(HubTasks.check(&r).len(), 1);
}
