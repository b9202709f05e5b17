use wsrace_frame::opcode::{BINARY, PING, TEXT};
use wsrace_frame::Rule;

use super::support::*;
use crate::oracle::wire_grammar::WireGrammar;
use crate::oracle::{Oracle, Side};
use crate::record::{ReaderEnd, Way};

#[test]
fn clean_streams_in_both_directions_pass() {
    let mut r = run();
    let mut c = conn(1, "a1");
    write(
        &mut c.s2c,
        b"HTTP/1.1 101 OK\r\n\r\n",
        "hub conn#1 handshake",
        s(1),
    );
    write(
        &mut c.s2c,
        &server_frame(TEXT, b"hi"),
        "hub conn#1 writer",
        s(2),
    );
    write(
        &mut c.s2c,
        &close_frame(1000, "bye"),
        "hub conn#1 writer",
        s(3),
    );
    write(&mut c.c2s, b"GET / HTTP/1.1\r\n\r\n", "agent a1", s(1));
    write(&mut c.c2s, &agent_frame(PING, b"x"), "agent a1", s(2));
    r.conns.push(c);
    assert_eq!(WireGrammar.check(&r), vec![]);
}

#[test]
fn a_torn_heartbeat_is_blamed_on_the_server_and_both_writers_are_named() {
    let r = torn_heartbeat_run();
    let found = WireGrammar.check(&r);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert_eq!(
        (f.oracle, f.conn, f.side),
        ("wire.grammar", Some(1), Some(Side::Server))
    );
    assert_eq!(f.writer.as_deref(), Some("zoo conn#1 writer"));
    assert_eq!(
        f.prev_writers,
        ["zoo conn#1 heartbeat", "zoo conn#1 writer"]
    );
    assert_eq!(f.at, Some(ms(3000)));
    let spot = f.wire.as_ref().unwrap();
    assert_eq!((spot.way, spot.offset), (Way::S2c, 29));
    let v = spot.violation.as_ref().unwrap();
    assert_eq!(v.gorilla(), "RSV1 set, bad opcode 7, bad MASK");
    assert_eq!(v.frame_index, 2);
    assert!(
        f.summary
            .contains("written by the server (zoo conn#1 writer)"),
        "{}",
        f.summary
    );
    assert!(f.details.contains("interleave"), "{}", f.details);
}

#[test]
fn a_cut_short_final_frame_is_left_to_wire_close() {
    let mut r = run();
    let mut c = conn(1, "a1");
    let frame = server_frame(BINARY, &[1; 30]);
    write(&mut c.s2c, &frame[..12], "hub conn#1 writer", s(2));
    c.s2c.reader_end = ReaderEnd::Eof;
    r.conns.push(c);
    assert_eq!(WireGrammar.check(&r), vec![]);
}

#[test]
fn an_unmasked_agent_frame_is_blamed_on_the_agent() {
    let mut r = run();
    let mut c = conn(1, "a1");
    write(&mut c.c2s, &agent_frame(PING, b"ok"), "agent a1", s(2));
    write(
        &mut c.c2s,
        &server_frame(TEXT, b"no mask"),
        "agent a1 garbage",
        s(3),
    );
    r.conns.push(c);
    let found = WireGrammar.check(&r);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].side, Some(Side::Agent));
    assert_eq!(found[0].writer.as_deref(), Some("agent a1 garbage"));
    let v = found[0].wire.as_ref().unwrap().violation.as_ref().unwrap();
    assert_eq!(v.rule, Rule::MaskDirection);
}

#[test]
fn connections_that_were_never_upgraded_are_skipped() {
    let mut r = run();
    let mut c = conn(1, "a1");
    c.upgraded = false;
    write(
        &mut c.s2c,
        b"HTTP/1.1 401 Unauthorized\r\n\r\nno",
        "hub conn#1 handshake",
        s(1),
    );
    r.conns.push(c);
    assert_eq!(WireGrammar.check(&r), vec![]);
}

#[test]
fn garbage_the_agent_script_wrote_on_purpose_is_not_a_finding() {
    let build = |label: &str| {
        let mut r = run();
        let mut c = conn(1, "a1");
        write(&mut c.c2s, &agent_frame(PING, b"ok"), "agent a1", s(2));
        write(&mut c.c2s, &[0x81, 0x85, 1], label, s(3));
        write(&mut c.c2s, &agent_frame(PING, b"after"), "agent a1", s(4));
        r.conns.push(c);
        r
    };
    assert_eq!(WireGrammar.check(&build("agent a1 raw")), vec![]);
    assert_eq!(WireGrammar.check(&build("agent a1")).len(), 1);
}
