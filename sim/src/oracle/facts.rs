//! Small questions several oracles ask of a record: hub events, which harness
//! connection a server number is, which host an agent lives on, whether a fault
//! can explain an abnormal end.
//!
//! Server incarnations: a crash or bounce of the server's host ends its server;
//! after a bounce a new one numbers its connections from 1 again. So a server
//! connection is a [`HubConn`], `(incarnation, conn)`: incarnation 0 until the
//! trace's first `fault` event of kind `crash` or `bounce` on the server's host,
//! one more after each (the harness numbers
//! [`ConnRecord::server_incarnation`] the same way).

use std::time::Duration;

use crate::record::{ConnRecord, Fault, ReaderEnd, RunRecord, TraceEvent, Way};

use super::scan::scan;

/// The turmoil host the server under test runs on (DESIGN.md, "World").
pub const SERVER_HOST: &str = "hub";

/// Fault kinds that cannot cut a stream by themselves. A stall only delays bytes
/// (the hub's write deadline then reports `write.aborted`, which is its own
/// explanation); the others undo or slow, never drop. Every other kind, including
/// kinds added later, is taken to explain an abnormal end: an oracle that cries
/// wolf on a new fault kind is worse than one that is briefly too lenient.
const NON_CUTTING: &[&str] = &["repair", "release", "latency", "chaos.stall"];

/// `12.345678s`: fixed width after the point so reports line up and never vary.
pub fn secs(d: Duration) -> String {
    format!("{}.{:06}s", d.as_secs(), d.subsec_micros())
}

/// A server connection: `(incarnation, the server's conn number)` (see the module doc).
pub type HubConn = (u64, u64);

/// The server's own events (`source == "hub"`), in emission order.
pub fn hub_events(run: &RunRecord) -> impl Iterator<Item = &TraceEvent> {
    run.trace.iter().filter(|e| e.source == "hub")
}

/// Whether `e` is the harness's `fault` event for a crash or bounce of the
/// server's host: the end of a server incarnation.
pub fn ends_incarnation(e: &TraceEvent) -> bool {
    e.source == "fault"
        && e.name == "fault"
        && matches!(e.field("kind"), Some("crash" | "bounce"))
        && e.field("hosts")
            .is_some_and(|h| h.split(',').any(|h| h == SERVER_HOST))
}

/// The server's own events, each with its incarnation, in emission order.
pub fn hub_events_inc(run: &RunRecord) -> impl Iterator<Item = (u64, &TraceEvent)> {
    let mut inc = 0;
    run.trace.iter().filter_map(move |e| {
        if ends_incarnation(e) {
            inc += 1;
            None
        } else {
            (e.source == "hub").then_some((inc, e))
        }
    })
}

/// The server's events about connection `conn` (their `conn` field), keyed.
pub fn hub_conn_events(run: &RunRecord) -> impl Iterator<Item = (HubConn, &TraceEvent)> {
    hub_events_inc(run).filter_map(|(inc, e)| Some(((inc, e.num("conn")?), e)))
}

/// The incarnation the server is in at the end of the trace, and whether its
/// host was crashed (not bounced) last: then no server is left at all.
pub fn last_incarnation(run: &RunRecord) -> (u64, bool) {
    run.trace
        .iter()
        .filter(|e| ends_incarnation(e))
        .fold((0, false), |(n, _), e| {
            (n + 1, e.field("kind") == Some("crash"))
        })
}

/// One `label text` line of a finding's details, aligned like the frame
/// checker's own report so the two read as one block.
pub fn row(label: &str, text: &str) -> String {
    format!("  {label:<10} {text}\n")
}

/// Whether the server reports hub events at all (bring-your-own servers do not).
pub fn has_hub_events(run: &RunRecord) -> bool {
    hub_events(run).next().is_some()
}

/// The harness connection the server numbers `conn`.
pub fn conn_by_server(run: &RunRecord, (inc, conn): HubConn) -> Option<&ConnRecord> {
    run.conns
        .iter()
        .find(|c| c.server_conn == Some(conn) && c.server_incarnation == inc)
}

/// The harness id for a server connection, if the harness matched them.
pub fn harness_id(run: &RunRecord, conn: HubConn) -> Option<u64> {
    conn_by_server(run, conn).map(|c| c.id)
}

/// `server conn 3 (#2)` or `server conn 3` when the harness has no match;
/// after a restart of the server, `server conn 3 of incarnation 1 (#5)`.
pub fn name_server_conn(run: &RunRecord, conn: HubConn) -> String {
    let (inc, n) = conn;
    let of = if inc == 0 {
        String::new()
    } else {
        format!(" of incarnation {inc}")
    };
    match harness_id(run, conn) {
        Some(id) => format!("server conn {n}{of} (#{id})"),
        None => format!("server conn {n}{of}"),
    }
}

/// The host a connection's agent runs on: [`ConnRecord::host`]. A record built
/// by hand may leave it empty; then the agent's own trace events say (their
/// `host`), and failing those the agent's name, which is its host when an agent
/// has a host of its own.
pub fn host_of<'a>(run: &'a RunRecord, conn: &'a ConnRecord) -> &'a str {
    if !conn.host.is_empty() {
        return &conn.host;
    }
    let agent = conn.agent.as_str();
    run.trace
        .iter()
        .find(|e| e.source == "agent" && e.field("agent") == Some(agent))
        .map_or(agent, |e| e.host.as_str())
}

/// The first fault between the connection's open and `until` that can explain an
/// abnormal end of it: one naming it (chaos faults name their connection), or
/// one naming no connection whose hosts include its agent's host (a partition
/// or hold of that link, a crash of that host) or are the server's host alone (a
/// crash or bounce of the server ends every connection). A partition between the
/// server and *another* agent host explains nothing here.
pub fn explaining_fault<'a>(
    run: &'a RunRecord,
    conn: &ConnRecord,
    until: Duration,
) -> Option<&'a Fault> {
    let host = host_of(run, conn);
    run.faults.iter().find(|f| {
        let touches = if f.conns.is_empty() {
            f.hosts.iter().any(|h| h == host) || f.hosts == [SERVER_HOST]
        } else {
            f.conns.contains(&conn.id)
        };
        touches
            && !NON_CUTTING.contains(&f.kind.as_str())
            && (conn.opened_at..=until).contains(&f.at)
    })
}

/// Open at the end as the agent sees it: upgraded, still reading, no Close frame
/// received and no close begun by the agent.
pub fn agent_sees_open(conn: &ConnRecord) -> bool {
    conn.upgraded
        && conn.s2c.reader_end == ReaderEnd::StillOpen
        && !conn.agent_initiated_close
        && scan(&conn.s2c, Way::S2c).close().is_none()
}

/// The agent stopped reading the server's bytes while the stream was open and
/// never read again: it cannot see how the stream ended (a Close frame, an end
/// of stream), so "open as the agent sees it" means nothing.
pub fn agent_stopped_reading(conn: &ConnRecord) -> bool {
    conn.s2c.stopped_reading_at.is_some() && conn.s2c.reader_end == ReaderEnd::StillOpen
}

/// [`agent_stopped_reading`], leaving bytes unread: what the server wrote after
/// those it read (the rest of a frame, a push, a Close) is hidden from it.
///
/// An agent that read every byte the server wrote is not blind to the bytes: a
/// frame left half written or a push never written are then the server's doing
/// (or its decision to end the connection), reading or not.
pub fn agent_blind(conn: &ConnRecord) -> bool {
    agent_stopped_reading(conn) && conn.s2c.received.len() < conn.s2c.written.len()
}
