//! `wire.close`: how each server-to-agent stream ends, judged from the agent's
//! side, so it needs nothing from the server (bring-your-own servers too).
//!
//! - Still open at the end: fine, unless the run went quiescent with the stream
//!   stopped inside a frame (nobody is going to finish it), and the agent read
//!   every byte the server wrote. An agent that stopped reading and left bytes
//!   unread cannot see the rest of the frame, nor a Close after it.
//! - The agent stopped reading on purpose (`Stopped`): nothing to judge.
//! - Ended (EOF or a transport error) after a Close frame at a frame boundary:
//!   fine. Bytes after the Close frame are a grammar violation (`wire.grammar`).
//! - Ended any other way (no Close frame, or inside a frame) must be explained by
//!   one of: the agent began the close; a fault naming this connection or its
//!   hosts between its open and the end of the run; the server's `write.aborted`
//!   for this connection, matching the cut frame's opcode and length.
//!
//! Streams with a grammar violation are left to `wire.grammar`: their ending
//! cannot be read once frame sync is lost.

use wsrace_frame::FrameHeader;

use crate::record::{ConnRecord, ReaderEnd, RunRecord, TraceEvent, Way};

use super::facts::{agent_blind, explaining_fault, hub_conn_events, row, secs};
use super::scan::{scan, writer_at, writers_in, Scan, ScanEnd};
use super::{id, Finding, Oracle, Side, WireSpot};

/// See the module doc.
pub struct WireClose;

impl Oracle for WireClose {
    fn id(&self) -> &'static str {
        id::WIRE_CLOSE
    }

    fn check(&self, run: &RunRecord) -> Vec<Finding> {
        run.conns
            .iter()
            .filter(|c| c.upgraded)
            .filter_map(|c| check_conn(run, c))
            .collect()
    }
}

fn check_conn(run: &RunRecord, conn: &ConnRecord) -> Option<Finding> {
    let s = scan(&conn.s2c, Way::S2c);
    // `cut`: the stream stops inside a frame; its header when decodable.
    let (cut, header) = match &s.end {
        ScanEnd::Bad(_) | ScanEnd::Clean { close: Some(_) } => return None,
        ScanEnd::Clean { close: None } => (false, None),
        ScanEnd::Cut(v) => (true, v.header),
    };
    let how = match &conn.s2c.reader_end {
        ReaderEnd::Stopped => return None,
        ReaderEnd::StillOpen if !(cut && run.end.quiescent) || agent_blind(conn) => return None,
        ReaderEnd::StillOpen => "is idle inside a frame at the end of a quiescent run".to_owned(),
        ReaderEnd::Eof => "ended (EOF)".to_owned(),
        ReaderEnd::Error(e) => format!("ended (transport error: {e})"),
    };
    if conn.agent_initiated_close || explaining_fault(run, conn, run.end.at).is_some() {
        return None;
    }
    let aborted = write_aborted(run, conn);
    if let Some(ev) = aborted {
        // Not cut: aborted before any byte of the frame went out, so the stream
        // ends at a boundary with nothing after the abandoned frame.
        if !cut || matches_abort(ev, header.as_ref()) {
            return None;
        }
    }
    Some(finding(conn, &s, how, cut.then_some(header), aborted))
}

/// The server's `write.aborted` for this connection, if it reported one.
fn write_aborted<'a>(run: &'a RunRecord, conn: &ConnRecord) -> Option<&'a TraceEvent> {
    let key = (conn.server_incarnation, conn.server_conn?);
    hub_conn_events(run)
        .find(|(k, e)| e.name == "write.aborted" && *k == key)
        .map(|(_, e)| e)
}

/// Whether the abandoned write is the frame the stream was cut in. A mismatch
/// means another writer's frame was cut: the abort does not explain it.
fn matches_abort(ev: &TraceEvent, cut: Option<&FrameHeader>) -> bool {
    let Some(h) = cut else { return true };
    // A header cut short reads its missing length as 0; only the opcode is known.
    let len_ok = h.payload_len == 0 || ev.num("len").is_none_or(|l| l == h.payload_len);
    let op_ok = ev.num("opcode").is_none_or(|op| op == u64::from(h.opcode));
    len_ok && op_ok
}

fn finding(
    conn: &ConnRecord,
    s: &Scan<'_>,
    how: String,
    cut: Option<Option<FrameHeader>>,
    aborted: Option<&TraceEvent>,
) -> Finding {
    let end = s.bytes.len() as u64;
    let what = match cut {
        Some(None) => "inside a frame header".to_owned(),
        Some(Some(h)) => format!(
            "inside frame #{} ({}), {} of {} bytes received",
            h.index,
            h.words(),
            end - h.offset,
            u64::from(h.header_len) + h.payload_len
        ),
        None => "at a frame boundary without a Close frame".to_owned(),
    };
    let summary = format!("s2c {how} {what}; no fault, agent close or write.aborted explains it");
    let mut d = String::new();
    let last = match cut {
        Some(h) => h,
        None => s.frames.last().copied(),
    };
    if let Some(h) = last {
        let ws = writers_in(&conn.s2c, s.base, h.offset..end);
        d.push_str(&row(
            "last frame",
            &format!("{} written by {}", h.describe(), ws.join(", then ")),
        ));
    }
    if let Some(ev) = aborted {
        let text = format!(
            "write.aborted at {} names opcode {} len {}: not the frame that was cut",
            secs(ev.at),
            ev.field("opcode").unwrap_or("?"),
            ev.field("len").unwrap_or("?")
        );
        d.push_str(&row("aborted", &text));
    }
    d.push_str(&row("reader end", &format!("{:?}", conn.s2c.reader_end)));
    // When the reader ended is not recorded, so the finding carries no time.
    let mut f = Finding::new(id::WIRE_CLOSE, Some(conn.id), None, summary);
    f.details = d;
    f.side = Some(Side::Server);
    // The last byte of the stream is who left it this way.
    f.writer = end
        .checked_sub(1)
        .and_then(|o| writer_at(&conn.s2c, s.base, o))
        .map(str::to_owned);
    f.wire = Some(WireSpot {
        way: Way::S2c,
        offset: end,
        violation: match &s.end {
            ScanEnd::Cut(v) => Some(wsrace_frame::Violation::clone(v)),
            _ => None,
        },
    });
    f
}
