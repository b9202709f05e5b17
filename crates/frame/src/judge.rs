//! Header rules: every problem a complete (or cut-short) header has, in gorilla order.
//!
//! gorilla/websocket checks the first two header bytes in a fixed order (RSV bits,
//! then the opcode's own rules, then MASK) and reports all it finds; the length-based
//! rules (ours, plus its read limit) come after. [`ORDER`] is that order, and bit `i`
//! of a [`Problems`] set stands for `ORDER[i]`, so iterating bits yields gorilla order.

use crate::{opcode, FrameHeader, Rule};

pub(crate) const ORDER: [Rule; 12] = [
    Rule::RsvBits,
    Rule::ControlTooLong,
    Rule::ControlNotFinal,
    Rule::DataInsideFragmented,
    Rule::ContinuationWithoutStart,
    Rule::ReservedOpcode,
    Rule::MaskDirection,
    Rule::NonMinimalLength,
    Rule::LengthTopBit,
    Rule::CloseLengthOne,
    Rule::FrameTooLarge,
    Rule::MessageTooLarge,
];

const RSV: u16 = 1 << 0;
const CTRL_LONG: u16 = 1 << 1;
const CTRL_NOT_FIN: u16 = 1 << 2;
const DATA_INSIDE: u16 = 1 << 3;
const CONT_NO_START: u16 = 1 << 4;
const BAD_OPCODE: u16 = 1 << 5;
const MASK: u16 = 1 << 6;
const NON_MINIMAL: u16 = 1 << 7;
const TOP_BIT: u16 = 1 << 8;
const CLOSE_ONE: u16 = 1 << 9;
const FRAME_LARGE: u16 = 1 << 10;
const MSG_LARGE: u16 = 1 << 11;

/// Rules decidable from byte 0 alone.
pub(crate) const BYTE0: u16 = RSV | CTRL_NOT_FIN | DATA_INSIDE | CONT_NO_START | BAD_OPCODE;
/// Rules decidable from bytes 0 and 1 (before the extended length).
pub(crate) const BYTE01: u16 = BYTE0 | MASK;
/// Rules that say the bytes are probably not a header at all (frame sync lost).
pub(crate) const SYNC_SUSPECT: u16 = BYTE01 | CTRL_LONG | NON_MINIMAL | TOP_BIT;

/// A set of header rules, iterated in gorilla order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Problems(pub(crate) u16);

impl Problems {
    #[inline(always)]
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn rules(self) -> impl Iterator<Item = Rule> {
        ORDER
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, r)| r)
    }
}

/// Checker state a header is judged against, with limits pre-resolved to `u64::MAX`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context {
    pub(crate) need_mask: bool,
    pub(crate) allowed_rsv: u8,
    pub(crate) max_frame: u64,
    pub(crate) max_message: u64,
    pub(crate) in_message: bool,
    pub(crate) message_size: u64,
}

/// Judges a header; `len7` is the 7-bit length field of byte 1.
#[inline(always)]
pub(crate) fn problems(h: &FrameHeader, len7: u8, cx: &Context) -> Problems {
    let mut p = 0u16;
    if h.rsv & !cx.allowed_rsv != 0 {
        p |= RSV;
    }
    match h.opcode {
        opcode::CLOSE | opcode::PING | opcode::PONG => {
            // The payload, not the 7-bit field: a non-minimal 16-bit length of 5 is a
            // length-encoding problem, not an oversized control frame.
            if h.payload_len > 125 {
                p |= CTRL_LONG;
            }
            if !h.fin {
                p |= CTRL_NOT_FIN;
            }
            if h.opcode == opcode::CLOSE && h.payload_len == 1 {
                p |= CLOSE_ONE;
            }
        }
        opcode::TEXT | opcode::BINARY => {
            if cx.in_message {
                p |= DATA_INSIDE;
            }
            if h.payload_len > cx.max_message {
                p |= MSG_LARGE;
            }
        }
        opcode::CONTINUATION => {
            if !cx.in_message {
                p |= CONT_NO_START;
            }
            if cx.message_size.saturating_add(h.payload_len) > cx.max_message {
                p |= MSG_LARGE;
            }
        }
        _ => p |= BAD_OPCODE,
    }
    if h.mask.is_some() != cx.need_mask {
        p |= MASK;
    }
    match len7 {
        126 if h.payload_len < 126 => p |= NON_MINIMAL,
        127 if h.payload_len <= 0xFFFF => p |= NON_MINIMAL,
        127 if h.payload_len >> 63 != 0 => p |= TOP_BIT,
        _ => {}
    }
    if h.payload_len > cx.max_frame {
        p |= FRAME_LARGE;
    }
    Problems(p)
}

/// Offset within the header of the byte that breaks `rule`.
pub(crate) fn byte_in_header(rule: Rule) -> u64 {
    match rule {
        Rule::LengthTopBit => 2,
        Rule::ControlTooLong
        | Rule::MaskDirection
        | Rule::NonMinimalLength
        | Rule::CloseLengthOne
        | Rule::FrameTooLarge
        | Rule::MessageTooLarge => 1,
        _ => 0,
    }
}

/// Specifics for each problem, for `Violation::detail`.
pub(crate) fn detail(h: &FrameHeader, p: Problems, cx: &Context) -> String {
    let mut parts: Vec<String> = Vec::new();
    for rule in p.rules() {
        parts.push(match rule {
            Rule::RsvBits => {
                let bad = h.rsv & !cx.allowed_rsv;
                let mut s = Vec::new();
                for (bit, name) in [(0x40, "RSV1"), (0x20, "RSV2"), (0x10, "RSV3")] {
                    if bad & bit != 0 {
                        s.push(format!("{name} set"));
                    }
                }
                format!("{} without an extension that allows it", s.join(", "))
            }
            Rule::ControlTooLong => format!(
                "{} frame declares {} payload bytes (max 125)",
                opcode::name(h.opcode),
                h.payload_len
            ),
            Rule::ControlNotFinal => format!("{} frame without FIN", opcode::name(h.opcode)),
            Rule::DataInsideFragmented => format!(
                "{} frame while a fragmented message ({} bytes so far) is open",
                opcode::name(h.opcode),
                cx.message_size
            ),
            Rule::ContinuationWithoutStart => "continuation frame with no message open".into(),
            Rule::ReservedOpcode => format!("opcode {} (0x{:X}) is reserved", h.opcode, h.opcode),
            Rule::MaskDirection if cx.need_mask => "unmasked frame from the client".into(),
            Rule::MaskDirection => "masked frame from the server".into(),
            Rule::NonMinimalLength => {
                let form = if h.header_len == 4 || h.header_len == 8 {
                    16
                } else {
                    64
                };
                format!("length {} written in the {form}-bit form", h.payload_len)
            }
            Rule::LengthTopBit => {
                format!("64-bit length 0x{:016X} has its top bit set", h.payload_len)
            }
            Rule::CloseLengthOne => "Close payload of 1 byte".into(),
            Rule::FrameTooLarge => {
                format!(
                    "frame declares {} payload bytes, limit {}",
                    h.payload_len, cx.max_frame
                )
            }
            Rule::MessageTooLarge => {
                let size = if h.opcode == opcode::CONTINUATION {
                    cx.message_size.saturating_add(h.payload_len)
                } else {
                    h.payload_len
                };
                format!("message reaches {size} bytes, limit {}", cx.max_message)
            }
            other => other.id().into(),
        });
    }
    parts.join("; ")
}
