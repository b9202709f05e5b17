//! The frame header: decoding from wire bytes and describing it in words.

use crate::opcode;

/// A decoded frame header and where it sits in the stream.
///
/// In a [`Violation`](crate::Violation) for a header the stream cut short, the fields
/// whose bytes never arrived are zero: `payload_len` 0 when the extended length is
/// missing, `mask` `Some([0; 4])` when the MASK bit is set but the key is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    /// 0-based frame number in the stream.
    pub index: u64,
    /// Stream offset of the first header byte.
    pub offset: u64,
    /// Header size in bytes, 2..=14.
    pub header_len: u8,
    /// The FIN bit.
    pub fin: bool,
    /// RSV bits as they sit in byte 0 (`byte0 & 0x70`).
    pub rsv: u8,
    /// Opcode, 0x0..=0xF.
    pub opcode: u8,
    /// Masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// Declared payload length.
    pub payload_len: u64,
}

impl FrameHeader {
    pub(crate) const EMPTY: FrameHeader = FrameHeader {
        index: 0,
        offset: 0,
        header_len: 2,
        fin: false,
        rsv: 0,
        opcode: 0,
        mask: None,
        payload_len: 0,
    };

    /// Stream offset just past the payload (where the next frame starts).
    pub fn end(&self) -> u64 {
        self.payload_start().saturating_add(self.payload_len)
    }

    /// Stream offset of the first payload byte.
    pub fn payload_start(&self) -> u64 {
        self.offset.saturating_add(u64::from(self.header_len))
    }

    /// Close, Ping, Pong and the reserved control opcodes 0xB-0xF.
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }

    /// One line with index and offset, e.g. `frame #3 @ 120: FIN Text, unmasked, 16 bytes`.
    pub fn describe(&self) -> String {
        let rsv = rsv_words(self.rsv);
        let fin = if self.fin { "FIN" } else { "no-FIN" };
        let masked = if self.mask.is_some() {
            "masked"
        } else {
            "unmasked"
        };
        let unit = if self.payload_len == 1 {
            "byte"
        } else {
            "bytes"
        };
        format!(
            "frame #{} @ {}: {fin}{rsv} {}, {masked}, {} {unit}",
            self.index,
            self.offset,
            opcode::name(self.opcode),
            self.payload_len
        )
    }

    /// The header alone in compact words, e.g. `FIN Text unmasked len=16`, as used in
    /// hexdump annotations.
    pub fn words(&self) -> String {
        let fin = if self.fin { "FIN" } else { "no-FIN" };
        let masked = if self.mask.is_some() {
            "masked"
        } else {
            "unmasked"
        };
        format!(
            "{fin}{} {} {masked} len={}",
            rsv_words(self.rsv),
            opcode::name(self.opcode),
            self.payload_len
        )
    }
}

fn rsv_words(rsv: u8) -> String {
    let mut s = String::new();
    for (bit, name) in [(0x40, " RSV1"), (0x20, " RSV2"), (0x10, " RSV3")] {
        if rsv & bit != 0 {
            s.push_str(name);
        }
    }
    s
}

/// Header size announced by byte 1 (length form and MASK bit).
#[inline(always)]
pub(crate) fn header_len(b1: u8) -> usize {
    let ext = match b1 & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
}

/// Decodes the header in `b`, which holds at least `header_len(b[1])` bytes.
#[inline(always)]
pub(crate) fn decode(b: &[u8], index: u64, offset: u64) -> FrameHeader {
    let (b0, b1) = (b[0], b[1]);
    let (payload_len, key_at) = match b1 & 0x7F {
        126 => (u64::from(u16::from_be_bytes([b[2], b[3]])), 4),
        127 => {
            let mut len = [0u8; 8];
            len.copy_from_slice(&b[2..10]);
            (u64::from_be_bytes(len), 10)
        }
        short => (u64::from(short), 2),
    };
    let mask = if b1 & 0x80 != 0 {
        Some([b[key_at], b[key_at + 1], b[key_at + 2], b[key_at + 3]])
    } else {
        None
    };
    FrameHeader {
        index,
        offset,
        header_len: header_len(b1) as u8,
        fin: b0 & 0x80 != 0,
        rsv: b0 & 0x70,
        opcode: b0 & 0x0F,
        mask,
        payload_len,
    }
}

/// Decodes as much as `b` (fewer than a whole header) holds, zeroing what is missing.
/// Returns the header and whether `payload_len` is known.
pub(crate) fn decode_partial(b: &[u8], index: u64, offset: u64) -> (FrameHeader, bool) {
    let n = b.len().min(14);
    let mut full = [0u8; 14];
    full[..n].copy_from_slice(&b[..n]);
    let mut h = decode(&full, index, offset);
    let Some(&b1) = b.get(1) else {
        h.header_len = 2;
        h.mask = None;
        return (h, false);
    };
    let len_known = n >= header_len(b1 & 0x7F);
    if !len_known {
        h.payload_len = 0;
    }
    if h.mask.is_some() && n < header_len(b1) {
        h.mask = Some([0; 4]);
    }
    (h, len_known)
}
