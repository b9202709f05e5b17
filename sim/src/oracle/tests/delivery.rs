use super::support::*;
use crate::oracle::delivery::HubDelivery;
use crate::oracle::Oracle;
use crate::record::RunRecord;

/// a1 on conn 1 (registered at 1 s, open to the end), pushes p1..p3 accepted.
fn pushed(received: &[&str]) -> RunRecord {
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    hub(
        &mut r,
        s(1),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    for (i, p) in ["p1", "p2", "p3"].iter().enumerate() {
        r.pushes.push(push(s(2 + i as u64), "a1", p, true));
    }
    r.pushes.push(push(s(6), "a1", "rejected", false));
    r.received_pushes.insert(
        "a1".into(),
        received.iter().map(|s| s.to_string()).collect(),
    );
    r
}

fn summaries(r: &RunRecord) -> Vec<String> {
    HubDelivery
        .check(r)
        .into_iter()
        .map(|f| f.summary)
        .collect()
}

#[test]
fn everything_in_order_once_passes() {
    assert_eq!(
        summaries(&pushed(&["p1", "p2", "p3"])),
        Vec::<String>::new()
    );
}

#[test]
fn a_duplicate_is_caught() {
    assert_eq!(
        summaries(&pushed(&["p1", "p2", "p2", "p3"])),
        [r#"agent a1: push "p2" arrived twice (received #2)"#]
    );
}

#[test]
fn out_of_order_is_caught() {
    assert_eq!(
        summaries(&pushed(&["p1", "p3", "p2"])),
        [r#"agent a1: push "p2" arrived after "p3", which was accepted later (out of order)"#]
    );
}

#[test]
fn a_push_never_accepted_is_caught() {
    let found = summaries(&pushed(&["p1", "p2", "p3", "rejected", "ghost"]));
    assert_eq!(
        found,
        [
            r#"agent a1: push "rejected" arrived although send rejected it"#,
            r#"agent a1: push "ghost" arrived but was never sent"#,
        ]
    );
}

#[test]
fn a_missed_delivery_to_an_open_connection_is_caught() {
    let found = HubDelivery.check(&pushed(&["p1", "p3"]));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].conn, Some(1));
    assert_eq!(
        found[0].summary,
        r#"agent a1: push "p2" accepted at 3.000000s never arrived, though conn #1 stayed open to the end"#
    );
}

#[test]
fn pushes_lost_with_a_closed_connection_or_in_flight_are_not_required() {
    let mut r = pushed(&["p1"]);
    r.end.quiescent = false;
    assert_eq!(summaries(&r), Vec::<String>::new());
    let mut r = pushed(&["p1"]);
    r.conns[0] = ended(
        1,
        "a1",
        &[close_frame(1000, "replaced by a new connection")],
    );
    assert_eq!(summaries(&r), Vec::<String>::new());
}

#[test]
fn a_push_to_an_agent_that_stopped_reading_with_bytes_unread_is_not_required() {
    let mut r = pushed(&["p1"]);
    stop_reading(&mut r.conns[0], s(2), b"\x81\x02p2", "hub conn#1 writer");
    assert_eq!(summaries(&r), Vec::<String>::new());
}

#[test]
fn pushes_follow_the_server_incarnation_of_their_connection() {
    // The first hub's conn 1 is a1's first connection; after a bounce the new
    // hub's conn 1 is a2's. A push to a2 targets the new conn 1 (harness #2).
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    hub(
        &mut r,
        s(1),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    bounce_hub(&mut r, s(2));
    let mut c = conn(2, "a2");
    (c.server_conn, c.server_incarnation, c.opened_at) = (Some(1), 1, s(3));
    r.conns.push(c);
    hub(
        &mut r,
        s(3),
        "conn.registered",
        &[("conn", "1"), ("agent", "a2")],
    );
    r.pushes.push(push(s(4), "a2", "p1", true));
    let found = HubDelivery.check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].conn, Some(2));
    // A push the old server accepted died with it, even if its agent never noticed.
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    hub(
        &mut r,
        s(1),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    r.pushes.push(push(s(2), "a1", "p1", true));
    bounce_hub(&mut r, s(3));
    assert_eq!(summaries(&r), Vec::<String>::new());
}

#[test]
fn a_push_on_a_connection_a_fault_could_cut_is_not_required() {
    // A partition of the agent's link right after the push: the agent never
    // learns and sees the stream open; the push is lost.
    let mut r = pushed(&["p1", "p2"]);
    r.conns[0].host = "host-a1".into();
    r.faults
        .push(fault(s(4), "partition", &[], &["hub", "host-a1"]));
    assert_eq!(summaries(&r), Vec::<String>::new());
    // A partition of another agent's link explains nothing.
    let mut r = pushed(&["p1", "p2"]);
    r.conns[0].host = "host-a1".into();
    r.faults
        .push(fault(s(4), "partition", &[], &["hub", "host-a2"]));
    assert_eq!(summaries(&r).len(), 1);
}

#[test]
fn a_push_to_an_agent_that_stopped_reading_is_owed_only_while_the_server_keeps_the_connection() {
    // a1 read every byte, then stopped; p2 and p3 were never written. The hub
    // still has the connection: it owes them.
    let mut r = pushed(&["p1"]);
    stop_reading(&mut r.conns[0], s(2), b"", "hub conn#1 writer");
    assert_eq!(summaries(&r).len(), 2);
    // The hub ended the connection (the agent cannot see its Close or EOF):
    // queued pushes go with it.
    hub(
        &mut r,
        s(3),
        "shutdown.begun",
        &[
            ("conn", "1"),
            ("agent", "a1"),
            ("reason", "heartbeat_timeout"),
        ],
    );
    assert_eq!(summaries(&r), Vec::<String>::new());
}

/// a1 reconnected: `old` carries what its first connection received, `new` its
/// second's; every push is a real text frame in those streams.
fn across_a_reconnect(old: &[&str], new: &[&str], received: &[&str]) -> RunRecord {
    let mut r = run();
    let mut first = conn(1, "a1");
    let mut second = conn(2, "a1");
    for (c, pushes) in [(&mut first, old), (&mut second, new)] {
        for p in pushes {
            let frame = server_frame(wsrace_frame::opcode::TEXT, p.as_bytes());
            c.s2c.received.extend_from_slice(&frame);
        }
    }
    r.conns.push(first);
    r.conns.push(second);
    for (i, p) in ["1", "2", "3", "4"].iter().enumerate() {
        let payload = format!(r#"{{"type":"push","seq":{p}}}"#);
        r.pushes.push(push(s(2 + i as u64), "a1", &payload, true));
    }
    r.received_pushes.insert(
        "a1".into(),
        received.iter().map(|s| s.to_string()).collect(),
    );
    r
}

const P1: &str = r#"{"type":"push","seq":1}"#;
const P2: &str = r#"{"type":"push","seq":2}"#;
const P3: &str = r#"{"type":"push","seq":3}"#;
const P4: &str = r#"{"type":"push","seq":4}"#;

#[test]
fn a_push_the_old_connection_was_writing_may_land_after_a_later_one_on_the_new() {
    let r = across_a_reconnect(&[P1, P2, P3], &[P4], &[P1, P2, P4, P3]);
    assert_eq!(summaries(&r), Vec::<String>::new());
}

#[test]
fn overtaking_on_one_connection_is_still_caught_across_a_reconnect() {
    let r = across_a_reconnect(&[P1, P3, P2], &[P4], &[P1, P3, P4, P2]);
    assert_eq!(
        summaries(&r),
        [format!(
            "agent a1: push {P2:?} arrived after {P3:?}, which was accepted later (out of order)"
        )]
    );
}
