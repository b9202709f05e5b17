//! Small questions several oracles ask of a record: hub events, which harness
//! connection a server number is, which host an agent lives on, whether a fault
//! can explain an abnormal end.

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

/// The server's own events (`source == "hub"`), in emission order.
pub fn hub_events(run: &RunRecord) -> impl Iterator<Item = &TraceEvent> {
    run.trace.iter().filter(|e| e.source == "hub")
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

/// The harness connection the server numbers `server_conn`.
pub fn conn_by_server(run: &RunRecord, server_conn: u64) -> Option<&ConnRecord> {
    run.conns
        .iter()
        .find(|c| c.server_conn == Some(server_conn))
}

/// The harness id for a server connection number, if the harness matched them.
pub fn harness_id(run: &RunRecord, server_conn: u64) -> Option<u64> {
    conn_by_server(run, server_conn).map(|c| c.id)
}

/// `server conn 3 (#2)` or `server conn 3` when the harness has no match.
pub fn name_server_conn(run: &RunRecord, server_conn: u64) -> String {
    match harness_id(run, server_conn) {
        Some(id) => format!("server conn {server_conn} (#{id})"),
        None => format!("server conn {server_conn}"),
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
