//! Small builders for hand-made records.

use std::collections::BTreeMap;
use std::time::Duration;

use wsrace_frame::encode;

use crate::record::{
    Bounds, ConnRecord, Fault, Push, ReaderEnd, RunEnd, RunRecord, Tap, TraceEvent, WriteSpan,
};

pub const MASK: [u8; 4] = [0x11, 0x22, 0x33, 0x44];

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn s(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// An empty, quiescent run: heartbeat timeout 30 s, write deadline 10 s, close
/// deadline 5 s, slack 1 s, ended at 100 s.
pub fn run() -> RunRecord {
    RunRecord {
        scenario: "incident/torn-heartbeat".into(),
        server: "zoo:go-original".into(),
        seed: 7,
        trace: Vec::new(),
        conns: Vec::new(),
        faults: Vec::new(),
        pushes: Vec::new(),
        received_pushes: BTreeMap::new(),
        registry_at_end: None,
        extra_tasks_at_end: None,
        bounds: Bounds {
            heartbeat_timeout: s(30),
            write_deadline: s(10),
            close_deadline: s(5),
            slack: s(1),
        },
        end: RunEnd {
            at: s(100),
            quiescent: true,
            pending: Vec::new(),
        },
    }
}

/// An upgraded connection, server conn = harness id, opened at 1 s, still open.
pub fn conn(id: u64, agent: &str) -> ConnRecord {
    ConnRecord {
        id,
        agent: agent.into(),
        // Unknown, as in a hand-made record: oracles fall back to the trace.
        host: String::new(),
        server_conn: Some(id),
        server_incarnation: 0,
        opened_at: s(1),
        s2c: Tap::default(),
        c2s: Tap::default(),
        agent_initiated_close: false,
        upgraded: true,
    }
}

/// Appends `bytes` as one write by `writer`, received whole.
pub fn write(tap: &mut Tap, bytes: &[u8], writer: &str, at: Duration) {
    let start = tap.written.len() as u64;
    tap.written.extend_from_slice(bytes);
    tap.received.extend_from_slice(bytes);
    tap.writes.push(WriteSpan {
        start,
        end: tap.written.len() as u64,
        at,
        writer: writer.into(),
    });
}

/// A server frame (unmasked).
pub fn server_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode::frame(&mut out, true, opcode, None, payload);
    out
}

/// An agent frame (masked).
pub fn agent_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode::frame(&mut out, true, opcode, Some(MASK), payload);
    out
}

pub fn close_frame(code: u16, reason: &str) -> Vec<u8> {
    server_frame(
        wsrace_frame::opcode::CLOSE,
        &encode::close_payload(code, reason),
    )
}

/// Appends an event to the trace with the next `seq`.
pub fn event(run: &mut RunRecord, at: Duration, source: &str, name: &str, fields: &[(&str, &str)]) {
    let host = if source == "hub" { "hub" } else { "agents" };
    run.trace.push(TraceEvent {
        seq: run.trace.len() as u64,
        at,
        host: host.into(),
        source: source.into(),
        name: name.into(),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    });
}

/// A hub event.
pub fn hub(run: &mut RunRecord, at: Duration, name: &str, fields: &[(&str, &str)]) {
    event(run, at, "hub", name, fields);
}

pub fn fault(at: Duration, kind: &str, conns: &[u64], hosts: &[&str]) -> Fault {
    Fault {
        at,
        kind: kind.into(),
        conns: conns.to_vec(),
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
    }
}

pub fn push(at: Duration, agent: &str, payload: &str, accepted: bool) -> Push {
    Push {
        at,
        agent: agent.into(),
        seq: 0,
        payload: payload.into(),
        accepted,
    }
}

/// A connection that ended with EOF after `frames` from the server.
pub fn ended(id: u64, agent: &str, frames: &[Vec<u8>]) -> ConnRecord {
    let mut c = conn(id, agent);
    for (i, f) in frames.iter().enumerate() {
        write(
            &mut c.s2c,
            f,
            &format!("hub conn#{id} writer"),
            s(2 + i as u64),
        );
    }
    c.s2c.reader_end = ReaderEnd::Eof;
    c
}

/// The oracle ids of `findings`, in order.
pub fn ids(findings: &[crate::oracle::Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.oracle).collect()
}

/// The incident: after a clean frame, the heartbeat task writes a Pong's header
/// and 8 of its 20 payload bytes, the writer task's whole Text frame lands in the
/// middle, then the rest of the Pong. The agent reads 12 bytes of the Text frame
/// as the Pong's payload and then `G\xc3` as a header: RSV1 set, bad opcode 7,
/// bad MASK, at WebSocket offset 29 (frame #2), written by the writer task.
pub fn torn_heartbeat_run() -> RunRecord {
    use wsrace_frame::opcode::{PING, PONG, TEXT};
    let mut r = run();
    let mut c = conn(1, "a1");
    let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    write(&mut c.s2c, head, "zoo conn#1 handshake", ms(1000));
    write(
        &mut c.s2c,
        &server_frame(TEXT, b"hello"),
        "zoo conn#1 writer",
        ms(2000),
    );
    let pong = server_frame(PONG, &[0x70; 20]);
    write(&mut c.s2c, &pong[..10], "zoo conn#1 heartbeat", ms(3000));
    let mut text = b"aaaaaaaaaaG\xc3\xa9".to_vec();
    text.resize(40, b'b');
    write(
        &mut c.s2c,
        &server_frame(TEXT, &text),
        "zoo conn#1 writer",
        ms(3000),
    );
    write(&mut c.s2c, &pong[10..], "zoo conn#1 heartbeat", ms(3001));
    c.s2c.reader_end = ReaderEnd::Error("connection reset".into());
    write(
        &mut c.c2s,
        b"GET /agent HTTP/1.1\r\nHost: hub\r\n\r\n",
        "agent a1",
        ms(1000),
    );
    write(&mut c.c2s, &agent_frame(PING, b"hb"), "agent a1", ms(2500));
    r.conns.push(c);
    hub(
        &mut r,
        ms(1000),
        "conn.registered",
        &[("conn", "1"), ("agent", "a1")],
    );
    hub(
        &mut r,
        ms(2500),
        "heartbeat",
        &[("conn", "1"), ("agent", "a1"), ("kind", "ping")],
    );
    r
}

/// A bounce of the server's host at `at`, as the driver records it: a fault, and
/// its `fault` event in the trace (which begins the server's next incarnation).
pub fn bounce_hub(run: &mut RunRecord, at: Duration) {
    run.faults.push(fault(at, "bounce", &[], &["hub"]));
    event(
        run,
        at,
        "fault",
        "fault",
        &[("kind", "bounce"), ("hosts", "hub")],
    );
}

/// The agent of `c` stopped reading at `at`; the server then wrote `unread`,
/// which never reached the agent.
pub fn stop_reading(c: &mut ConnRecord, at: Duration, unread: &[u8], writer: &str) {
    c.s2c.stopped_reading_at = Some(at);
    let start = c.s2c.written.len() as u64;
    c.s2c.written.extend_from_slice(unread);
    if !unread.is_empty() {
        c.s2c.writes.push(WriteSpan {
            start,
            end: c.s2c.written.len() as u64,
            at,
            writer: writer.into(),
        });
    }
}
