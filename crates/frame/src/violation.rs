//! The diagnostic for the first bad byte of a stream.

use std::fmt;

use crate::{gorilla, report, Direction, FrameHeader, Rule};

/// The first rule a stream broke, where, and the context a person needs to act on it.
///
/// Equal inputs give equal violations however the stream was chunked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The first problem (the first of `problems`).
    pub rule: Rule,
    /// Every problem found in the offending header, in the order gorilla/websocket
    /// checks them (RSV bits, the opcode's rules, MASK), then the length rules; a
    /// header cut short by the end of the stream also lists `TruncatedFrame`.
    /// Payload-level violations have exactly one entry.
    pub problems: Vec<Rule>,
    /// The stream's direction.
    pub direction: Direction,
    /// Index of the offending frame (for `DataAfterClose`: the index the extra bytes
    /// would have had).
    pub frame_index: u64,
    /// Stream offset where the offending frame starts.
    pub frame_offset: u64,
    /// Stream offset of the offending byte: header byte 0 for RSV/opcode/FIN and
    /// fragmentation rules, byte 1 for MASK and length rules (byte 2 for the 64-bit
    /// top bit), the exact byte for UTF-8 and close-code rules, the frame's end for a
    /// message or reason that stops inside a UTF-8 sequence, the stream's end for a
    /// truncated frame.
    pub byte_offset: u64,
    /// The offending frame's header, if it parsed far enough (see [`FrameHeader`] for
    /// headers cut short).
    pub header: Option<FrameHeader>,
    /// The last frame that was complete and clean.
    pub last_good: Option<FrameHeader>,
    /// Up to the last 8 clean frames, oldest first, for annotating hexdumps.
    pub recent: Vec<FrameHeader>,
    /// Where frame sync was probably lost, when a header is invalid.
    pub sync_lost_hint: Option<String>,
    /// Specifics, e.g. `close code 1005 is reserved for local use and must not be sent`.
    pub detail: String,
}

impl Violation {
    /// What gorilla/websocket would say about it: for header problems its phrases
    /// comma-joined in its order (e.g. `RSV1 set, bad opcode 7, bad MASK`); for rules
    /// gorilla does not check, a phrase in its style (documented on
    /// [`gorilla_phrase`](crate::gorilla_phrase)).
    pub fn gorilla(&self) -> String {
        gorilla::text(self)
    }

    /// Multi-line report: rule, offsets, gorilla wording, explanation, last good frame,
    /// sync hint. With `stream` (the whole stream of this direction, from offset 0) it
    /// adds an annotated hexdump around the offending byte and where real frames
    /// probably were.
    pub fn render(&self, stream: Option<&[u8]>) -> String {
        report::render(self, stream)
    }

    /// The close code a receiver should send for it (see [`Rule::close_code`]).
    pub fn close_code(&self) -> u16 {
        self.rule.close_code()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} at offset {} (frame #{} @ {}): {}",
            self.direction,
            self.rule.id(),
            self.byte_offset,
            self.frame_index,
            self.frame_offset,
            self.gorilla()
        )?;
        if !self.detail.is_empty() {
            write!(f, "; {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for Violation {}
