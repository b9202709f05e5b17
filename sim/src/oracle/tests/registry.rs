use std::collections::BTreeMap;

use super::support::*;
use crate::oracle::registry::HubRegistry;
use crate::oracle::Oracle;
use crate::record::RunRecord;

fn check(r: &RunRecord) -> Vec<String> {
    HubRegistry.check(r).iter().map(|f| f.to_string()).collect()
}

fn registered(r: &mut RunRecord, secs: u64, conn: &str, agent: &str) {
    hub(
        r,
        s(secs),
        "conn.registered",
        &[("conn", conn), ("agent", agent)],
    );
}

fn replaced(r: &mut RunRecord, secs: u64, conn: &str, agent: &str, by: &str) {
    hub(
        r,
        s(secs),
        "conn.replaced",
        &[("conn", conn), ("agent", agent), ("by", by)],
    );
}

#[test]
fn a_reconnect_that_replaces_the_old_connection_passes() {
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    registered(&mut r, 1, "2", "a2");
    registered(&mut r, 5, "3", "a1");
    replaced(&mut r, 5, "1", "a1", "3");
    hub(
        &mut r,
        s(5),
        "shutdown.begun",
        &[("conn", "1"), ("agent", "a1"), ("reason", "replaced")],
    );
    registered(&mut r, 9, "4", "a1");
    replaced(&mut r, 9, "3", "a1", "4");
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn two_live_connections_for_one_agent_are_caught() {
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    r.conns.push(conn(2, "a1"));
    registered(&mut r, 1, "1", "a1");
    registered(&mut r, 5, "2", "a1");
    let found = HubRegistry.check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].conn, found[0].at), (Some(1), Some(s(5))));
    assert!(found[0].summary.contains("agent a1 has two live connections: server conn 2 (#2) registered while server conn 1 (#1) was live"), "{}", found[0].summary);
}

#[test]
fn an_ended_connection_needs_no_replacing() {
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    hub(
        &mut r,
        s(2),
        "shutdown.begun",
        &[("conn", "1"), ("agent", "a1"), ("reason", "peer_gone")],
    );
    registered(&mut r, 5, "2", "a1");
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn the_newest_connection_must_win_a_reconnect() {
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    registered(&mut r, 5, "2", "a1");
    // The old connection took the entry back: the newer one is replaced by it.
    replaced(&mut r, 5, "2", "a1", "1");
    let found = check(&r);
    assert!(found.iter().any(|f| f.contains("server conn 2 of agent a1 was replaced by server conn 1, but the agent's newest connection is server conn 2")), "{found:#?}");
}

#[test]
fn the_registry_at_quiescence_must_match_the_connected_agents() {
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    registered(&mut r, 1, "2", "a2");
    r.conns.push(conn(1, "a1"));
    r.conns.push(ended(2, "a2", &[close_frame(1000, "")]));
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 1)]));
    assert_eq!(check(&r), Vec::<String>::new());
    // a2 is gone but still registered; a1 is connected but missing.
    r.registry_at_end = Some(BTreeMap::from([("a2".to_owned(), 2)]));
    let found = HubRegistry.check(&r);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].details,
        "  expected   a1 -> 1\n  got        a2 -> 2\n"
    );
}

#[test]
fn a_server_without_hub_events_is_not_judged() {
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    r.registry_at_end = Some(BTreeMap::new());
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_bounced_server_numbering_from_1_again_is_a_new_registry() {
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    registered(&mut r, 1, "1", "a1");
    bounce_hub(&mut r, s(2));
    // The new hub's conn 1 is a1's reconnect: harness #2.
    let mut c = conn(2, "a1");
    (c.server_conn, c.server_incarnation) = (Some(1), 1);
    r.conns.push(c);
    registered(&mut r, 3, "1", "a1");
    registered(&mut r, 4, "2", "a2");
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 1)]));
    assert_eq!(check(&r), Vec::<String>::new());
    // Within the new incarnation, two live connections are still caught.
    registered(&mut r, 5, "3", "a1");
    let found = HubRegistry.check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].conn, Some(2));
    assert!(
        found[0]
            .summary
            .contains("server conn 3 of incarnation 1 registered while server conn 1 of incarnation 1 (#2) was live"),
        "{}",
        found[0].summary
    );
}

#[test]
fn an_agent_connection_of_a_bounced_server_is_not_expected_in_the_new_registry() {
    // A partitioned agent never learned that the server was bounced.
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    registered(&mut r, 1, "1", "a1");
    bounce_hub(&mut r, s(2));
    r.registry_at_end = Some(BTreeMap::new());
    assert_eq!(check(&r), Vec::<String>::new());
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 1)]));
    assert_eq!(check(&r).len(), 1);
}

#[test]
fn an_agent_that_stopped_reading_may_or_may_not_be_registered_at_the_end() {
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    let mut c = conn(1, "a1");
    stop_reading(
        &mut c,
        s(2),
        &close_frame(1001, "heartbeat timeout"),
        "hub conn#1 writer",
    );
    r.conns.push(c);
    for got in [vec![], vec![("a1".to_owned(), 1)]] {
        r.registry_at_end = Some(got.into_iter().collect());
        assert_eq!(check(&r), Vec::<String>::new());
    }
    // But not for another connection.
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 7)]));
    assert_eq!(check(&r).len(), 1);
}

#[test]
fn a_partitioned_agent_may_have_been_timed_out_unawares() {
    // The hub timed a1 out and closed; the partitioned agent never heard.
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    let mut c = conn(1, "a1");
    c.host = "host-a1".into();
    r.conns.push(c);
    r.faults
        .push(fault(s(2), "partition", &[], &["hub", "host-a1"]));
    r.registry_at_end = Some(BTreeMap::new());
    assert_eq!(check(&r), Vec::<String>::new());
    // Another agent's partition explains nothing.
    r.faults[0] = fault(s(2), "partition", &[], &["hub", "host-a2"]);
    assert_eq!(check(&r).len(), 1);
}

#[test]
fn a_server_behind_a_partition_may_keep_an_agent_that_gave_up() {
    // The 101 was lost: the agent timed out its upgrade and hung up; the hub
    // never heard of it and keeps the registration.
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    let mut c = conn(1, "a1");
    c.host = "host-a1".into();
    c.upgraded = false;
    c.s2c.reader_end = crate::record::ReaderEnd::Stopped;
    r.conns.push(c);
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 1)]));
    assert_eq!(check(&r).len(), 1);
    r.faults
        .push(fault(s(1), "partition", &[], &["hub", "host-a1"]));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_failed_reconnect_leaves_the_older_connection_registered() {
    // a1's reconnect (#2) timed out its upgrade behind a hold: the hub rejected
    // it, conn 1 stays a1's. Without the hold, the same holds: a failed upgrade
    // replaces nothing.
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    let mut c1 = conn(1, "a1");
    c1.host = "host-a1".into();
    let mut c2 = conn(2, "a1");
    (c2.host, c2.upgraded, c2.opened_at) = ("host-a1".into(), false, s(3));
    c2.s2c.reader_end = crate::record::ReaderEnd::Stopped;
    r.conns.extend([c1, c2]);
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 1)]));
    assert_eq!(check(&r), Vec::<String>::new());
    r.faults.push(fault(s(4), "hold", &[], &["hub", "host-a1"]));
    assert_eq!(check(&r), Vec::<String>::new());
    // Behind the hold, the hub may have registered #2 (its 101 held back).
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 2)]));
    assert_eq!(check(&r), Vec::<String>::new());
    // But never a connection the agent never made.
    r.registry_at_end = Some(BTreeMap::from([("a1".to_owned(), 3)]));
    let found = HubRegistry.check(&r);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].details,
        "  expected   a1 -> none or 1 or 2\n  got        a1 -> 3\n"
    );
}

#[test]
fn an_agent_that_stopped_reading_cannot_see_a_close_that_was_never_written() {
    // The hub timed a1 out; its Close write was aborted and the transport shut:
    // every byte was read, but the agent, not reading, never saw the end.
    let mut r = run();
    registered(&mut r, 1, "1", "a1");
    let mut c = conn(1, "a1");
    stop_reading(&mut c, s(2), b"", "hub conn#1 writer");
    r.conns.push(c);
    r.registry_at_end = Some(BTreeMap::new());
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn an_old_connection_that_ends_only_later_was_never_replaced() {
    // Without replacement the old connection lives on until something else ends
    // it (here a heartbeat timeout two seconds later): two live at once for those
    // two seconds, which a late end must not excuse.
    let mut r = run();
    r.conns.push(conn(1, "a1"));
    r.conns.push(conn(2, "a1"));
    registered(&mut r, 1, "1", "a1");
    registered(&mut r, 5, "2", "a1");
    hub(
        &mut r,
        s(7),
        "shutdown.begun",
        &[
            ("conn", "1"),
            ("agent", "a1"),
            ("reason", "heartbeat_timeout"),
        ],
    );
    let found = HubRegistry.check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].conn, found[0].at), (Some(1), Some(s(5))));
}
