//! The incremental checker: a state machine fed byte slices of any size.
//!
//! Hot path: a header that lies whole in the input is decoded straight from it (only a
//! header split across `feed` calls is copied, into 14 bytes); payloads are never
//! copied except Close payloads (<= 125 bytes) and masked text, which is unmasked
//! through a stack buffer for the UTF-8 check. Violations are built in cold code.

mod faults;

use crate::close::ClosePayload;
use crate::header::{self, FrameHeader};
use crate::judge::{self, Context};
use crate::ring::Ring;
use crate::utf8::Utf8;
use crate::{mask, opcode, Config, Sink, Violation};

/// The Close frame a stream carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// Its frame index.
    pub frame_index: u64,
    /// Stream offset of its header.
    pub offset: u64,
    /// Status code; `None` for an empty payload.
    pub code: Option<u16>,
    /// Reason text (empty when absent).
    pub reason: String,
}

/// A stream that ended cleanly at a frame boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEnd {
    /// Complete frames.
    pub frames: u64,
    /// Bytes in the stream.
    pub bytes: u64,
    /// The Close frame, if the stream had one (it is then the last frame).
    pub close: Option<CloseFrame>,
}

/// What the current frame's payload is checked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Content {
    Skip,
    Text,
    Close,
}

/// Returned by internal steps once the violation is stored in `Checker::failed`.
struct Stop;

/// Incremental RFC 6455 frame-stream checker for one direction.
///
/// Feed bytes in any chunking; the verdict (the first violation, with all its offsets,
/// or a clean end) is the same as feeding everything at once. After a violation the
/// checker is poisoned: later `feed`/`finish` calls return the same [`Violation`].
///
/// ```
/// use wsrace_frame::{encode, opcode, Checker, Config, Direction, Rule};
///
/// let mut wire = Vec::new();
/// encode::frame(&mut wire, true, opcode::TEXT, None, b"hello");
/// wire.extend_from_slice(&[0x47, 0x80, 0, 0, 0, 0]); // a torn write
/// let mut checker = Checker::new(Config::new(Direction::ServerToClient));
/// let v = checker.feed(&wire).unwrap_err();
/// assert_eq!(v.rule, Rule::RsvBits);
/// assert_eq!(v.gorilla(), "RSV1 set, bad opcode 7, bad MASK");
/// assert_eq!((v.frame_index, v.byte_offset), (1, 7));
/// ```
#[derive(Clone, Debug)]
pub struct Checker {
    config: Config,
    cx: Context,
    /// Bytes consumed.
    pos: u64,
    /// A header split across `feed` calls.
    head: [u8; 14],
    head_len: u8,
    cur: FrameHeader,
    remaining: u64,
    content: Content,
    /// The open (or last) data message is text checked as UTF-8.
    text: bool,
    utf8: Utf8,
    close_payload: ClosePayload,
    close: Option<CloseFrame>,
    recent: Ring,
    failed: Option<Box<Violation>>,
}

impl Checker {
    /// A checker at the start of a stream.
    pub fn new(config: Config) -> Self {
        let cx = Context {
            need_mask: config.direction.requires_mask(),
            allowed_rsv: config.allowed_rsv & 0x70,
            max_frame: config.max_frame_payload.unwrap_or(u64::MAX),
            max_message: config.max_message_size.unwrap_or(u64::MAX),
            in_message: false,
            message_size: 0,
        };
        Checker {
            config,
            cx,
            pos: 0,
            head: [0; 14],
            head_len: 0,
            cur: FrameHeader::EMPTY,
            remaining: 0,
            content: Content::Skip,
            text: false,
            utf8: Utf8::default(),
            close_payload: ClosePayload::default(),
            close: None,
            recent: Ring::default(),
            failed: None,
        }
    }

    /// The configuration this checker enforces.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Checks the next bytes of the stream.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), Violation> {
        self.feed_with(bytes, &mut ())
    }

    /// Checks the next bytes, reporting frames and payload to `sink` as they pass.
    #[inline]
    pub fn feed_with<S: Sink>(&mut self, bytes: &[u8], sink: &mut S) -> Result<(), Violation> {
        if self.failed.is_none() {
            let _ = self.run(bytes, sink);
        }
        self.verdict()
    }

    /// Declares the end of the stream. A clean end is at a frame boundary; otherwise
    /// the result is [`Rule::TruncatedFrame`](crate::Rule::TruncatedFrame) (or, when the cut-short header already
    /// breaks a header rule, that rule with `TruncatedFrame` among the problems).
    /// A message left open by a non-FIN frame is not a violation here; see
    /// [`in_fragmented_message`](Self::in_fragmented_message).
    pub fn finish(&mut self) -> Result<StreamEnd, Violation> {
        if self.failed.is_none() && !self.at_frame_boundary() {
            let _ = self.truncated();
        }
        self.verdict()?;
        Ok(StreamEnd {
            frames: self.recent.count(),
            bytes: self.pos,
            close: self.close.clone(),
        })
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.pos
    }

    /// Complete frames so far.
    pub fn frame_count(&self) -> u64 {
        self.recent.count()
    }

    /// Whether the bytes so far end exactly at a frame boundary.
    pub fn at_frame_boundary(&self) -> bool {
        self.remaining == 0 && self.head_len == 0
    }

    /// The last complete, clean frame.
    pub fn last_frame(&self) -> Option<&FrameHeader> {
        self.recent.last()
    }

    /// The Close frame seen, if any.
    pub fn close(&self) -> Option<&CloseFrame> {
        self.close.as_ref()
    }

    /// Whether a data message was started by a non-FIN frame and not yet finished.
    pub fn in_fragmented_message(&self) -> bool {
        self.cx.in_message
    }

    /// The violation found, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.failed.as_deref()
    }

    fn verdict(&self) -> Result<(), Violation> {
        match &self.failed {
            None => Ok(()),
            Some(v) => Err(Violation::clone(v)),
        }
    }

    #[inline]
    fn run<S: Sink>(&mut self, mut bytes: &[u8], sink: &mut S) -> Result<(), Stop> {
        while !bytes.is_empty() {
            if self.remaining != 0 {
                let n = self.remaining.min(bytes.len() as u64) as usize;
                let (piece, rest) = bytes.split_at(n);
                self.payload(piece, sink)?;
                bytes = rest;
            } else {
                let n = self.header(bytes, sink)?;
                bytes = &bytes[n..];
            }
        }
        Ok(())
    }

    /// Consumes header bytes from non-empty `bytes`; returns how many.
    #[inline(always)]
    fn header<S: Sink>(&mut self, bytes: &[u8], sink: &mut S) -> Result<usize, Stop> {
        if self.close.is_some() {
            return Err(self.data_after_close(bytes[0]));
        }
        if self.head_len == 0 {
            if bytes.len() >= 2 {
                let len = header::header_len(bytes[1]);
                if bytes.len() >= len {
                    self.begin(&bytes[..len], self.pos, sink)?;
                    return Ok(len);
                }
            }
            // Shorter than its header (so at most 13 bytes): keep it for the next call.
            let n = bytes.len().min(13);
            self.head[..n].copy_from_slice(&bytes[..n]);
            self.head_len = n as u8;
            self.pos += n as u64;
            return Ok(n);
        }
        self.continue_header(bytes, sink)
    }

    #[cold]
    fn continue_header<S: Sink>(&mut self, bytes: &[u8], sink: &mut S) -> Result<usize, Stop> {
        let have = self.head_len as usize;
        let b1 = if have >= 2 { self.head[1] } else { bytes[0] };
        let len = header::header_len(b1);
        let take = len.saturating_sub(have).min(bytes.len());
        self.head[have..have + take].copy_from_slice(&bytes[..take]);
        self.head_len += take as u8;
        self.pos += take as u64;
        if self.head_len as usize == len {
            let head = self.head;
            self.head_len = 0;
            self.begin(&head[..len], self.pos - len as u64, sink)?;
        }
        Ok(take)
    }

    /// Judges a whole header and starts its frame.
    #[inline(always)]
    fn begin<S: Sink>(&mut self, head: &[u8], start: u64, sink: &mut S) -> Result<(), Stop> {
        let h = header::decode(head, self.recent.count(), start);
        let problems = judge::problems(&h, head[1] & 0x7F, &self.cx);
        if !problems.is_empty() {
            return Err(self.header_fault(h, head, problems, false));
        }
        self.content = match h.opcode {
            opcode::TEXT | opcode::BINARY => {
                self.cx.in_message = !h.fin;
                self.cx.message_size = h.payload_len;
                // RSV1 passed the check only if negotiated: the message is compressed.
                self.text = h.opcode == opcode::TEXT && h.rsv & 0x40 == 0;
                self.utf8.reset();
                if self.text {
                    Content::Text
                } else {
                    Content::Skip
                }
            }
            opcode::CONTINUATION => {
                self.cx.in_message = !h.fin;
                self.cx.message_size = self.cx.message_size.saturating_add(h.payload_len);
                if self.text {
                    Content::Text
                } else {
                    Content::Skip
                }
            }
            opcode::CLOSE => {
                self.close_payload.reset();
                Content::Close
            }
            _ => Content::Skip,
        };
        self.cur = h;
        self.pos = h.payload_start();
        self.remaining = h.payload_len;
        sink.frame_start(&h);
        if h.payload_len == 0 {
            self.end_frame(sink)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn payload<S: Sink>(&mut self, piece: &[u8], sink: &mut S) -> Result<(), Stop> {
        let at = self.cur.payload_len - self.remaining;
        match self.content {
            Content::Skip => {}
            Content::Text => self.text_piece(piece, at)?,
            Content::Close => self.close_piece(piece, at)?,
        }
        sink.payload(&self.cur, at, piece);
        self.pos += piece.len() as u64;
        self.remaining -= piece.len() as u64;
        if self.remaining == 0 {
            self.end_frame(sink)?;
        }
        Ok(())
    }

    #[inline(always)]
    fn text_piece(&mut self, piece: &[u8], at: u64) -> Result<(), Stop> {
        let checked = match self.cur.mask {
            None => self.utf8.feed(piece),
            // The buffer is zeroed on every call: size it to the piece so tiny frames stay
            // cheap, and large pieces make few validator calls.
            Some(key) if piece.len() <= 64 => masked_utf8::<64>(&mut self.utf8, piece, key, at),
            Some(key) if piece.len() <= 1024 => masked_utf8::<1024>(&mut self.utf8, piece, key, at),
            Some(key) => masked_utf8::<8192>(&mut self.utf8, piece, key, at),
        };
        match checked {
            Ok(()) => Ok(()),
            Err(i) => Err(self.utf8_fault(piece, at, i)),
        }
    }

    fn close_piece(&mut self, piece: &[u8], at: u64) -> Result<(), Stop> {
        let dst = self.close_payload.space(piece.len());
        let n = dst.len();
        match self.cur.mask {
            Some(key) => mask::unmask_into(dst, &piece[..n], key, at),
            None => dst.copy_from_slice(&piece[..n]),
        }
        match self.close_payload.advance(n) {
            Ok(()) => Ok(()),
            Err(fault) => Err(self.close_fault(fault)),
        }
    }

    #[inline(always)]
    fn end_frame<S: Sink>(&mut self, sink: &mut S) -> Result<(), Stop> {
        match self.content {
            Content::Skip => {}
            Content::Text => {
                if self.cur.fin && !self.utf8.is_complete() {
                    return Err(self.utf8_unfinished());
                }
            }
            Content::Close => match self.close_payload.finish() {
                Ok((code, reason)) => {
                    let (frame_index, offset) = (self.cur.index, self.cur.offset);
                    self.close = Some(CloseFrame {
                        frame_index,
                        offset,
                        code,
                        reason,
                    });
                }
                Err(fault) => return Err(self.close_fault(fault)),
            },
        }
        self.recent.push(self.cur);
        sink.frame_end(&self.cur);
        Ok(())
    }
}

/// Unmasks `piece` through an `N`-byte stack buffer and feeds it to the validator.
#[inline(always)]
fn masked_utf8<const N: usize>(
    utf8: &mut Utf8,
    piece: &[u8],
    key: [u8; 4],
    at: u64,
) -> Result<(), usize> {
    let mut buf = [0u8; N];
    for (k, chunk) in piece.chunks(N).enumerate() {
        let done = k * N;
        let plain = &mut buf[..chunk.len()];
        mask::unmask_into(plain, chunk, key, at + done as u64);
        utf8.feed(plain).map_err(|i| done + i)?;
    }
    Ok(())
}
