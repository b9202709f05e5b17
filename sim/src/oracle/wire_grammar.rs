//! `wire.grammar`: both directions of every upgraded connection parse as RFC 6455
//! frames for that direction (s2c unmasked, c2s masked, no extensions).
//!
//! Judged on what each reader *received* (s2c: what the agent saw; c2s: what the
//! server saw), from the first WebSocket byte (see [`super::scan`] for the HTTP
//! head). A stream cut short inside a frame is not a grammar failure: whether a
//! fault or a reported `write.aborted` explains it is `wire.close`'s question.
//! Connections that were never upgraded carry HTTP only and are skipped.
//!
//! The finding names the side that wrote the first bad byte (s2c -> server, c2s ->
//! agent), the writer label of the [`WriteSpan`](crate::record::WriteSpan) that
//! holds it, and the writers of the frame before it: a torn frame is usually two
//! writers interleaved, and the frame the reader last accepted is where they met.
//!
//! One exemption: an agent script may write raw bytes on purpose (garbage, half
//! frames) to test the server. Once a c2s write labelled `... raw` has reached
//! the bad byte, the c2s grammar is the script's business, not a finding.

use wsrace_frame::Violation;

use crate::record::{ConnRecord, RunRecord, Way};

use super::facts::{row, secs};
use super::scan::{scan, writer_at, writers_in, ScanEnd};
use super::{id, Finding, Oracle, Side, WireSpot};

/// See the module doc.
pub struct WireGrammar;

impl Oracle for WireGrammar {
    fn id(&self) -> &'static str {
        id::WIRE_GRAMMAR
    }

    fn check(&self, run: &RunRecord) -> Vec<Finding> {
        let mut out = Vec::new();
        for conn in run.conns.iter().filter(|c| c.upgraded) {
            for way in [Way::S2c, Way::C2s] {
                out.extend(check_way(conn, way));
            }
        }
        out
    }
}

fn check_way(conn: &ConnRecord, way: Way) -> Option<Finding> {
    let tap = match way {
        Way::S2c => &conn.s2c,
        Way::C2s => &conn.c2s,
    };
    let s = scan(tap, way);
    let ScanEnd::Bad(v) = &s.end else {
        return None;
    };
    if way == Way::C2s && scripted_raw_before(tap, s.base + v.byte_offset) {
        return None;
    }
    let side = Side::of(way);
    let writer = writer_at(tap, s.base, v.byte_offset).map(str::to_owned);
    let span_at = tap
        .writes
        .iter()
        .find(|w| (w.start..w.end).contains(&(s.base + v.byte_offset)))
        .map(|w| w.at);
    // The frame the reader last accepted, up to the bad byte: where writers met.
    let prev_writers = match &v.last_good {
        Some(h) => writers_in(tap, s.base, h.offset..v.byte_offset.max(h.end())),
        None => Vec::new(),
    };
    let by = writer.as_deref().unwrap_or("an unlabelled write");
    let summary = format!(
        "{} {} at offset {} (frame #{}): {}; written by the {side} ({by})",
        v.direction,
        v.rule.id(),
        v.byte_offset,
        v.frame_index,
        v.gorilla()
    );
    let mut f = Finding::new(id::WIRE_GRAMMAR, Some(conn.id), span_at, summary);
    f.details = details(v, &prev_writers, span_at);
    f.side = Some(side);
    f.writer = writer;
    f.prev_writers = prev_writers;
    f.wire = Some(WireSpot {
        way,
        offset: v.byte_offset,
        violation: Some(Violation::clone(v)),
    });
    Some(f)
}

/// Whether the agent's script wrote raw bytes at or before stream offset `at`.
fn scripted_raw_before(tap: &crate::record::Tap, at: u64) -> bool {
    tap.writes
        .iter()
        .any(|w| w.start <= at && w.writer.ends_with(" raw"))
}

fn details(v: &Violation, prev_writers: &[String], at: Option<std::time::Duration>) -> String {
    let mut d = v.render(None);
    if let (Some(h), true) = (&v.last_good, prev_writers.len() > 1) {
        let text = format!(
            "frame #{} (offsets {}..{}) holds bytes of {}: two writers shared the stream mid-frame",
            h.index,
            h.offset,
            h.end(),
            prev_writers.join(", then ")
        );
        d.push_str(&row("interleave", &text));
    }
    if let Some(at) = at {
        d.push_str(&row("written at", &secs(at)));
    }
    d
}
