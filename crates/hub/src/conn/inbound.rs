//! Turning the agent's bytes into frames and messages: `wsrace-frame`'s checker
//! (client-to-server rules, the hub's size limits) plus an assembler that unmasks
//! payloads and joins fragments. Pure and synchronous; the reader task owns one,
//! and [`parts`](crate::parts) lends it to other hub designs.

use wsrace_frame::{opcode, Checker, Direction, FrameHeader, Sink, Violation};

use crate::Config;

/// The agent's side of one connection, frame by frame.
#[derive(Debug)]
pub struct FrameReader {
    checker: Checker,
    sink: Assembler,
}

impl FrameReader {
    /// A reader that enforces `config`'s frame and message size limits.
    pub fn new(config: &Config) -> Self {
        FrameReader {
            checker: Checker::new(
                wsrace_frame::Config::new(Direction::ClientToServer)
                    .with_max_frame_payload(config.max_frame_size)
                    .with_max_message_size(config.max_message_size),
            ),
            sink: Assembler::new(config.max_message_size),
        }
    }

    /// Checks the next bytes (any chunking). Returns what they completed, in
    /// order, and the first violation if they broke a rule. Frames completed
    /// before a violation passed every check, so a caller may act on them. After
    /// a violation the stream cannot be framed again: later calls return it again.
    pub fn feed(&mut self, bytes: &[u8]) -> (Vec<Incoming>, Result<(), Violation>) {
        let checked = self.checker.feed_with(bytes, &mut self.sink).map(|_| ());
        (std::mem::take(&mut self.sink.incoming), checked)
    }
}

/// What one checked chunk of input contained, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// Any complete frame (reported before its content below).
    Frame {
        /// Its opcode.
        opcode: u8,
        /// Its payload length.
        len: u64,
    },
    /// A Ping, with its (unmasked) payload.
    Ping(Vec<u8>),
    /// A Pong.
    Pong,
    /// A Close frame; `None`: one without a status code.
    Close {
        /// Its status code.
        code: Option<u16>,
    },
    /// A complete text message (all fragments), unmasked; the checker validated UTF-8.
    Text(Vec<u8>),
    /// A complete binary message (all fragments), unmasked.
    Binary(Vec<u8>),
}

/// Unmasks payloads and assembles fragmented messages as the checker walks the
/// stream. The checker enforces the size limits before payload arrives here; the
/// cap below only keeps memory bounded should the two ever disagree.
#[derive(Debug)]
struct Assembler {
    max_message: u64,
    control: Vec<u8>,
    message: Vec<u8>,
    message_is_text: bool,
    incoming: Vec<Incoming>,
}

impl Assembler {
    fn new(max_message: u64) -> Self {
        Assembler {
            max_message,
            control: Vec::new(),
            message: Vec::new(),
            message_is_text: false,
            incoming: Vec::new(),
        }
    }
}

impl Sink for Assembler {
    fn frame_start(&mut self, header: &FrameHeader) {
        if header.is_control() {
            self.control.clear();
        } else if header.opcode != opcode::CONTINUATION {
            self.message.clear();
            self.message_is_text = header.opcode == opcode::TEXT;
        }
    }

    fn payload(&mut self, header: &FrameHeader, at: u64, wire: &[u8]) {
        let out = if header.is_control() {
            &mut self.control
        } else {
            &mut self.message
        };
        let room = usize::try_from(self.max_message)
            .unwrap_or(usize::MAX)
            .saturating_sub(out.len());
        let wire = &wire[..wire.len().min(room)];
        match header.mask {
            Some(key) => {
                // `at` is this piece's offset in the payload; the key cycles from 0.
                let start = (at % 4) as usize;
                out.extend(
                    wire.iter()
                        .enumerate()
                        .map(|(i, b)| b ^ key[(start + i) % 4]),
                );
            }
            None => out.extend_from_slice(wire),
        }
    }

    fn frame_end(&mut self, header: &FrameHeader) {
        self.incoming.push(Incoming::Frame {
            opcode: header.opcode,
            len: header.payload_len,
        });
        let done = match header.opcode {
            opcode::PING => Incoming::Ping(std::mem::take(&mut self.control)),
            opcode::PONG => Incoming::Pong,
            opcode::CLOSE => {
                let code = (self.control.len() >= 2)
                    .then(|| u16::from_be_bytes([self.control[0], self.control[1]]));
                Incoming::Close { code }
            }
            _ if !header.fin => return,
            _ if self.message_is_text => Incoming::Text(std::mem::take(&mut self.message)),
            _ => Incoming::Binary(std::mem::take(&mut self.message)),
        };
        self.incoming.push(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        wsrace_frame::encode::frame(&mut out, fin, op, Some([0x37, 0xfa, 0x21, 0x3d]), payload);
        out
    }

    #[test]
    fn the_assembler_unmasks_split_pieces_and_joins_fragments() {
        let mut wire = masked(false, opcode::TEXT, b"hel");
        wire.extend(masked(true, opcode::PING, b"p"));
        wire.extend(masked(true, opcode::CONTINUATION, b"lo, world"));
        let mut checker = Checker::new(wsrace_frame::Config::new(Direction::ClientToServer));
        let mut sink = Assembler::new(1 << 20);
        // One byte at a time: every payload piece starts at a different key offset.
        for b in &wire {
            checker
                .feed_with(std::slice::from_ref(b), &mut sink)
                .unwrap();
        }
        let got: Vec<_> = sink
            .incoming
            .into_iter()
            .filter(|i| !matches!(i, Incoming::Frame { .. }))
            .collect();
        assert_eq!(
            got,
            vec![
                Incoming::Ping(b"p".to_vec()),
                Incoming::Text(b"hello, world".to_vec())
            ]
        );
    }

    #[test]
    fn a_close_without_a_code_has_none() {
        let mut checker = Checker::new(wsrace_frame::Config::new(Direction::ClientToServer));
        let mut sink = Assembler::new(1 << 20);
        checker
            .feed_with(&masked(true, opcode::CLOSE, b""), &mut sink)
            .unwrap();
        assert_eq!(sink.incoming.last(), Some(&Incoming::Close { code: None }));
    }
}
