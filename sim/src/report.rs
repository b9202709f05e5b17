//! The failure report: what a person reads when a seed fails, and the one command
//! that replays it. A pure function of the record and the finding, so a replay
//! reproduces it byte for byte.
//!
//! ```text
//! FAIL wire.grammar: s2c rsv-bits at offset 23 (frame #2): ...
//!   scenario    incident/torn-heartbeat
//!   seed        7
//!   server      zoo:go-original
//!   connection  #1 (agent a1, server conn 1)
//!   side        server wrote the first bad byte (s2c offset 23)
//!   writer      zoo conn#1 writer
//!   before it   zoo conn#1 heartbeat, then zoo conn#1 writer
//!
//! <the oracle's details: for the wire, the checker's explanation>
//!
//! hexdump (s2c, as the agent received it ...):
//! <frame boundaries, every write's start and writer, the first bad byte>
//!
//! trace (the last 10 events of conn #1 up to 1.500000s):
//! ...
//!
//! replay:
//!   wsrace replay --scenario incident/torn-heartbeat --server zoo:go-original --seed 7
//! ```

use crate::oracle::{scan, secs, Finding, Scan, WireSpot};
use crate::record::{ConnRecord, RunRecord, Tap, TraceEvent, Way};
use crate::trace;
use wsrace_frame::hexdump::{self, Mark};
use wsrace_frame::Rule;

/// Bytes shown before and after the first bad byte.
const BEFORE: u64 = 48;
const AFTER: u64 = 32;
/// Reach back to the start of the frame before it when it is this close: a torn
/// frame is explained by the frame it tore.
const REACH: u64 = 128;

/// What the report needs beyond the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportOptions {
    /// The one command that replays the run (the CLI formats it; see
    /// [`replay_command`] for the default).
    pub replay: String,
    /// Where the shrunk scenario was saved, if it was.
    pub saved_to: Option<String>,
    /// How many trace events to show before the failure.
    pub trace_lines: usize,
}

impl ReportOptions {
    /// The defaults for `run`: its replay command, nothing saved, 10 trace lines.
    pub fn for_run(run: &RunRecord) -> Self {
        ReportOptions {
            replay: replay_command(run),
            saved_to: None,
            trace_lines: 10,
        }
    }
}

/// `wsrace replay --scenario <scenario> --server <server> --seed <seed>`, each
/// argument shell-quoted when it needs to be.
pub fn replay_command(run: &RunRecord) -> String {
    format!(
        "wsrace replay --scenario {} --server {} --seed {}",
        shell_quote(&run.scenario),
        shell_quote(&run.server),
        run.seed
    )
}

/// The whole report for `finding` of `run`.
pub fn render(run: &RunRecord, finding: &Finding, opts: &ReportOptions) -> String {
    let conn = finding
        .conn
        .and_then(|id| run.conns.iter().find(|c| c.id == id));
    let mut out = format!("FAIL {}: {}\n", finding.oracle, finding.summary);
    let mut line = |label: &str, text: &str| out.push_str(&format!("  {label:<11} {text}\n"));
    line("scenario", &run.scenario);
    line("seed", &run.seed.to_string());
    line("server", &run.server);
    if let Some(c) = conn {
        let server = c
            .server_conn
            .map_or("unknown".to_owned(), |n| n.to_string());
        line(
            "connection",
            &format!("#{} (agent {}, server conn {server})", c.id, c.agent),
        );
    }
    if let Some(at) = finding.at {
        line("at", &secs(at));
    }
    if let (Some(side), Some(w)) = (finding.side, &finding.wire) {
        let what = if is_bad_byte(w) {
            "wrote the first bad byte"
        } else {
            "wrote the stream"
        };
        line(
            "side",
            &format!("{side} {what} ({} offset {})", way_name(w.way), w.offset),
        );
    }
    if let Some(w) = &finding.writer {
        line("writer", w);
    }
    if !finding.prev_writers.is_empty() {
        line("before it", &finding.prev_writers.join(", then "));
    }
    if !finding.details.is_empty() {
        out.push('\n');
        out.push_str(finding.details.trim_end_matches('\n'));
        out.push('\n');
    }
    if let (Some(c), Some(w)) = (conn, &finding.wire) {
        out.push('\n');
        out.push_str(&dump(c, w));
    }
    out.push('\n');
    out.push_str(&trace_tail(run, conn, finding, opts.trace_lines));
    out.push_str(&format!("\nreplay:\n  {}\n", opts.replay));
    if let Some(path) = &opts.saved_to {
        out.push_str(&format!("saved:\n  {path}\n"));
    }
    out
}

fn is_bad_byte(w: &WireSpot) -> bool {
    w.violation
        .as_ref()
        .is_some_and(|v| v.rule != Rule::TruncatedFrame)
}

fn way_name(way: Way) -> &'static str {
    match way {
        Way::S2c => "s2c",
        Way::C2s => "c2s",
    }
}

/// The annotated hexdump around the spot: frame boundaries, every write's start
/// with its writer, and the bad byte (or the stream's end).
fn dump(conn: &ConnRecord, w: &WireSpot) -> String {
    let tap = match w.way {
        Way::S2c => &conn.s2c,
        Way::C2s => &conn.c2s,
    };
    let s = scan(tap, w.way);
    let reader = match w.way {
        Way::S2c => "the agent",
        Way::C2s => "the server",
    };
    let head = if s.base > 0 {
        format!(", after a {}-byte HTTP head", s.base)
    } else {
        String::new()
    };
    let mut out = format!(
        "hexdump ({}, as {reader} received it; offsets count from the first WebSocket byte{head}):\n",
        way_name(w.way)
    );
    let lo = window_start(&s, w.offset);
    let hi = (w.offset + AFTER)
        .min(s.bytes.len() as u64)
        .max(w.offset + 1);
    out.push_str(&hexdump::render(s.bytes, 0, lo..hi, &marks(tap, &s, w)));
    out
}

fn window_start(s: &Scan<'_>, offset: u64) -> u64 {
    let mut lo = offset.saturating_sub(BEFORE);
    if let Some(h) = s.frame_before(offset) {
        if h.offset < lo && offset - h.offset <= REACH {
            lo = h.offset;
        }
    }
    lo
}

fn marks(tap: &Tap, s: &Scan<'_>, w: &WireSpot) -> Vec<Mark> {
    let mut marks: Vec<Mark> = s
        .frames
        .iter()
        .map(|h| Mark::new(h.offset, format!("frame #{}: {}", h.index, h.words())))
        .collect();
    if let Some(v) = &w.violation {
        let text = match &v.header {
            Some(h) if v.rule == Rule::TruncatedFrame => {
                format!("frame #{} (cut short): {}", v.frame_index, h.words())
            }
            Some(h) => format!("frame #{}?: {}", v.frame_index, h.words()),
            None => format!("frame #{}?: header cut short", v.frame_index),
        };
        if v.rule != Rule::DataAfterClose {
            marks.push(Mark::new(v.frame_offset, text));
        }
    }
    for span in tap
        .writes
        .iter()
        .filter(|x| x.start >= s.base && x.end > x.start)
    {
        marks.push(Mark::new(
            span.start - s.base,
            format!("<- {}", span.writer),
        ));
    }
    let last = match &w.violation {
        Some(v) if v.rule != Rule::TruncatedFrame => format!("first bad byte ({})", v.rule.id()),
        _ => "stream ends here".to_owned(),
    };
    marks.push(Mark::new(w.offset, last));
    marks
}

/// The last `n` trace events about the finding's connection (all events when it
/// names none) at or before its time.
fn trace_tail(run: &RunRecord, conn: Option<&ConnRecord>, f: &Finding, n: usize) -> String {
    let about = |e: &TraceEvent| match conn {
        None => true,
        Some(c) if e.source == "hub" => c.server_conn.is_some() && e.num("conn") == c.server_conn,
        // Faults are rare and usually the cause: always shown.
        Some(_) if e.source == "fault" => true,
        Some(c) => e.num("conn") == Some(c.id) || e.field("agent") == Some(c.agent.as_str()),
    };
    let events: Vec<&TraceEvent> = run
        .trace
        .iter()
        .filter(|e| about(e) && f.at.is_none_or(|at| e.at <= at))
        .collect();
    let shown = &events[events.len().saturating_sub(n)..];
    let whose = conn.map_or("the run".to_owned(), |c| format!("conn #{}", c.id));
    let until =
        f.at.map_or(String::new(), |at| format!(" up to {}", secs(at)));
    let mut out = format!(
        "trace (the last {} events of {whose}{until}):\n",
        shown.len()
    );
    for e in shown {
        out.push_str(&format!("  {}\n", trace::line(e)));
    }
    out
}

/// Single-quotes `s` for a POSIX shell unless it is made only of safe characters.
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
