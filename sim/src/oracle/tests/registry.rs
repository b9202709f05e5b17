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
