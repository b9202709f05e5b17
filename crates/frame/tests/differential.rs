//! Differential test: `wsrace_frame::Checker` (server-to-client) against tungstenite 0.30
//! reading the same bytes in the client role over an in-memory stream.
//!
//! proptest builds mostly-valid frame sequences (fragmented text split anywhere, even inside
//! a code point; binary; pings and pongs between fragments; an optional Close) and applies up
//! to two targeted mutations: flipped RSV bits, reserved opcodes, a set mask bit, non-minimal
//! or top-bit lengths, oversized or fragmented control frames, broken fragmentation, invalid
//! UTF-8 in text and close reasons, bad close codes, a one-byte Close payload, bytes after
//! Close, a cut stream, a flipped byte. Both sides give accept or reject; any disagreement
//! that [`explain`] does not attribute to one of the [`Disagreement`]s below fails the test
//! with the stream in hex, the checker's report and tungstenite's error.
//!
//! How tungstenite's outcome is read (from its `protocol/mod.rs`, checked by the
//! `tungstenite_*` tests at the bottom):
//! - `read()` is called until it fails. `ConnectionClosed` (end of stream after a Close) and
//!   `ResetWithoutClosingHandshake` (end of stream before one) are *accept*: a stream that
//!   simply stops is not a protocol violation for the checker either.
//! - Every other error is *reject*, and so is a Close that tungstenite hands back rewritten
//!   to `1002 "Protocol violation"`: it does that instead of failing when the close code is
//!   not allowed, and it answers the peer with that Close, which is failing the connection.
//!   (Generated close reasons never say "Protocol violation", so this cannot be confused
//!   with an echo.)
//!
//! Expected disagreements (each one demonstrated by a `tungstenite_*` test below):
//! 1. **Truncated last frame** (checker: `truncated-frame`). tungstenite's frame codec
//!    returns "no frame" at end of input whether or not a frame was half read, so a stream
//!    cut mid-frame ends exactly like one cut at a boundary.
//! 2. **A violation inside a frame that never completes**. tungstenite reads the whole frame
//!    (header and payload) before it looks at RSV bits, the mask bit, control-frame rules,
//!    fragmentation, UTF-8 or the close payload; the reserved-opcode check runs once the
//!    header (with extended length and mask key) is complete. The checker fails at the
//!    offending byte, so a cut stream shows it a problem tungstenite never reaches.
//! 3. **Non-minimal length encoding** (checker: `non-minimal-length`). tungstenite decodes
//!    16- and 64-bit lengths without checking that the short form would have fitted.
//! 4. **Bytes after Close that do not make up a whole frame** (checker: `data-after-close`).
//!    tungstenite, as a client, keeps reading after the peer's Close and reports
//!    `ReceivedAfterClosing` only when a complete frame arrives (or a complete header with a
//!    reserved opcode, or one that declares more than its 16 MiB frame limit); a partial
//!    frame followed by end of stream is `ConnectionClosed` to it.
//! 5. **Close code 1014** (checker accepts, tungstenite rejects). 1014 (Bad Gateway) is
//!    registered and valid on the wire; tungstenite 0.30's `CloseCode::from(u16)` has no arm
//!    for it, so it is `Bad(1014)`, not allowed, and rewritten to 1002.
//!
//! Agreements worth stating, because they were open questions:
//! - tungstenite does check close codes: 0-999, 1004-1006, 1015, 1016-2999 and everything
//!   >= 5000 are rewritten to 1002 (counted as reject, like the checker's `close-code`).
//! - tungstenite checks text UTF-8 per fragment as fragments arrive (an incomplete code point
//!   at a fragment end is carried over; a definitely-invalid sequence fails that fragment),
//!   and an incomplete code point at the end of the message fails the message.
//! - A 64-bit length with the top bit set is rejected by tungstenite's 16 MiB frame-size
//!   limit (a capacity error) as soon as the header is complete.
//! - tungstenite's size limits (16 MiB frame, 64 MiB message) are far above anything
//!   generated here except declared-but-absent lengths, which the checker rejects too.
//!
//! The stream is fed to the checker in one piece; chunking is covered by the crate's own
//! proptests. `WRONG: ` in a failure means an unexplained disagreement.

use proptest::prelude::*;
use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, TestCaseError, TestRunner,
};
use std::io::{self, Cursor, Read, Write};
use tungstenite::error::ProtocolError;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};
use wsrace_frame::{Checker, Config, Direction, Rule, Violation};

const CASES: u32 = 20_000;

// ---------------------------------------------------------------------------------------
// The two parsers.

/// In-memory transport: reads come from the stream under test, writes (pongs, close
/// replies) are dropped.
struct Wire(Cursor<Vec<u8>>);

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tung {
    Accept,
    /// tungstenite's error, or the note that it rewrote a close code.
    Reject(String),
}

fn tungstenite_verdict(stream: &[u8]) -> Tung {
    // Default limits; a 4 KiB read buffer only changes how often it calls `read`.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let mut ws = WebSocket::from_raw_socket(
        Wire(Cursor::new(stream.to_vec())),
        Role::Client,
        Some(config),
    );
    for _ in 0..stream.len() + 4 {
        match ws.read() {
            Ok(Message::Close(Some(close)))
                if close.code == CloseCode::Protocol
                    && close.reason.as_str() == "Protocol violation" =>
            {
                return Tung::Reject("close code rewritten to 1002 \"Protocol violation\"".into());
            }
            Ok(_) => {}
            Err(
                WsError::ConnectionClosed
                | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
            ) => {
                return Tung::Accept;
            }
            Err(e) => return Tung::Reject(e.to_string()),
        }
    }
    panic!(
        "tungstenite did not reach the end of a {}-byte stream",
        stream.len()
    );
}

/// The checker's verdict on the whole stream (boxed: a `Violation` is large).
fn checker_verdict(stream: &[u8]) -> Verdict {
    let mut checker = Checker::new(Config::new(Direction::ServerToClient));
    checker
        .feed(stream)
        .and_then(|()| checker.finish().map(|_| ()))
        .map_err(Box::new)
}

type Verdict = Result<(), Box<Violation>>;

// ---------------------------------------------------------------------------------------
// Expected disagreements.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Disagreement {
    TruncatedLastFrame,
    ViolationInUnfinishedFrame,
    NonMinimalLength,
    PartialFrameAfterClose,
    CloseCode1014,
}

/// A header as it stands on the wire at `at`: (header length, payload length, opcode), or
/// `None` if the stream ends inside it.
fn wire_header(stream: &[u8], at: usize) -> Option<(usize, u64, u8)> {
    let b = stream.get(at..)?;
    if b.len() < 2 {
        return None;
    }
    let (ext, short) = match b[1] & 0x7f {
        126 => (2, None),
        127 => (8, None),
        n => (0, Some(u64::from(n))),
    };
    let mask = if b[1] & 0x80 != 0 { 4 } else { 0 };
    let len = 2 + ext + mask;
    if b.len() < len {
        return None;
    }
    let payload = short.unwrap_or_else(|| {
        b[2..2 + ext]
            .iter()
            .fold(0u64, |acc, &x| acc << 8 | u64::from(x))
    });
    Some((len, payload, b[0] & 0x0f))
}

/// Does tungstenite get to act on the frame at `at`: the whole frame is there, or (for
/// the checks it makes on the header alone) the header is there and says reserved opcode
/// or more than 16 MiB?
fn tungstenite_sees_frame(stream: &[u8], at: usize) -> bool {
    match wire_header(stream, at) {
        None => false,
        Some((hlen, plen, op)) => {
            let reserved = matches!(op, 3..=7 | 11..=15);
            reserved || plen > 16 << 20 || (at + hlen) as u64 + plen <= stream.len() as u64
        }
    }
}

fn explain(stream: &[u8], checker: &Verdict, tung: &Tung) -> Result<Option<Disagreement>, String> {
    match (checker, tung) {
        (Ok(()), Tung::Accept) | (Err(_), Tung::Reject(_)) => Ok(None),
        (Err(v), Tung::Accept) => {
            let frame_at = v.frame_offset as usize;
            if v.rule == Rule::TruncatedFrame {
                return Ok(Some(Disagreement::TruncatedLastFrame));
            }
            if v.rule == Rule::NonMinimalLength {
                return Ok(Some(Disagreement::NonMinimalLength));
            }
            if v.rule == Rule::DataAfterClose {
                // The first byte after the Close starts the frame tungstenite would read.
                let after = v.byte_offset as usize;
                if !tungstenite_sees_frame(stream, after) {
                    return Ok(Some(Disagreement::PartialFrameAfterClose));
                }
                return Err(
                    "the bytes after Close hold a whole frame, yet tungstenite accepted".into(),
                );
            }
            if !tungstenite_sees_frame(stream, frame_at) {
                return Ok(Some(Disagreement::ViolationInUnfinishedFrame));
            }
            Err(format!(
                "tungstenite accepted a complete frame the checker rejects ({})",
                v.rule.id()
            ))
        }
        (Ok(()), Tung::Reject(why)) => {
            if why.contains("rewritten") && stream_has_close_code(stream, 1014) {
                return Ok(Some(Disagreement::CloseCode1014));
            }
            Err(format!(
                "tungstenite rejects a stream the checker accepts: {why}"
            ))
        }
    }
}

/// Walks the (valid) stream's frames and tells whether its Close carries `code`.
fn stream_has_close_code(stream: &[u8], code: u16) -> bool {
    let mut at = 0;
    while let Some((hlen, plen, op)) = wire_header(stream, at) {
        let start = at + hlen;
        if op == 0x8 && plen >= 2 {
            return stream.get(start..start + 2) == Some(&code.to_be_bytes()[..]);
        }
        at = start + plen as usize;
    }
    false
}

// ---------------------------------------------------------------------------------------
// Stream model and generators.

#[derive(Debug, Clone, Copy, PartialEq)]
enum LenForm {
    Minimal,
    /// 126 + 16-bit length even when the payload is shorter than 126.
    Wide16,
    /// 127 + 64-bit length whatever the payload.
    Wide64,
    /// 127 + this 64-bit value (top bit set); the real payload follows.
    Declared(u64),
}

#[derive(Debug, Clone)]
struct Frame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: Vec<u8>,
    len: LenForm,
    /// Part of a text message (first frame or continuation).
    text: bool,
}

impl Frame {
    fn new(fin: bool, opcode: u8, payload: Vec<u8>, text: bool) -> Self {
        Frame {
            fin,
            rsv: 0,
            opcode,
            mask: None,
            payload,
            len: LenForm::Minimal,
            text,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.fin) << 7 | self.rsv | self.opcode);
        let m = if self.mask.is_some() { 0x80 } else { 0 };
        let n = self.payload.len();
        match self.len {
            LenForm::Minimal if n < 126 => out.push(m | n as u8),
            LenForm::Minimal | LenForm::Wide16 if n <= 0xffff => {
                out.push(m | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            LenForm::Minimal | LenForm::Wide16 | LenForm::Wide64 => {
                out.push(m | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
            LenForm::Declared(d) => {
                out.push(m | 127);
                out.extend_from_slice(&d.to_be_bytes());
            }
        }
        match self.mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(self.payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            }
            None => out.extend_from_slice(&self.payload),
        }
    }
}

#[derive(Debug, Clone)]
enum Unit {
    Text {
        text: String,
        splits: Vec<usize>,
        pings: Vec<usize>,
    },
    Binary {
        bytes: Vec<u8>,
        splits: Vec<usize>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Ending {
    None,
    CloseEmpty,
    Close(u16, String),
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipRsv { at: usize, bits: u8 },
    ReservedOpcode { at: usize, op: u8 },
    MaskBit { at: usize, key: [u8; 4] },
    NonMinimalLength { at: usize, wide64: bool },
    TopBitLength { at: usize, low: u32 },
    ControlTooLong { at: usize, len: usize },
    ControlNotFinal { at: usize },
    ContinuationWithoutStart { at: usize },
    DataInsideFragmented { at: usize, binary: bool },
    DropFrame { at: usize },
    InvalidUtf8 { at: usize, pos: usize, bad: Vec<u8> },
    CutLastCodePoint { at: usize },
    CloseReasonUtf8 { bad: Vec<u8> },
    CloseCode { code: u16 },
    CloseLengthOne,
    AfterClose { tail: Tail },
    Truncate { keep_per_mille: u16 },
    FlipByte { pos: usize, xor: u8 },
}

#[derive(Debug, Clone)]
enum Tail {
    Bytes(Vec<u8>),
    WholePing,
    /// A valid frame, cut to this many bytes (at least one).
    PartialText(usize),
}

#[derive(Debug, Clone)]
struct Case {
    units: Vec<Unit>,
    ending: Ending,
    mutations: Vec<Mutation>,
}

fn text_strategy() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range('\u{20}', '\u{7e}'),
        2 => proptest::char::range('\u{80}', '\u{7ff}'),
        2 => proptest::char::range('\u{800}', '\u{ffff}'),
        1 => proptest::char::range('\u{10000}', '\u{10ffff}'),
    ];
    let short = proptest::collection::vec(ch.clone(), 0..24);
    let mid = proptest::collection::vec(ch, 40..120);
    prop_oneof![8 => short, 2 => mid].prop_map(|v| v.into_iter().collect())
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..40),
        2 => proptest::collection::vec(any::<u8>(), 120..400),
        1 => (65_530usize..66_000).prop_map(|n| (0..n).map(|i| (i * 7) as u8).collect()),
    ]
}

fn control_payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=125)
}

fn unit_strategy() -> impl Strategy<Value = Unit> {
    let splits = proptest::collection::vec(any::<usize>(), 0..4);
    prop_oneof![
        5 => (text_strategy(), splits.clone(), proptest::collection::vec(any::<usize>(), 0..2))
            .prop_map(|(text, splits, pings)| Unit::Text { text, splits, pings }),
        3 => (bytes_strategy(), splits).prop_map(|(bytes, splits)| Unit::Binary { bytes, splits }),
        1 => control_payload().prop_map(Unit::Ping),
        1 => control_payload().prop_map(Unit::Pong),
    ]
}

const CLOSE_CODES: &[u16] = &[
    0, 1, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1013, 1014, 1015, 1016, 2000,
    2999, 3000, 3999, 4000, 4999, 5000, 65535,
];
const VALID_CLOSE_CODES: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1011, 1013, 3000, 4000, 4999,
];

fn reason_strategy() -> impl Strategy<Value = String> {
    text_strategy().prop_map(|s| {
        let mut s: String = s.chars().take(30).collect();
        while s.len() > 123 {
            s.pop();
        }
        s
    })
}

fn ending_strategy() -> impl Strategy<Value = Ending> {
    prop_oneof![
        3 => Just(Ending::None),
        1 => Just(Ending::CloseEmpty),
        4 => (proptest::sample::select(VALID_CLOSE_CODES), reason_strategy()).prop_map(|(c, r)| Ending::Close(c, r)),
    ]
}

fn bad_utf8() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![0x80]),
        Just(vec![0xff]),
        Just(vec![0xc0, 0xaf]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![0xf4, 0x90, 0x80, 0x80]),
        Just(vec![0xe2, 0x28, 0xa1]),
        Just(vec![0xf8, 0x88, 0x80, 0x80, 0x80]),
        Just(vec![0xc2]),
        Just(vec![0xe2, 0x82]),
    ]
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    let reserved = proptest::sample::select(&[3u8, 4, 5, 6, 7, 11, 12, 13, 14, 15][..]);
    prop_oneof![
        (at, 1u8..8).prop_map(|(at, b)| Mutation::FlipRsv { at, bits: b << 4 }),
        (at, reserved).prop_map(|(at, op)| Mutation::ReservedOpcode { at, op }),
        (at, any::<[u8; 4]>()).prop_map(|(at, key)| Mutation::MaskBit { at, key }),
        (at, any::<bool>()).prop_map(|(at, wide64)| Mutation::NonMinimalLength { at, wide64 }),
        (at, any::<u32>()).prop_map(|(at, low)| Mutation::TopBitLength { at, low }),
        (at, 126usize..300).prop_map(|(at, len)| Mutation::ControlTooLong { at, len }),
        at.prop_map(|at| Mutation::ControlNotFinal { at }),
        at.prop_map(|at| Mutation::ContinuationWithoutStart { at }),
        (at, any::<bool>()).prop_map(|(at, binary)| Mutation::DataInsideFragmented { at, binary }),
        at.prop_map(|at| Mutation::DropFrame { at }),
        (at, any::<usize>(), bad_utf8()).prop_map(|(at, pos, bad)| Mutation::InvalidUtf8 {
            at,
            pos,
            bad
        }),
        at.prop_map(|at| Mutation::CutLastCodePoint { at }),
        bad_utf8().prop_map(|bad| Mutation::CloseReasonUtf8 { bad }),
        proptest::sample::select(CLOSE_CODES).prop_map(|code| Mutation::CloseCode { code }),
        Just(Mutation::CloseLengthOne),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 1..12).prop_map(Tail::Bytes),
            Just(Tail::WholePing),
            (1usize..8).prop_map(Tail::PartialText),
        ]
        .prop_map(|tail| Mutation::AfterClose { tail }),
        (0u16..1000).prop_map(|keep_per_mille| Mutation::Truncate { keep_per_mille }),
        (any::<usize>(), 1u8..=255).prop_map(|(pos, xor)| Mutation::FlipByte { pos, xor }),
    ]
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let mutations = prop_oneof![
        3 => Just(Vec::new()),
        5 => proptest::collection::vec(mutation_strategy(), 1..=1),
        2 => proptest::collection::vec(mutation_strategy(), 2..=2),
    ];
    (
        proptest::collection::vec(unit_strategy(), 0..7),
        ending_strategy(),
        mutations,
    )
        .prop_map(|(units, ending, mutations)| Case {
            units,
            ending,
            mutations,
        })
}

/// Cut points for fragmenting `len` bytes: sorted, deduplicated, inside `0..=len`.
fn cuts(len: usize, splits: &[usize]) -> Vec<usize> {
    let mut c: Vec<usize> = splits.iter().map(|s| s % (len + 1)).collect();
    c.sort_unstable();
    c.dedup();
    c
}

fn fragments(
    opcode: u8,
    bytes: &[u8],
    splits: &[usize],
    text: bool,
    pings: &[usize],
) -> Vec<Frame> {
    let cuts = cuts(bytes.len(), splits);
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c != 0 && c != bytes.len()));
    bounds.push(bytes.len());
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let op = if i == 0 { opcode } else { 0 };
        out.push(Frame::new(i + 1 == pieces.len(), op, piece.to_vec(), text));
        if i + 1 < pieces.len() && pings.iter().any(|p| p % pieces.len() == i) {
            out.push(Frame::new(true, 0x9, b"mid".to_vec(), false));
        }
    }
    out
}

fn build_frames(case: &Case) -> Vec<Frame> {
    let mut frames = Vec::new();
    for unit in &case.units {
        match unit {
            Unit::Text {
                text,
                splits,
                pings,
            } => frames.extend(fragments(0x1, text.as_bytes(), splits, true, pings)),
            Unit::Binary { bytes, splits } => {
                frames.extend(fragments(0x2, bytes, splits, false, &[]))
            }
            Unit::Ping(p) => frames.push(Frame::new(true, 0x9, p.clone(), false)),
            Unit::Pong(p) => frames.push(Frame::new(true, 0xA, p.clone(), false)),
        }
    }
    match &case.ending {
        Ending::None => {}
        Ending::CloseEmpty => frames.push(Frame::new(true, 0x8, Vec::new(), false)),
        Ending::Close(code, reason) => {
            let mut p = code.to_be_bytes().to_vec();
            p.extend_from_slice(reason.as_bytes());
            frames.push(Frame::new(true, 0x8, p, false));
        }
    }
    frames
}

fn pick(frames: &[Frame], at: usize, pred: impl Fn(&Frame) -> bool) -> Option<usize> {
    let c: Vec<usize> = (0..frames.len()).filter(|&i| pred(&frames[i])).collect();
    (!c.is_empty()).then(|| c[at % c.len()])
}

fn close_index(frames: &mut Vec<Frame>) -> usize {
    if let Some(i) = frames.iter().position(|f| f.opcode == 0x8) {
        return i;
    }
    frames.push(Frame::new(true, 0x8, 1000u16.to_be_bytes().to_vec(), false));
    frames.len() - 1
}

/// Index where a frame can go between messages (not inside a fragmented one).
fn message_boundary(frames: &[Frame], at: usize) -> usize {
    let mut bounds = vec![0];
    let mut open = false;
    for (i, f) in frames.iter().enumerate() {
        if f.opcode & 0x8 == 0 {
            open = !f.fin;
        }
        if !open {
            bounds.push(i + 1);
        }
    }
    bounds[at % bounds.len()]
}

/// Applies the frame-level mutations, encodes, then the byte-level ones.
fn render(case: &Case) -> Vec<u8> {
    let mut frames = build_frames(case);
    let mut tail: Vec<u8> = Vec::new();
    for m in &case.mutations {
        match m {
            Mutation::FlipRsv { at, bits } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].rsv ^= bits;
                }
            }
            Mutation::ReservedOpcode { at, op } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].opcode = *op;
                }
            }
            Mutation::MaskBit { at, key } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].mask = Some(*key);
                }
            }
            Mutation::NonMinimalLength { at, wide64 } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].len = if *wide64 {
                        LenForm::Wide64
                    } else {
                        LenForm::Wide16
                    };
                }
            }
            Mutation::TopBitLength { at, low } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].len = LenForm::Declared(1 << 63 | u64::from(*low));
                }
            }
            Mutation::ControlTooLong { at, len } => {
                let i = pick(&frames, *at, |f| f.opcode & 0x8 != 0).unwrap_or_else(|| {
                    frames.push(Frame::new(true, 0x9, Vec::new(), false));
                    frames.len() - 1
                });
                let mut p = 1000u16.to_be_bytes().to_vec();
                p.resize(*len, b'x');
                frames[i].payload = p;
            }
            Mutation::ControlNotFinal { at } => {
                let i = message_boundary(&frames, *at);
                frames.insert(i, Frame::new(false, 0x9, b"frag".to_vec(), false));
            }
            Mutation::ContinuationWithoutStart { at } => {
                let i = message_boundary(&frames, *at);
                frames.insert(i, Frame::new(*at % 2 == 0, 0x0, b"cont".to_vec(), false));
            }
            Mutation::DataInsideFragmented { at, binary } => {
                let op = if *binary { 0x2 } else { 0x1 };
                match pick(&frames, *at, |f| f.opcode == 0x0) {
                    Some(i) => frames[i].opcode = op,
                    None => {
                        let i = message_boundary(&frames, *at);
                        frames.insert(i, Frame::new(false, 0x1, b"open".to_vec(), true));
                        frames.insert(i + 1, Frame::new(true, op, b"again".to_vec(), !binary));
                    }
                }
            }
            Mutation::DropFrame { at } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames.remove(i);
                }
            }
            Mutation::InvalidUtf8 { at, pos, bad } => {
                let i = pick(&frames, *at, |f| f.text).unwrap_or_else(|| {
                    let i = message_boundary(&frames, *at);
                    frames.insert(i, Frame::new(true, 0x1, b"text".to_vec(), true));
                    i
                });
                let p = &mut frames[i].payload;
                let pos = pos % (p.len() + 1);
                p.splice(pos..pos, bad.iter().copied());
            }
            Mutation::CutLastCodePoint { at } => {
                if let Some(i) = pick(&frames, *at, |f| {
                    f.text && f.payload.iter().any(|&b| b >= 0x80)
                }) {
                    let p = &mut frames[i].payload;
                    let last_lead = p.iter().rposition(|&b| b >= 0xc0).unwrap_or(0);
                    p.remove(last_lead);
                }
            }
            Mutation::CloseReasonUtf8 { bad } => {
                let i = close_index(&mut frames);
                let p = &mut frames[i].payload;
                if p.len() < 2 {
                    *p = 1000u16.to_be_bytes().to_vec();
                }
                p.extend_from_slice(bad);
                p.truncate(125);
            }
            Mutation::CloseCode { code } => {
                let i = close_index(&mut frames);
                let p = &mut frames[i].payload;
                if p.len() < 2 {
                    p.resize(2, 0);
                }
                p[..2].copy_from_slice(&code.to_be_bytes());
            }
            Mutation::CloseLengthOne => {
                let i = close_index(&mut frames);
                frames[i].payload = vec![0x03];
            }
            Mutation::AfterClose { tail: t } => {
                let i = close_index(&mut frames);
                frames.truncate(i + 1);
                match t {
                    Tail::Bytes(b) => tail = b.clone(),
                    Tail::WholePing => {
                        Frame::new(true, 0x9, b"late".to_vec(), false).encode(&mut tail)
                    }
                    Tail::PartialText(n) => {
                        Frame::new(true, 0x1, b"late text".to_vec(), true).encode(&mut tail);
                        tail.truncate(*n);
                    }
                }
            }
            Mutation::Truncate { .. } | Mutation::FlipByte { .. } => {}
        }
    }
    let mut stream = Vec::new();
    for f in &frames {
        f.encode(&mut stream);
    }
    stream.extend_from_slice(&tail);
    for m in &case.mutations {
        match m {
            Mutation::Truncate { keep_per_mille } => {
                let keep = stream.len() * usize::from(*keep_per_mille) / 1000;
                stream.truncate(keep);
            }
            Mutation::FlipByte { pos, xor } if !stream.is_empty() => {
                let n = stream.len();
                stream[pos % n] ^= xor;
            }
            _ => {}
        }
    }
    stream
}

// ---------------------------------------------------------------------------------------
// Reporting.

fn hex(bytes: &[u8]) -> String {
    const LIMIT: usize = 2048;
    let mut s = String::new();
    for (i, line) in bytes[..bytes.len().min(LIMIT)].chunks(32).enumerate() {
        s.push_str(&format!("{:06x}  ", i * 32));
        for b in line {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\n');
    }
    if bytes.len() > LIMIT {
        s.push_str(&format!("... ({} bytes in all)\n", bytes.len()));
    }
    s
}

fn report(stream: &[u8], checker: &Verdict, tung: &Tung, why: &str) -> String {
    let c = match checker {
        Ok(()) => "accept".to_string(),
        Err(v) => format!("reject: {v}\n{}", v.render(Some(stream))),
    };
    format!(
        "WRONG: {why}\nstream ({} bytes):\n{}checker: {c}\ntungstenite: {tung:?}\n",
        stream.len(),
        hex(stream)
    )
}

fn compare(stream: &[u8]) -> Result<Option<Disagreement>, String> {
    let checker = checker_verdict(stream);
    let tung = tungstenite_verdict(stream);
    explain(stream, &checker, &tung).map_err(|why| report(stream, &checker, &tung, &why))
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn checker_and_tungstenite_agree_except_where_documented() {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    });
    let tally = std::cell::RefCell::new(std::collections::BTreeMap::<String, u32>::new());
    runner
        .run(&case_strategy(), |case| {
            let stream = render(&case);
            let outcome = compare(&stream).map_err(TestCaseError::fail)?;
            let key = match outcome {
                Some(d) => format!("expected disagreement: {d:?}"),
                None => match checker_verdict(&stream) {
                    Ok(()) => "both accept".to_string(),
                    Err(v) => format!("both reject (checker: {})", v.rule.id()),
                },
            };
            *tally.borrow_mut().entry(key).or_default() += 1;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let tally = tally.into_inner();
    for (k, n) in &tally {
        println!("{n:6}  {k}");
    }
    let accepted = tally.get("both accept").copied().unwrap_or(0);
    let rejected: u32 = tally
        .iter()
        .filter(|(k, _)| k.starts_with("both reject"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        accepted > CASES / 10,
        "too few clean streams generated: {accepted}"
    );
    assert!(
        rejected > CASES / 4,
        "too few rejected streams generated: {rejected}"
    );
}

/// Builds a stream from (fin, opcode, payload) triples, unmasked, minimal lengths.
fn frames(spec: &[(bool, u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(fin, op, p) in spec {
        Frame::new(fin, op, p.to_vec(), op == 1).encode(&mut out);
    }
    out
}

fn close(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

fn rule(stream: &[u8]) -> Option<Rule> {
    checker_verdict(stream).err().map(|v| v.rule)
}

#[test]
fn an_unlisted_disagreement_fails_the_comparison() {
    // RSV1 on a complete frame: both reject. Pretend tungstenite accepted it.
    let s = vec![0xc1, 0x02, b'h', b'i'];
    let checker = checker_verdict(&s);
    assert_eq!(checker.as_ref().err().map(|v| v.rule), Some(Rule::RsvBits));
    assert!(explain(&s, &checker, &Tung::Accept).is_err());
    // A clean stream tungstenite rejected for a reason not on the list.
    let s = frames(&[(true, 1, b"ok")]);
    assert!(explain(&s, &checker_verdict(&s), &Tung::Reject("made up".into())).is_err());
    assert!(report(&s, &checker_verdict(&s), &Tung::Accept, "demo").contains("000000  81026f6b"));
}

#[test]
fn tungstenite_takes_a_truncated_last_frame_for_a_clean_end() {
    let mut s = frames(&[(true, 1, b"hello"), (true, 2, b"0123456789")]);
    s.truncate(s.len() - 3);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(rule(&s), Some(Rule::TruncatedFrame));
    assert_eq!(compare(&s), Ok(Some(Disagreement::TruncatedLastFrame)));
}

#[test]
fn tungstenite_ignores_a_violation_in_a_frame_that_never_completes() {
    // RSV1 on a binary frame whose payload is cut short.
    let mut s = frames(&[(true, 1, b"ok")]);
    s.extend_from_slice(&[0xc2, 0x05, 1, 2]);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(rule(&s), Some(Rule::RsvBits));
    assert_eq!(
        compare(&s),
        Ok(Some(Disagreement::ViolationInUnfinishedFrame))
    );
    // Reserved opcode with the 16-bit length still missing: no header, no check.
    let s = vec![0x83, 0x7e, 0x01];
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(
        compare(&s),
        Ok(Some(Disagreement::ViolationInUnfinishedFrame))
    );
    // Reserved opcode with the header complete but the payload missing: tungstenite fails.
    let s = vec![0x83, 0x05, 1];
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(compare(&s), Ok(None));
}

#[test]
fn tungstenite_accepts_non_minimal_lengths() {
    let mut s = Vec::new();
    let mut f = Frame::new(true, 1, b"short".to_vec(), true);
    f.len = LenForm::Wide16;
    f.encode(&mut s);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(rule(&s), Some(Rule::NonMinimalLength));
    let mut s = Vec::new();
    f.len = LenForm::Wide64;
    f.encode(&mut s);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(compare(&s), Ok(Some(Disagreement::NonMinimalLength)));
}

#[test]
fn tungstenite_reports_data_after_close_only_for_a_whole_frame() {
    let base = frames(&[(true, 1, b"hi"), (true, 8, &close(1000, b"bye"))]);
    // A whole ping after Close: ReceivedAfterClosing.
    let mut whole = base.clone();
    whole.extend_from_slice(&frames(&[(true, 9, b"late")]));
    match tungstenite_verdict(&whole) {
        Tung::Reject(e) => assert!(e.contains("after"), "{e}"),
        Tung::Accept => panic!("tungstenite accepted a whole frame after Close"),
    }
    assert_eq!(rule(&whole), Some(Rule::DataAfterClose));
    // Three stray bytes: tungstenite waits for the rest of a frame, then sees the end.
    let mut partial = base;
    partial.extend_from_slice(&[0x81, 0x05, b'x']);
    assert_eq!(tungstenite_verdict(&partial), Tung::Accept);
    assert_eq!(
        compare(&partial),
        Ok(Some(Disagreement::PartialFrameAfterClose))
    );
}

#[test]
fn tungstenite_rewrites_the_valid_close_code_1014() {
    let s = frames(&[(true, 8, &close(1014, b""))]);
    assert!(checker_verdict(&s).is_ok());
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(compare(&s), Ok(Some(Disagreement::CloseCode1014)));
}

#[test]
fn tungstenite_rewrites_invalid_close_codes_including_5000_and_above() {
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let s = frames(&[(true, 8, &close(code, b"x"))]);
        assert!(
            matches!(tungstenite_verdict(&s), Tung::Reject(_)),
            "code {code}"
        );
        assert_eq!(rule(&s), Some(Rule::CloseCode), "code {code}");
    }
    for code in [1000, 1003, 1007, 1013, 3000, 4999] {
        let s = frames(&[(true, 8, &close(code, b"x"))]);
        assert_eq!(tungstenite_verdict(&s), Tung::Accept, "code {code}");
        assert!(checker_verdict(&s).is_ok(), "code {code}");
    }
}

#[test]
fn tungstenite_checks_text_utf8_per_fragment_and_at_message_end() {
    // Invalid in the first fragment; the message never finishes.
    let s = frames(&[(false, 1, b"ab\xff")]);
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(rule(&s), Some(Rule::InvalidUtf8));
    // A code point split across fragments is fine for both.
    let s = frames(&[(false, 1, b"\xe2\x82"), (true, 0, b"\xac")]);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert!(checker_verdict(&s).is_ok());
    // An incomplete code point at the end of the message fails both.
    let s = frames(&[(false, 1, b"a\xe2"), (true, 0, b"")]);
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(rule(&s), Some(Rule::InvalidUtf8));
}

#[test]
fn tungstenite_rejects_a_top_bit_length_through_its_frame_size_limit() {
    let mut s = vec![0x82, 0x7f];
    s.extend_from_slice(&(1u64 << 63 | 5).to_be_bytes());
    s.extend_from_slice(b"12345");
    match tungstenite_verdict(&s) {
        Tung::Reject(e) => assert!(
            e.to_lowercase().contains("too long") || e.contains("Space limit"),
            "{e}"
        ),
        Tung::Accept => panic!("tungstenite accepted a top-bit length"),
    }
    assert_eq!(rule(&s), Some(Rule::LengthTopBit));
}
