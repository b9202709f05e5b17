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
