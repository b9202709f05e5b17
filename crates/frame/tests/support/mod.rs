//! Stream builders shared by the integration tests: frames that are correct for a
//! direction unless told otherwise, with the offsets each test asserts on.

#![allow(dead_code)]

use wsrace_frame::{encode, Checker, Config, Direction, StreamEnd, Violation};

pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Both directions, for table tests.
pub const BOTH: [Direction; 2] = [Direction::ServerToClient, Direction::ClientToServer];

/// A stream under construction for one direction.
pub struct Wire {
    pub dir: Direction,
    pub bytes: Vec<u8>,
}

impl Wire {
    pub fn new(dir: Direction) -> Self {
        Wire {
            dir,
            bytes: Vec::new(),
        }
    }

    /// Offset of the next byte.
    pub fn at(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn key(&self) -> Option<[u8; 4]> {
        self.dir.requires_mask().then_some(KEY)
    }

    /// A correct frame for the direction; returns its offset.
    pub fn frame(&mut self, fin: bool, opcode: u8, payload: &[u8]) -> u64 {
        let (at, key) = (self.at(), self.key());
        encode::frame(&mut self.bytes, fin, opcode, key, payload);
        at
    }

    /// A frame with raw byte 0 (FIN/RSV/opcode), the length written in `form` (7, 16
    /// or 64 bits, or the shortest if 0) and the MASK bit right for the direction
    /// unless `flip_mask`; returns its offset.
    pub fn raw(&mut self, b0: u8, form: u8, flip_mask: bool, payload: &[u8]) -> u64 {
        let at = self.at();
        let masked = self.dir.requires_mask() != flip_mask;
        let m = if masked { 0x80 } else { 0 };
        let len = payload.len() as u64;
        self.bytes.push(b0);
        let form = match form {
            0 if len <= 125 => 7,
            0 if len <= 0xFFFF => 16,
            0 => 64,
            f => f,
        };
        match form {
            7 => self.bytes.push(m | len as u8),
            16 => {
                self.bytes.push(m | 126);
                self.bytes.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                self.bytes.push(m | 127);
                self.bytes.extend_from_slice(&len.to_be_bytes());
            }
        }
        let start = self.bytes.len();
        if masked {
            self.bytes.extend_from_slice(&KEY);
        }
        self.bytes.extend_from_slice(payload);
        if masked {
            encode::apply_mask(&mut self.bytes[start + 4..], KEY, 0);
        }
        at
    }

    /// Raw bytes as they are (already masked if that matters).
    pub fn bytes(&mut self, b: &[u8]) -> u64 {
        let at = self.at();
        self.bytes.extend_from_slice(b);
        at
    }

    /// Header length of frames in this direction with a 7-bit length.
    pub fn short_header(&self) -> u64 {
        if self.dir.requires_mask() {
            6
        } else {
            2
        }
    }
}

/// Feeds `bytes` in one piece, then finishes.
pub fn check(config: Config, bytes: &[u8]) -> Result<StreamEnd, Violation> {
    let mut c = Checker::new(config);
    c.feed(bytes)?;
    c.finish()
}

/// Feeds `bytes` in pieces cut at `cuts` (sorted or not), then finishes.
pub fn check_cut(config: Config, bytes: &[u8], cuts: &[usize]) -> Result<StreamEnd, Violation> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
    cuts.sort_unstable();
    let mut c = Checker::new(config);
    let mut from = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        c.feed(&bytes[from..cut])?;
        from = cut;
    }
    c.finish()
}

/// Feeds `bytes` one byte at a time.
pub fn check_bytewise(config: Config, bytes: &[u8]) -> Result<StreamEnd, Violation> {
    let cuts: Vec<usize> = (1..bytes.len()).collect();
    check_cut(config, bytes, &cuts)
}
