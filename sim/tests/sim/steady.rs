use wsrace_sim::record::ReaderEnd;
use wsrace_sim::{run_once, HubFactory};

use crate::support::{count, heartbeats};

#[test]
fn steady_heartbeats_settle_with_every_connection_closed_cleanly() {
    let scenario = heartbeats("steady", 3, 10, 1000);
    let out = run_once(&scenario, &HubFactory, 1);
    let r = &out.record;
    assert!(
        r.end.quiescent,
        "not quiescent: {:#?}\n{}",
        r.end.pending, out.trace_text
    );
    assert_eq!(r.conns.len(), 3);
    for c in &r.conns {
        assert!(c.upgraded, "conn {} not upgraded", c.id);
        assert!(
            c.server_conn.is_some(),
            "conn {} never matched to a hub conn",
            c.id
        );
        assert!(c.agent_initiated_close);
        assert_eq!(c.s2c.reader_end, ReaderEnd::Eof, "conn {}", c.id);
        // The hub stops reading once the close handshake is done.
        assert!(
            matches!(c.c2s.reader_end, ReaderEnd::Eof | ReaderEnd::Stopped),
            "conn {}: {:?}",
            c.id,
            c.c2s.reader_end
        );
        // Without chaos every byte written arrived.
        assert_eq!(c.s2c.written, c.s2c.received);
        assert_eq!(c.c2s.written, c.c2s.received);
    }
    assert_eq!(
        count(&out.trace_text, "heartbeat"),
        30,
        "{}",
        out.trace_text
    );
    assert_eq!(count(&out.trace_text, "conn.closed"), 3);
    assert_eq!(r.registry_at_end.as_ref().map(|m| m.len()), Some(0));
    assert!(
        out.trace_text.starts_with("0.000000 sim sim sim.start"),
        "{}",
        out.trace_text
    );
}

#[test]
fn pushes_arrive_in_order() {
    use wsrace_sim::{WorldAction, WorldStep};
    let mut scenario = heartbeats("pushes", 2, 5, 1000);
    for at_ms in [1500, 2500, 3500] {
        scenario.steps.push(WorldStep {
            at_ms,
            action: WorldAction::Push { agent: "a1".into() },
        });
    }
    let out = run_once(&scenario, &HubFactory, 3);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}", r.end.pending);
    assert_eq!(r.pushes.len(), 3);
    assert!(r.pushes.iter().all(|p| p.accepted), "{:#?}", r.pushes);
    let got = r.received_pushes.get("a1").cloned().unwrap_or_default();
    let sent: Vec<String> = r.pushes.iter().map(|p| p.payload.clone()).collect();
    assert_eq!(got, sent);
}
