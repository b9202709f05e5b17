use wsrace_frame::opcode::{BINARY, TEXT};

use super::support::*;
use crate::oracle::wire_close::WireClose;
use crate::oracle::{Oracle, Side};
use crate::record::{ReaderEnd, RunRecord};

fn check(r: &RunRecord) -> Vec<String> {
    WireClose.check(r).iter().map(|f| f.to_string()).collect()
}

#[test]
fn a_close_frame_then_eof_passes() {
    let mut r = run();
    r.conns.push(ended(
        1,
        "a1",
        &[
            server_frame(TEXT, b"hi"),
            close_frame(1001, "heartbeat timeout"),
        ],
    ));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_socket_closed_without_a_close_frame_is_caught() {
    let mut r = run();
    r.conns.push(ended(1, "a1", &[server_frame(TEXT, b"hi")]));
    let found = WireClose.check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        (f.oracle, f.conn, f.side),
        ("wire.close", Some(1), Some(Side::Server))
    );
    assert!(
        f.summary
            .contains("ended (EOF) at a frame boundary without a Close frame"),
        "{}",
        f.summary
    );
    assert_eq!(f.writer.as_deref(), Some("hub conn#1 writer"));
}

#[test]
fn a_frame_cut_short_by_a_reset_is_caught() {
    let mut r = run();
    let mut c = conn(1, "a1");
    let frame = server_frame(BINARY, &[0; 40]);
    write(&mut c.s2c, &frame[..20], "zoo conn#1 heartbeat", s(2));
    c.s2c.reader_end = ReaderEnd::Error("connection reset".into());
    r.conns.push(c);
    let found = check(&r);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].contains("inside frame #0 (FIN Binary unmasked len=40), 20 of 42 bytes"),
        "{}",
        found[0]
    );
}

#[test]
fn a_fault_on_the_connection_explains_the_missing_close() {
    let mut r = run();
    r.conns.push(ended(1, "a1", &[server_frame(TEXT, b"hi")]));
    r.faults.push(fault(s(5), "chaos.reset", &[1], &[]));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_partition_of_the_agents_host_explains_the_missing_close() {
    let mut r = run();
    r.conns.push(ended(1, "a1", &[server_frame(TEXT, b"hi")]));
    // The agent's host is known from its own trace events.
    event(&mut r, s(1), "agent", "agent.connected", &[("agent", "a1")]);
    r.faults
        .push(fault(s(5), "partition", &[], &["agents", "hub"]));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn faults_that_cannot_cut_or_came_before_the_connection_explain_nothing() {
    let mut r = run();
    r.conns.push(ended(1, "a1", &[server_frame(TEXT, b"hi")]));
    r.faults.push(fault(s(5), "latency", &[1], &[]));
    r.faults.push(fault(ms(500), "chaos.reset", &[1], &[]));
    r.faults.push(fault(s(5), "chaos.reset", &[2], &[]));
    assert_eq!(check(&r).len(), 1);
}

#[test]
fn an_agent_initiated_close_explains_the_ending() {
    let mut r = run();
    let mut c = ended(1, "a1", &[server_frame(TEXT, b"hi")]);
    c.agent_initiated_close = true;
    r.conns.push(c);
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_reported_write_abort_explains_its_own_cut_frame_only() {
    let frame = server_frame(BINARY, &[0; 40]);
    let build = |opcode: &str| {
        let mut r = run();
        let mut c = conn(1, "a1");
        write(&mut c.s2c, &frame[..20], "hub conn#1 writer", s(2));
        c.s2c.reader_end = ReaderEnd::Eof;
        r.conns.push(c);
        hub(
            &mut r,
            s(12),
            "write.aborted",
            &[
                ("conn", "1"),
                ("opcode", opcode),
                ("len", "40"),
                ("wire", "42"),
                ("written", "20"),
            ],
        );
        r
    };
    assert_eq!(check(&build("2")), Vec::<String>::new());
    // The abort names a Text frame, but the stream was cut inside a Binary one:
    // another writer's frame was torn.
    let found = WireClose.check(&build("1"));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].details.contains("not the frame that was cut"),
        "{}",
        found[0].details
    );
}

#[test]
fn an_open_stream_at_the_end_is_fine_unless_idle_inside_a_frame() {
    let mut r = run();
    let mut c = conn(1, "a1");
    write(
        &mut c.s2c,
        &server_frame(TEXT, b"hi"),
        "hub conn#1 writer",
        s(2),
    );
    r.conns.push(c.clone());
    assert_eq!(check(&r), Vec::<String>::new());
    write(
        &mut r.conns[0].s2c,
        &server_frame(TEXT, b"cut")[..3],
        "hub conn#1 writer",
        s(3),
    );
    let found = check(&r);
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("idle inside a frame"), "{}", found[0]);
    r.end.quiescent = false;
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn the_recorded_host_of_a_connection_decides_which_partition_explains_it() {
    let mut r = run();
    let mut c = ended(1, "a1", &[server_frame(TEXT, b"hi")]);
    c.host = "edge".into();
    r.conns.push(c);
    // A trace event placing a1 elsewhere does not override the record.
    event(&mut r, s(1), "agent", "agent.connected", &[("agent", "a1")]);
    r.faults
        .push(fault(s(5), "partition", &[], &["agents", "hub"]));
    assert_eq!(check(&r).len(), 1);
    r.faults
        .push(fault(s(6), "partition", &[], &["edge", "hub"]));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn a_crash_of_the_server_explains_every_ending_but_another_link_explains_none() {
    let mut r = run();
    r.conns.push(ended(1, "a1", &[server_frame(TEXT, b"hi")]));
    r.faults.push(fault(s(5), "partition", &[], &["hub", "a2"]));
    assert_eq!(check(&r).len(), 1);
    r.faults.push(fault(s(6), "crash", &[], &["hub"]));
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn an_agent_that_stopped_reading_is_not_judged_on_what_it_left_unread() {
    // Short writes: the agent read half a Pong, stopped reading; the rest of the
    // Pong and the Close that followed sit unread.
    let mut r = run();
    let mut c = conn(1, "a1");
    let pong = server_frame(wsrace_frame::opcode::PONG, b"12");
    write(&mut c.s2c, &pong[..2], "hub conn#1 writer", s(2));
    let mut rest = pong[2..].to_vec();
    rest.extend_from_slice(&close_frame(1000, "replaced"));
    stop_reading(&mut c, s(3), &rest, "hub conn#1 writer");
    r.conns.push(c);
    assert_eq!(check(&r), Vec::<String>::new());
}

#[test]
fn an_agent_that_stopped_reading_but_read_every_byte_still_sees_a_cut_frame() {
    // Not reading hides nothing here: the server wrote half a frame and went idle.
    let mut r = run();
    let mut c = conn(1, "a1");
    let pong = server_frame(wsrace_frame::opcode::PONG, b"12");
    write(&mut c.s2c, &pong[..2], "hub conn#1 writer", s(2));
    stop_reading(&mut c, s(3), b"", "hub conn#1 writer");
    r.conns.push(c.clone());
    let found = check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("idle inside a frame"), "{}", found[0]);
    // Nor does a stop after the stream ended.
    let mut c2 = ended(1, "a1", &[server_frame(TEXT, b"hi")]);
    stop_reading(&mut c2, s(50), b"", "hub conn#1 writer");
    r.conns = vec![c2];
    assert_eq!(check(&r).len(), 1);
}

#[test]
fn a_write_abort_of_another_server_incarnation_explains_nothing() {
    let frame = server_frame(BINARY, &[0; 40]);
    let mut r = run();
    hub(
        &mut r,
        s(2),
        "write.aborted",
        &[("conn", "1"), ("opcode", "2"), ("len", "40")],
    );
    bounce_hub(&mut r, s(3));
    let mut c = conn(2, "a1");
    c.server_conn = Some(1);
    c.server_incarnation = 1;
    write(&mut c.s2c, &frame[..20], "hub conn#1 writer", s(4));
    c.s2c.reader_end = ReaderEnd::Eof;
    c.opened_at = s(4);
    r.conns.push(c);
    let found = check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    // The same abort by the new incarnation explains it.
    hub(
        &mut r,
        s(12),
        "write.aborted",
        &[("conn", "1"), ("opcode", "2"), ("len", "40")],
    );
    assert_eq!(check(&r), Vec::<String>::new());
}
