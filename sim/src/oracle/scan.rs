//! One direction of one connection, parsed as a frame stream.
//!
//! Assumption about the tap: `record.rs` does not say whether [`Tap`] bytes start
//! at the HTTP upgrade or after it. We accept both: a stream that starts with
//! `HTTP/` (s2c) or `GET ` (c2s) has its head skipped up to and including the
//! first `\r\n\r\n`, and `base` says how many bytes that was. All frame offsets
//! here (and in [`Violation`]s and [`WireSpot`](super::WireSpot)s) count from the
//! first WebSocket byte; add `base` to index [`Tap::written`] or a
//! [`WriteSpan`](crate::record::WriteSpan).

use std::ops::Range;

use wsrace_frame::{Checker, CloseFrame, Config, Direction, FrameHeader, Rule, Sink, Violation};

use crate::record::{Tap, Way};

/// A direction parsed from what its reader received.
#[derive(Clone, Debug)]
pub struct Scan<'a> {
    pub way: Way,
    /// Bytes of HTTP head skipped before the first WebSocket byte.
    pub base: u64,
    /// The WebSocket bytes the reader received.
    pub bytes: &'a [u8],
    /// Every complete, clean frame, in order.
    pub frames: Vec<FrameHeader>,
    pub end: ScanEnd,
}

/// How the received bytes end, judged as a frame stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanEnd {
    /// At a frame boundary, with or without a (last) Close frame.
    Clean { close: Option<CloseFrame> },
    /// Inside a frame whose bytes so far broke no rule: a cut-short stream. Whether
    /// that is acceptable is `wire.close`'s call, not the grammar's.
    Cut(Box<Violation>),
    /// A rule was broken.
    Bad(Box<Violation>),
}

impl Scan<'_> {
    /// The Close frame, if the stream ended cleanly with one.
    pub fn close(&self) -> Option<&CloseFrame> {
        match &self.end {
            ScanEnd::Clean { close } => close.as_ref(),
            _ => None,
        }
    }

    /// The last complete frame that starts before `offset`.
    pub fn frame_before(&self, offset: u64) -> Option<&FrameHeader> {
        let i = self.frames.partition_point(|h| h.offset < offset);
        i.checked_sub(1).map(|i| &self.frames[i])
    }
}

struct Frames(Vec<FrameHeader>);

impl Sink for Frames {
    fn frame_end(&mut self, header: &FrameHeader) {
        self.0.push(*header);
    }
}

/// Parses what the reader of `tap` received, in direction `way`.
pub fn scan(tap: &Tap, way: Way) -> Scan<'_> {
    let base = head_len(&tap.received, way);
    let bytes = &tap.received[base..];
    let direction = match way {
        Way::S2c => Direction::ServerToClient,
        Way::C2s => Direction::ClientToServer,
    };
    let mut checker = Checker::new(Config::new(direction));
    let mut frames = Frames(Vec::new());
    let end = match checker.feed_with(bytes, &mut frames) {
        Err(v) => ScanEnd::Bad(Box::new(v)),
        Ok(()) => match checker.finish() {
            Ok(end) => ScanEnd::Clean { close: end.close },
            Err(v) if v.rule == Rule::TruncatedFrame => ScanEnd::Cut(Box::new(v)),
            Err(v) => ScanEnd::Bad(Box::new(v)),
        },
    };
    Scan {
        way,
        base: base as u64,
        bytes,
        frames: frames.0,
        end,
    }
}

/// Length of a leading HTTP head (see the module doc), 0 if there is none.
fn head_len(bytes: &[u8], way: Way) -> usize {
    let start: &[u8] = match way {
        Way::S2c => b"HTTP/",
        Way::C2s => b"GET ",
    };
    if !bytes.starts_with(start) {
        return 0;
    }
    match bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => i + 4,
        // Still inside the head: no WebSocket byte yet.
        None => bytes.len(),
    }
}

/// The writer of the byte at WebSocket offset `offset` (see the module doc).
pub fn writer_at(tap: &Tap, base: u64, offset: u64) -> Option<&str> {
    let at = base + offset;
    tap.writes
        .iter()
        .find(|w| w.start <= at && at < w.end)
        .map(|w| w.writer.as_str())
}

/// The writers of the WebSocket bytes in `range`, in stream order, a label
/// repeated only when another writer came in between.
pub fn writers_in(tap: &Tap, base: u64, range: Range<u64>) -> Vec<String> {
    let (lo, hi) = (base + range.start, base + range.end);
    let mut out: Vec<String> = Vec::new();
    for w in tap.writes.iter().filter(|w| w.start < hi && lo < w.end) {
        if out.last() != Some(&w.writer) {
            out.push(w.writer.clone());
        }
    }
    out
}
